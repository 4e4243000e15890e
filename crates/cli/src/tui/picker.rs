//! Interactive lists in the live region (issue 20 point 14): `/model` chooses a model, showing
//! each one's context window and prices from core's model table; `/permissions` edits the
//! permission rules of each settings file through core's settings writer.

use super::editor::Editor;
use super::slash::{price, tokens_short};
use super::text;
use super::theme::{self, Style, Theme};
use ccrs_core::models::{self, MODELS};
use ccrs_core::permissions::{PermissionEngine, RuleBehavior, RuleSource};
use ccrs_core::settings::SettingsSource;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};

/// One row of a picker.
struct Row {
    text: String,
    /// A heading (a settings file): not a choice.
    heading: bool,
    /// What choosing it means.
    value: Value,
}

#[derive(Clone)]
enum Value {
    None,
    Model(String),
    /// A rule of a file (or of the session when `file` is `None`).
    Rule {
        behavior: RuleBehavior,
        rule: String,
        target: usize,
    },
    /// The heading of a place rules can be added to.
    Target(usize),
}

/// Where rules live: a settings file (or the session).
pub struct Target {
    pub label: String,
    pub source: RuleSource,
    pub file: Option<PathBuf>,
}

/// A settings file as the user knows it: relative to the project, or under `~`.
fn shown_path(f: &Path, cwd: &Path) -> String {
    if let Ok(r) = f.strip_prefix(cwd) {
        return r.display().to_string();
    }
    match ccrs_core::paths::home_dir().and_then(|h| f.strip_prefix(h).ok().map(Path::to_path_buf)) {
        Some(r) => format!("~/{}", r.display()),
        None => f.display().to_string(),
    }
}

/// What a key did.
pub enum Action {
    None,
    Close(Vec<String>),
    /// Run this command line (as if typed): choosing a model runs `/model <id>`.
    Run(String),
}

pub struct Picker {
    title: String,
    help: String,
    rows: Vec<Row>,
    selected: usize,
    /// The rules editor's places, and a rule being typed for one of them.
    targets: Vec<Target>,
    adding: Option<(usize, Editor)>,
    message: Option<(Style, String)>,
    /// The edits made, for the scrollback when the picker closes.
    log: Vec<String>,
}

const ROWS: usize = 12;

impl Picker {
    /// `/model`: every known model, the current one selected.
    pub fn models(current: &str) -> Picker {
        let cur = models::info(current).map(|m| m.id);
        let mut rows: Vec<Row> = MODELS
            .iter()
            .map(|m| Row {
                text: format!(
                    "{:<16} {:<28} {:>5} context · {} / {} per MTok",
                    m.display,
                    m.id,
                    tokens_short(m.context_window),
                    price(m.input),
                    price(m.output)
                ),
                heading: false,
                value: Value::Model(m.alias.unwrap_or(m.id).to_string()),
            })
            .collect();
        if cur.is_none() {
            rows.push(Row {
                text: format!("{} (custom: context window and prices unknown)", current),
                heading: false,
                value: Value::Model(current.to_string()),
            });
        }
        let selected = rows
            .iter()
            .position(|r| match &r.value {
                Value::Model(v) => models::info(v).map(|m| m.id) == cur || v == current,
                _ => false,
            })
            .unwrap_or(0);
        Picker {
            title: "Select a model (applies to the next request)".into(),
            help: "↑/↓ to move · enter to choose · esc to cancel".into(),
            rows,
            selected,
            targets: Vec::new(),
            adding: None,
            message: None,
            log: Vec::new(),
        }
    }

    /// `/permissions`: the rules of each settings file ccrs writes, and of the session.
    pub fn rules(engine: &PermissionEngine, cwd: &Path, claude_dir: &Path) -> Picker {
        let project = cwd.join(".claude");
        let mut targets: Vec<Target> = [
            (SettingsSource::Local, project.join("settings.local.json")),
            (SettingsSource::Project, project.join("settings.json")),
            (SettingsSource::User, claude_dir.join("settings.json")),
        ]
        .into_iter()
        .map(|(s, f)| Target {
            label: format!("{} · {}", s.as_str(), shown_path(&f, cwd)),
            source: s.rule_source(),
            file: Some(f),
        })
        .collect();
        targets.push(Target {
            label: "session (until ccrs exits)".into(),
            source: RuleSource::Session,
            file: None,
        });
        let mut p = Picker {
            title: "Permission rules".into(),
            help: "↑/↓ to move · a to add a rule here · d to remove · esc to close".into(),
            rows: Vec::new(),
            selected: 0,
            targets,
            adding: None,
            message: None,
            log: Vec::new(),
        };
        p.refresh(engine);
        p
    }

    /// Rebuilds the rules editor's rows from the rules in force.
    fn refresh(&mut self, engine: &PermissionEngine) {
        let rules = engine.rules();
        let mut rows = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            rows.push(Row {
                text: t.label.clone(),
                heading: true,
                value: Value::Target(i),
            });
            let mut any = false;
            for r in rules.iter().filter(|r| r.source == t.source) {
                any = true;
                rows.push(Row {
                    text: format!("  {:<5} {}", r.behavior.as_str(), r.rule),
                    heading: false,
                    value: Value::Rule {
                        behavior: r.behavior,
                        rule: r.rule.clone(),
                        target: i,
                    },
                });
            }
            if !any {
                rows.push(Row {
                    text: "  (no rules)".into(),
                    heading: false,
                    value: Value::None,
                });
            }
        }
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        self.rows = rows;
    }

    /// The place the selected row belongs to.
    fn target_of_selection(&self) -> usize {
        self.rows[..=self.selected.min(self.rows.len().saturating_sub(1))]
            .iter()
            .rev()
            .find_map(|r| match r.value {
                Value::Target(i) => Some(i),
                _ => None,
            })
            .unwrap_or(0)
    }

    pub fn key(&mut self, k: KeyEvent, engine: &PermissionEngine) -> Action {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if let Some((target, ed)) = &mut self.adding {
            match k.code {
                KeyCode::Esc => self.adding = None,
                KeyCode::Enter => {
                    let typed = ed.text().trim().to_string();
                    let target = *target;
                    self.adding = None;
                    if !typed.is_empty() {
                        self.add(engine, target, &typed);
                    }
                }
                KeyCode::Backspace => ed.backspace(),
                KeyCode::Left => ed.left(),
                KeyCode::Right => ed.right(),
                KeyCode::Char(c) if !ctrl => ed.insert_char(c),
                _ => {}
            }
            return Action::None;
        }
        let n = self.rows.len().max(1);
        match k.code {
            KeyCode::Esc => return Action::Close(std::mem::take(&mut self.log)),
            KeyCode::Up => self.selected = (self.selected + n - 1) % n,
            KeyCode::Down | KeyCode::Tab => self.selected = (self.selected + 1) % n,
            KeyCode::Enter => {
                if let Some(Row {
                    value: Value::Model(m),
                    ..
                }) = self.rows.get(self.selected)
                {
                    return Action::Run(format!("/model {m}"));
                }
            }
            KeyCode::Char('a') if !self.targets.is_empty() => {
                self.adding = Some((self.target_of_selection(), Editor::new()));
                self.message = None;
            }
            KeyCode::Char('d') | KeyCode::Delete | KeyCode::Backspace => {
                if let Some(Value::Rule {
                    behavior,
                    rule,
                    target,
                }) = self.rows.get(self.selected).map(|r| r.value.clone())
                {
                    let t = &self.targets[target];
                    let done = engine.edit_rules(
                        behavior,
                        t.source.clone(),
                        t.file.as_deref(),
                        &[],
                        std::slice::from_ref(&rule),
                    );
                    let what = format!("{} rule {rule} from {}", behavior.as_str(), t.label);
                    self.report(done.map(|()| format!("Removed {what}")), "Not removed");
                    self.refresh(engine);
                }
            }
            _ => {}
        }
        Action::None
    }

    /// Adds a typed rule: `Bash(npm test)` allows; `deny Read(.env)` / `ask WebFetch` choose
    /// the list.
    fn add(&mut self, engine: &PermissionEngine, target: usize, typed: &str) {
        let (behavior, rule) = match typed.split_once(char::is_whitespace) {
            Some(("allow", r)) => (RuleBehavior::Allow, r.trim()),
            Some(("ask", r)) => (RuleBehavior::Ask, r.trim()),
            Some(("deny", r)) => (RuleBehavior::Deny, r.trim()),
            _ => (RuleBehavior::Allow, typed),
        };
        let t = &self.targets[target];
        let done = engine.edit_rules(
            behavior,
            t.source.clone(),
            t.file.as_deref(),
            &[rule.to_string()],
            &[],
        );
        let what = format!("{} rule {rule} to {}", behavior.as_str(), t.label);
        self.report(done.map(|()| format!("Added {what}")), "Not added");
        self.refresh(engine);
    }

    /// Shows how an edit went; what was done is also kept for the scrollback.
    fn report(
        &mut self,
        done: Result<String, ccrs_core::settings::SettingsWriteError>,
        failed: &str,
    ) {
        self.message = Some(match done {
            Ok(m) => {
                self.log.push(m.clone());
                (theme::OK, m)
            }
            Err(e) => (theme::ERROR, format!("{failed}: {e}")),
        });
    }

    /// The picker's rows for the live region (at most `max_rows`) and the cursor while a rule
    /// is typed.
    pub fn render(
        &self,
        t: &Theme,
        width: usize,
        max_rows: usize,
    ) -> (Vec<String>, Option<(usize, usize)>) {
        let w = width.max(20) - 1;
        let mut out = vec![
            t.paint(theme::PERMISSION, &"─".repeat(w)),
            t.paint(Style::plain().bold(), &format!(" {}", self.title)),
        ];
        let fixed = 2 + 3;
        let room = max_rows.saturating_sub(fixed).clamp(1, ROWS);
        let start = if self.selected >= room {
            self.selected + 1 - room
        } else {
            0
        };
        for (i, r) in self.rows.iter().enumerate().skip(start).take(room) {
            let sel = i == self.selected;
            let pointer = if sel { "❯ " } else { "  " };
            let line = text::truncate(&format!(" {pointer}{}", text::sanitize(&r.text)), w);
            out.push(if sel {
                t.paint(theme::SELECTED, &line)
            } else if r.heading {
                t.paint(Style::plain().bold(), &line)
            } else {
                line
            });
        }
        if self.rows.len() > start + room {
            out.push(t.paint(
                theme::SECONDARY,
                &format!("   … {} more", self.rows.len() - start - room),
            ));
        }
        let mut cursor = None;
        if let Some((target, ed)) = &self.adding {
            let lead = format!(" Add to {}: ", self.targets[*target].source.as_str());
            let lw = text::width(&lead);
            let view = ed.view("", w.saturating_sub(lw).max(10));
            cursor = Some((out.len(), lw + view.cursor.1));
            out.push(format!(
                "{}{}",
                t.paint(Style::plain().bold(), &lead),
                view.rows.last().cloned().unwrap_or_default()
            ));
            out.push(t.paint(
                theme::SECONDARY,
                " e.g. Bash(npm test) · deny Read(./.env) · ask WebFetch · enter to add, esc to cancel",
            ));
        } else {
            if let Some((style, m)) = &self.message {
                out.push(t.paint(
                    *style,
                    &text::truncate(&format!(" {}", text::sanitize(m)), w),
                ));
            }
            out.push(t.paint(theme::SECONDARY, &format!(" {}", self.help)));
        }
        (out, cursor)
    }
}
