//! Moving between conversations in the terminal UI: what a resumed one shows, `/resume`
//! (another conversation of this directory, in place of this one) and `/rewind` / Esc Esc
//! (back to an earlier prompt, with or without the files).

use super::{Ui, render, session_pickers, theme};
use ccrs_core::session::{RewindScope, Session, SessionSetup};
use ccrs_core::transcript;

/// Messages of a resumed conversation shown when it opens.
const SHOWN: usize = 40;

impl Ui {
    /// After start or `/resume`: the conversation so far, and where it came from.
    pub(super) fn show_resumed(&mut self, session: &Session) {
        if session.messages().is_empty() {
            return;
        }
        let w = self.width();
        let lines = session_pickers::history(&self.theme, session.messages(), w, SHOWN);
        self.pending.extend(lines);
        self.pending.push(String::new());
        self.pending.push(self.theme.paint(
            theme::SECONDARY,
            &format!(
                "  ⎿  Resumed conversation {} ({} messages)",
                session.id(),
                session.messages().len()
            ),
        ));
    }

    fn say(&mut self, style: theme::Style, text: &str) {
        self.pending
            .push(self.theme.paint(style, &format!("  ⎿  {text}")));
    }

    /// `/resume [id]`: the chosen conversation replaces this one (this one stays on disk).
    pub(super) fn switch_session(&mut self, session: &mut Session, id: &str) {
        let cwd = self.cwd.clone();
        let found = if id.is_empty() {
            self.suspend();
            let chosen = session_pickers::pick_session(&cwd, Some(session.id()));
            self.resume();
            match chosen {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(e) => return self.say(theme::ERROR, &format!("resume: {e}")),
            }
        } else {
            match transcript::by_id(&ccrs_core::paths::claude_dir(), &cwd, id) {
                Ok(f) => f,
                Err(e) => return self.say(theme::ERROR, &e.to_string()),
            }
        };
        let mut options = self.options.clone();
        options.session_id = Some(found.id.clone());
        options.resume = Some(found);
        options.fork_session = false;
        let started = SessionSetup::load(options)
            .and_then(|s| s.start(self.auth.clone(), self.prompter.clone()));
        match started {
            Ok(new) => {
                session.close();
                *session = new;
                session.hooks().set_interactive(true);
                self.hooks = session.hooks().clone();
                self.status_line = session.hooks().status_line_runner();
                self.engine = session.permissions().clone();
                self.tools = session.tools().clone();
                self.preview_ctx = session.tool_context();
                self.model = session.model().to_string();
                self.custom = session.custom_commands().to_vec();
                for w in session.warnings().to_vec() {
                    self.pending.push(render::warning(&self.theme, &w));
                }
                self.show_resumed(session);
            }
            Err(e) => self.say(theme::ERROR, &format!("resume: {e}")),
        }
    }

    /// `/rewind`, Esc Esc: choose a prompt and what to restore.
    pub(super) fn rewind(&mut self, session: &mut Session) {
        if self.busy.is_some() {
            return;
        }
        let points = session.rewind_points();
        if points.is_empty() {
            return self.say(theme::SECONDARY, "Nothing to rewind to yet");
        }
        self.suspend();
        let chosen = session_pickers::pick_rewind(&points);
        self.resume();
        let (index, scope) = match chosen {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => return self.say(theme::ERROR, &format!("rewind: {e}")),
        };
        match session.rewind(index, scope) {
            Ok(r) => {
                if let Some(files) = &r.files {
                    let n = files.restored.len() + files.deleted.len();
                    self.say(
                        theme::SECONDARY,
                        &format!("Restored {n} file{}", if n == 1 { "" } else { "s" }),
                    );
                    for (p, why) in &files.failed {
                        let shown = render::display_path(&p.display().to_string(), &self.cwd);
                        self.say(theme::WARN, &format!("{shown} not restored: {why}"));
                    }
                }
                if scope != RewindScope::Files {
                    self.say(
                        theme::SECONDARY,
                        "Rewound the conversation to before this prompt (it is in the input to edit):",
                    );
                    let w = self.width();
                    let lines = render::user_prompt(&self.theme, &r.prompt, w);
                    self.pending.extend(lines);
                    self.editor.set(&r.prompt);
                }
            }
            Err(e) => self.say(theme::ERROR, &format!("rewind: {e}")),
        }
    }
}
