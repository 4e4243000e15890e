//! The permission prompt: the agent's question travels to the UI loop over a channel, the
//! user's answer comes back through a oneshot. The prompt is drawn in the live region and
//! collapses to one line in the scrollback once answered.

use super::editor::Editor;
use super::question::{self, BodyLine};
use super::render;
use super::text::{self, Span, paint};
use super::theme::{self, Style, Theme};
use ccrs_core::BoxFuture;
use ccrs_core::permissions::{
    PermissionPrompter, PermissionRequest, PromptAnswer, USER_REJECTED, user_rejected_message,
};
use ccrs_core::tools::ToolContext;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use std::cell::Cell;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A question waiting for the user.
pub struct PromptJob {
    pub request: PermissionRequest,
    pub reply: oneshot::Sender<PromptAnswer>,
}

/// The [`PermissionPrompter`] of the interactive UI.
pub struct UiPrompter {
    tx: mpsc::UnboundedSender<PromptJob>,
}

impl UiPrompter {
    pub fn new(tx: mpsc::UnboundedSender<PromptJob>) -> Self {
        UiPrompter { tx }
    }
}

impl PermissionPrompter for UiPrompter {
    fn ask<'a>(&'a self, request: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .tx
            .send(PromptJob {
                request: request.clone(),
                reply,
            })
            .is_ok();
        Box::pin(async move {
            if !sent {
                return PromptAnswer::Deny {
                    message: USER_REJECTED.to_string(),
                };
            }
            // The UI dropped the question (it is shutting down): nobody said yes.
            rx.await.unwrap_or(PromptAnswer::Deny {
                message: USER_REJECTED.to_string(),
            })
        })
    }
}

/// What the prompt shows about the call.
#[derive(Clone, Debug, PartialEq)]
pub enum Preview {
    Command {
        command: String,
        description: Option<String>,
    },
    Diff {
        verb: &'static str,
        path: String,
        patch: Value,
        note: Option<String>,
    },
    Url {
        url: String,
        prompt: Option<String>,
    },
    Generic {
        text: String,
    },
}

/// Works out the preview of a request. Edits are previewed by the file tools themselves
/// (exactly what the call would write); `ctx` is a context like the call's.
pub fn preview(req: &PermissionRequest, ctx: &ToolContext) -> Preview {
    let input = &req.input;
    let s = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    match req.tool_name.as_str() {
        "Bash" => Preview::Command {
            command: s("command").unwrap_or_default(),
            description: s("description"),
        },
        "Edit" | "MultiEdit" | "Write" => {
            let path = s("file_path").unwrap_or_default();
            let exists = ctx.resolve(&path).exists();
            let verb = match (req.tool_name.as_str(), exists) {
                ("Write", false) => "Create file",
                ("Write", true) => "Overwrite file",
                _ => "Edit file",
            };
            let (patch, note) = match ccrs_core::tools::preview_patch(&req.tool_name, input, ctx) {
                Some(p) => (p, None),
                None => (
                    Value::Array(vec![]),
                    Some(
                        "this change cannot be applied as given (the tool will report why)".into(),
                    ),
                ),
            };
            Preview::Diff {
                verb,
                path: render::display_path(&path, &ctx.cwd),
                patch,
                note,
            }
        }
        "WebFetch" => Preview::Url {
            url: s("url").unwrap_or_default(),
            prompt: s("prompt"),
        },
        _ => Preview::Generic {
            text: serde_json::to_string_pretty(input).unwrap_or_default(),
        },
    }
}

/// Keys pressed this soon after the question appeared, or after the last key typed into the
/// input box, do not answer it: they were meant for the input box (issue 20 point 1).
pub const GRACE: Duration = Duration::from_millis(400);

/// A prompt on screen.
pub struct ActivePrompt {
    pub job: PromptJob,
    pub preview: Preview,
    /// The call as `Tool(summary)`.
    pub title: String,
    pub selected: usize,
    /// Typing the "what to do instead" feedback (option 3).
    pub feedback: Option<Editor>,
    /// Keys before this instant go to the input box (or nowhere), never to the question.
    armed_at: Instant,
    /// Rows of the body scrolled away.
    scroll: usize,
    /// The last frame's largest useful scroll and page size (for PgUp/PgDn).
    max_scroll: Cell<usize>,
    page: Cell<usize>,
    /// When the question appeared (the spinner's clock stops while it waits).
    pub shown_at: Instant,
}

/// The user's decision.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Once,
    Always,
    No(Option<String>),
}

/// What a key did to the question.
#[derive(Debug, PartialEq, Eq)]
pub enum Reaction {
    /// Answered.
    Decided(Decision),
    /// Not for the question: the input box takes it (text typed ahead).
    ToInput,
    /// Used by the question (a move, a scroll) or ignored.
    Handled,
}

/// Whether "don't ask again" saves the rule in the project or keeps it for this session only
/// (core keeps path rules in the session: PermissionEngine::persist_allow).
fn saved_for_session(rule: &str) -> bool {
    let tool = rule.split('(').next().unwrap_or(rule);
    ccrs_core::permissions::rules::PATH_TOOLS.contains(&tool)
}

impl ActivePrompt {
    pub fn new(job: PromptJob, ctx: &ToolContext, title: String) -> Self {
        let preview = preview(&job.request, ctx);
        let now = Instant::now();
        ActivePrompt {
            job,
            preview,
            title,
            selected: 0,
            feedback: None,
            armed_at: now + GRACE,
            scroll: 0,
            max_scroll: Cell::new(0),
            page: Cell::new(1),
            shown_at: now,
        }
    }

    fn can_always(&self) -> bool {
        !self.job.request.suggestions.is_empty()
    }

    /// Option numbers offered, in order (2 is left out when there is no rule to save).
    fn options(&self) -> Vec<usize> {
        if self.can_always() {
            vec![1, 2, 3]
        } else {
            vec![1, 3]
        }
    }

    fn choose(&mut self, n: usize) -> Option<Decision> {
        match n {
            1 => Some(Decision::Once),
            2 if self.can_always() => Some(Decision::Always),
            3 => {
                self.selected = self.options().len() - 1;
                self.feedback = Some(Editor::new());
                None
            }
            _ => None,
        }
    }

    /// The text of option 2: the rules exactly as they will be written, and where.
    fn always_label(&self) -> String {
        let rules = self.job.request.suggestions.join(", ");
        if self
            .job
            .request
            .suggestions
            .iter()
            .all(|r| saved_for_session(r))
        {
            format!("Yes, and don't ask again for {rules} during this session")
        } else {
            format!(
                "Yes, and don't ask again for {rules} in this project (saved to .claude/settings.local.json)"
            )
        }
    }

    /// Handles a key pressed at `now`. Letters never answer; any other key answers only once
    /// the question has been on screen for [`GRACE`] with no typing in between.
    pub fn key(&mut self, k: KeyEvent, now: Instant) -> Reaction {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        if let Some(ed) = &mut self.feedback {
            match k.code {
                KeyCode::Enter => {
                    let t = ed.text().trim().to_string();
                    return Reaction::Decided(Decision::No((!t.is_empty()).then_some(t)));
                }
                KeyCode::Esc => return Reaction::Decided(Decision::No(None)),
                KeyCode::Backspace => ed.backspace(),
                KeyCode::Left => ed.left(),
                KeyCode::Right => ed.right(),
                KeyCode::Home => ed.home(),
                KeyCode::End => ed.end(),
                KeyCode::Char('u') if ctrl => ed.kill_to_start(),
                KeyCode::Char('w') if ctrl => ed.kill_word_back(),
                KeyCode::Char(c) if !ctrl => ed.insert_char(c),
                _ => {}
            }
            return Reaction::Handled;
        }
        let digit = matches!(k.code, KeyCode::Char('1'..='3')) && !ctrl && !alt;
        let typing = match k.code {
            KeyCode::Char(_) => !ctrl && !alt,
            KeyCode::Backspace | KeyCode::Delete | KeyCode::Left | KeyCode::Right => true,
            _ => false,
        };
        if now < self.armed_at || (typing && !digit) {
            if typing || k.code == KeyCode::Enter {
                // Typed ahead: the input box gets it, and the question waits for a pause.
                self.armed_at = self.armed_at.max(now + GRACE);
                return Reaction::ToInput;
            }
            return Reaction::Handled;
        }
        let opts = self.options();
        let up = matches!(k.code, KeyCode::Up | KeyCode::BackTab)
            || (ctrl && k.code == KeyCode::Char('p'));
        let down = matches!(k.code, KeyCode::Down | KeyCode::Tab)
            || (ctrl && k.code == KeyCode::Char('n'));
        if up {
            self.selected = (self.selected + opts.len() - 1) % opts.len();
            return Reaction::Handled;
        }
        if down {
            self.selected = (self.selected + 1) % opts.len();
            return Reaction::Handled;
        }
        let page = self.page.get().max(1);
        let max = self.max_scroll.get();
        match k.code {
            KeyCode::PageDown => self.scroll = (self.scroll + page).min(max),
            KeyCode::PageUp => self.scroll = self.scroll.min(max).saturating_sub(page),
            KeyCode::End if ctrl => self.scroll = max,
            KeyCode::Home if ctrl => self.scroll = 0,
            KeyCode::Esc => return Reaction::Decided(Decision::No(None)),
            KeyCode::Enter => {
                let n = opts.get(self.selected).copied().unwrap_or(1);
                if let Some(d) = self.choose(n) {
                    return Reaction::Decided(d);
                }
            }
            KeyCode::Char(c @ '1'..='3') => {
                if let Some(d) = self.choose(c as usize - '0' as usize) {
                    return Reaction::Decided(d);
                }
            }
            _ => {}
        }
        Reaction::Handled
    }

    /// Something was typed into the input box (a paste): the question waits for a pause.
    pub fn hold(&mut self, now: Instant) {
        self.armed_at = self.armed_at.max(now + GRACE);
    }

    /// Answers the agent and returns the line that stays in the scrollback.
    pub fn answer(self, d: &Decision, theme: &Theme) -> (String, PromptAnswer) {
        let (answer, line) = match d {
            Decision::Once => (
                PromptAnswer::AllowOnce,
                format!("{} {} · {}", theme.paint(theme::OK, "✔"), self.title, "Yes"),
            ),
            Decision::Always => (
                PromptAnswer::AllowAlways,
                format!(
                    "{} {} · {}",
                    theme.paint(theme::OK, "✔"),
                    self.title,
                    self.always_label()
                ),
            ),
            Decision::No(fb) => (
                PromptAnswer::Deny {
                    message: user_rejected_message(fb.as_deref()),
                },
                match fb {
                    Some(f) => format!(
                        "{} {} · No: {}",
                        theme.paint(theme::ERROR, "✘"),
                        self.title,
                        text::sanitize(f).replace('\n', " ")
                    ),
                    None => format!("{} {} · No", theme.paint(theme::ERROR, "✘"), self.title),
                },
            ),
        };
        let _ = self.job.reply.send(answer.clone());
        (format!("  {line}"), answer)
    }

    /// True when the agent stopped waiting (the query was interrupted).
    pub fn abandoned(&self) -> bool {
        self.job.reply.is_closed()
    }

    /// The prompt's lines for the live region (at most `max_rows`) and the cursor when the
    /// feedback line is being typed. The body scrolls; head, reason and options always show.
    pub fn render(
        &self,
        theme: &Theme,
        width: usize,
        max_rows: usize,
    ) -> (Vec<String>, Option<(usize, usize)>) {
        let req = &self.job.request;
        let w = width.max(20);
        let inner = w.saturating_sub(4).max(10);
        let mut head: Vec<String> = Vec::new();
        let mut body: Vec<BodyLine> = Vec::new();
        head.push(theme.paint(theme::PERMISSION, &"─".repeat(w.saturating_sub(1))));
        match &self.preview {
            Preview::Command {
                command,
                description,
            } => {
                head.push(theme.paint(theme::PERMISSION, " Bash command"));
                body.push(BodyLine::text(Style::plain(), "", 0));
                body.push(BodyLine::text(Style::plain().bold(), command.as_str(), 3));
                if let Some(d) = description {
                    body.push(BodyLine::text(theme::SECONDARY, d.as_str(), 3));
                }
            }
            Preview::Diff {
                verb,
                path,
                patch,
                note,
            } => {
                head.push(theme.paint(theme::PERMISSION, &format!(" {verb}")));
                body.push(BodyLine::text(Style::plain().bold(), path.as_str(), 3));
                if let Some(n) = note {
                    body.push(BodyLine::text(theme::WARN, format!("⚠ {n}"), 3));
                }
                let (add, del) = render::patch_counts(patch);
                if add + del == 0 {
                    body.push(BodyLine::text(theme::SECONDARY, "(no changes)", 3));
                }
                for l in render::structured_patch(theme, patch, inner.saturating_sub(1), usize::MAX)
                {
                    body.push(BodyLine::Rendered(format!("   {l}")));
                }
            }
            Preview::Url { url, prompt } => {
                head.push(theme.paint(theme::PERMISSION, " Fetch"));
                body.push(BodyLine::text(Style::plain(), "", 0));
                body.push(BodyLine::text(Style::plain().bold(), url.as_str(), 3));
                if let Some(p) = prompt {
                    body.push(BodyLine::text(theme::SECONDARY, p.as_str(), 3));
                }
            }
            Preview::Generic { text: t } => {
                head.push(theme.paint(theme::PERMISSION, &format!(" {}", req.tool_name)));
                body.push(BodyLine::text(Style::plain(), "", 0));
                body.push(BodyLine::text(Style::plain(), t.as_str(), 3));
            }
        }
        let mut tail: Vec<String> = Vec::new();
        tail.push(String::new());
        if !req.reason.is_empty() {
            // Wrapped, never cut.
            for row in text::wrap_spans(
                &[Span::new(theme::SECONDARY, text::sanitize(&req.reason))],
                w - 1,
                &[Span::plain(" ")],
                &[Span::plain(" ")],
            ) {
                tail.push(paint(theme, &row));
            }
        }
        // What decided it (the rule and its file, a protected path, what was not understood),
        // one line per part of the call; a long compound command shows the first few.
        const WHY_SHOWN: usize = 4;
        let mut why: Vec<String> = Vec::new();
        for r in req.why.0.iter().take(WHY_SHOWN) {
            let line = if r.part.is_empty() {
                format!("· {}", r.basis)
            } else {
                format!("· {} — {}", r.part, r.basis)
            };
            for row in text::wrap_spans(
                &[Span::new(theme::SECONDARY, text::sanitize(&line))],
                inner,
                &[Span::plain(" ")],
                &[Span::plain("   ")],
            ) {
                why.push(paint(theme, &row));
            }
        }
        if req.why.0.len() > WHY_SHOWN {
            why.push(theme.paint(
                theme::SECONDARY,
                &format!(" · … and {} more", req.why.0.len() - WHY_SHOWN),
            ));
        }
        let mut opts: Vec<String> = vec![" Do you want to proceed?".to_string()];
        let mut cursor = None;
        for (i, n) in self.options().into_iter().enumerate() {
            let sel = i == self.selected;
            let pointer = if sel { "❯" } else { " " };
            let label = match n {
                1 => "Yes".to_string(),
                2 => self.always_label(),
                _ => "No, and tell ccrs what to do differently (esc)".to_string(),
            };
            let style = if sel { theme::SELECTED } else { Style::plain() };
            if n == 3
                && let Some(ed) = &self.feedback
            {
                let lead = format!(" {pointer} 3. No, and tell ccrs what to do differently: ");
                let lw = text::width(&lead);
                let view = ed.view("", w.saturating_sub(lw).max(10));
                let row_text = view.rows.last().cloned().unwrap_or_default();
                cursor = Some((opts.len(), lw + view.cursor.1));
                opts.push(format!("{}{}", theme.paint(style, &lead), row_text));
                continue;
            }
            // Options wrap (never cut): the rule that would be saved must be readable in full.
            let lead = format!(" {pointer} {n}. ");
            let hang = " ".repeat(text::width(&lead));
            for row in text::wrap_spans(
                &[Span::new(style, text::sanitize(&label))],
                w - 1,
                &[Span::new(style, lead)],
                &[Span::plain(hang)],
            ) {
                opts.push(paint(theme, &row));
            }
        }
        // The explanation gives way to the command itself in a small window: it is shown only
        // when the first lines of the command (or diff) still fit beside it.
        let body_min = body.len().min(4);
        let used = head.len() + tail.len() + opts.len() + body_min + 4;
        if used + why.len() <= max_rows {
            tail.extend(why);
        }
        let cursor = cursor.map(|(r, c)| (r + tail.len(), c));
        tail.extend(opts);
        let tail_len = tail.len();
        let l = question::layout(theme, &head, &body, &tail, w, max_rows, self.scroll);
        self.max_scroll.set(l.max_scroll);
        self.page.set(l.page);
        let offset = l.rows.len() - tail_len;
        (l.rows, cursor.map(|(r, c)| (r + offset, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccrs_core::permissions::{Basis, RuleBehavior, Subject, Why};
    use serde_json::json;

    fn job(
        tool: &str,
        input: Value,
        suggestions: Vec<String>,
    ) -> (ActivePrompt, oneshot::Receiver<PromptAnswer>) {
        let (reply, rx) = oneshot::channel();
        let request = PermissionRequest {
            tool_name: tool.into(),
            tool_use_id: "toolu_1".into(),
            input,
            subject: Subject::Other,
            reason: format!("{tool} needs approval"),
            why: Why::one(
                "rm -rf build",
                Basis::Rule {
                    behavior: RuleBehavior::Ask,
                    rule: "Bash(rm:*)".into(),
                    origin: "/home/me/project/.claude/settings.json".into(),
                },
            ),
            suggestions,
        };
        let title = format!("{tool}(x)");
        let ctx = ToolContext::for_tests(std::path::Path::new("/nonexistent"));
        (
            ActivePrompt::new(PromptJob { request, reply }, &ctx, title),
            rx,
        )
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn bash_prompt_snapshot() {
        let (p, _rx) = job(
            "Bash",
            json!({"command": "rm -rf build && cargo build --release", "description": "Rebuild from scratch"}),
            vec!["Bash(rm -rf build && cargo build --release)".into()],
        );
        let (lines, _) = p.render(&Theme::PLAIN, 70, 30);
        insta::assert_snapshot!("bash_prompt_plain", lines.join("\n"));
        let (lines, _) = p.render(&Theme::COLOR, 70, 30);
        insta::assert_snapshot!("bash_prompt_colored", lines.join("\n"));
    }

    #[test]
    fn write_prompt_shows_diff() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("notes.txt");
        std::fs::write(&f, "one\ntwo\nthree\n").unwrap();
        let (reply, _rx) = oneshot::channel();
        let request = PermissionRequest {
            tool_name: "Edit".into(),
            tool_use_id: "t".into(),
            input: json!({"file_path": f.to_string_lossy(), "old_string": "two", "new_string": "TWO\nand a half"}),
            subject: Subject::Write(vec![f.clone()]),
            reason: "Edit needs approval".into(),
            why: Why::default(),
            suggestions: vec!["Edit".into()],
        };
        let ctx = ToolContext::for_tests(d.path());
        let p = ActivePrompt::new(PromptJob { request, reply }, &ctx, "Edit(notes.txt)".into());
        let (lines, _) = p.render(&Theme::PLAIN, 60, 40);
        insta::assert_snapshot!("edit_prompt_plain", lines.join("\n"));
    }

    #[test]
    fn failing_edit_preview_says_so() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("f.txt"), "abc\n").unwrap();
        let (reply, _rx) = oneshot::channel();
        let request = PermissionRequest {
            tool_name: "Edit".into(),
            tool_use_id: "t".into(),
            input: json!({"file_path": "f.txt", "old_string": "zzz", "new_string": "y"}),
            subject: Subject::Other,
            reason: String::new(),
            why: Why::default(),
            suggestions: vec![],
        };
        let ctx = ToolContext::for_tests(d.path());
        let p = ActivePrompt::new(PromptJob { request, reply }, &ctx, "Edit(f.txt)".into());
        let (lines, _) = p.render(&Theme::PLAIN, 80, 40);
        assert!(
            lines.iter().any(|l| l.contains("cannot be applied")),
            "{lines:?}"
        );
    }

    /// A moment after the question appeared, with no typing since.
    fn later() -> Instant {
        Instant::now() + GRACE * 2
    }

    fn decided(r: Reaction) -> Option<Decision> {
        match r {
            Reaction::Decided(d) => Some(d),
            _ => None,
        }
    }

    #[test]
    fn keys_choose_answers() {
        let (mut p, _rx) = job("Bash", json!({"command": "ls"}), vec!["Bash(ls)".into()]);
        assert_eq!(p.key(key(KeyCode::Down), later()), Reaction::Handled);
        assert_eq!(
            decided(p.key(key(KeyCode::Enter), later())),
            Some(Decision::Always)
        );
        let (mut p, _rx) = job("Bash", json!({"command": "ls"}), vec![]);
        assert_eq!(
            decided(p.key(key(KeyCode::Char('2')), later())),
            None,
            "no rule to save"
        );
        assert_eq!(
            decided(p.key(key(KeyCode::Char('1')), later())),
            Some(Decision::Once)
        );
        let (mut p, _rx) = job("Bash", json!({"command": "ls"}), vec!["Bash(ls)".into()]);
        assert_eq!(
            decided(p.key(key(KeyCode::Esc), later())),
            Some(Decision::No(None))
        );
        let (mut p, rx) = job("Bash", json!({"command": "ls"}), vec!["Bash(ls)".into()]);
        assert_eq!(p.key(key(KeyCode::Char('3')), later()), Reaction::Handled);
        for c in "use /tmp".chars() {
            p.key(key(KeyCode::Char(c)), later());
        }
        let (lines, cursor) = p.render(&Theme::PLAIN, 80, 30);
        let (r, c) = cursor.unwrap();
        assert!(lines[r].contains("use /tmp"));
        assert_eq!(c, text::width(&lines[r]));
        let d = decided(p.key(key(KeyCode::Enter), later())).unwrap();
        assert_eq!(d, Decision::No(Some("use /tmp".into())));
        let (line, answer) = p.answer(&d, &Theme::PLAIN);
        assert_eq!(line, "  ✘ Bash(x) · No: use /tmp");
        assert_eq!(
            answer,
            PromptAnswer::Deny {
                message: user_rejected_message(Some("use /tmp"))
            }
        );
        assert_eq!(rx.blocking_recv().unwrap(), answer);
    }

    #[test]
    fn letters_and_early_keys_never_answer() {
        let (mut p, _rx) = job("Bash", json!({"command": "ls"}), vec!["Bash(ls)".into()]);
        // At once: even digits, Enter and Esc are typing meant for the input box (or ignored).
        let now = Instant::now();
        assert_eq!(p.key(key(KeyCode::Char('2')), now), Reaction::ToInput);
        assert_eq!(p.key(key(KeyCode::Enter), now), Reaction::ToInput);
        assert_eq!(p.key(key(KeyCode::Esc), now), Reaction::Handled);
        // Later: letters still go to the input box, and each one restarts the wait.
        let t = later();
        for c in "yes always no".chars() {
            assert_eq!(p.key(key(KeyCode::Char(c)), t), Reaction::ToInput, "{c}");
        }
        assert_eq!(p.key(key(KeyCode::Enter), t), Reaction::ToInput);
        assert_eq!(p.key(key(KeyCode::Char('1')), t), Reaction::ToInput);
        // After a pause, a deliberate key answers.
        let calm = t + GRACE;
        assert_eq!(
            decided(p.key(key(KeyCode::Char('1')), calm)),
            Some(Decision::Once)
        );
        // A paste holds the question too.
        let (mut p, _rx) = job("Bash", json!({"command": "ls"}), vec![]);
        let t = later();
        p.hold(t);
        assert_eq!(p.key(key(KeyCode::Enter), t), Reaction::ToInput);
    }

    #[test]
    fn long_previews_scroll_and_keep_options_visible() {
        let cmd = (0..100)
            .map(|i| format!("echo {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let (mut p, _rx) = job("Bash", json!({"command": cmd}), vec!["Bash(x)".into()]);
        let (lines, _) = p.render(&Theme::PLAIN, 60, 20);
        assert_eq!(lines.len(), 20);
        assert!(lines.iter().any(|l| l.contains("3. No")));
        assert!(lines.iter().any(|l| l.contains("more lines below")));
        let mut seen_last = false;
        for _ in 0..40 {
            p.key(key(KeyCode::PageDown), later());
            let (lines, _) = p.render(&Theme::PLAIN, 60, 20);
            assert!(lines.len() <= 20);
            assert!(lines.iter().any(|l| l.contains("3. No")));
            seen_last |= lines.iter().any(|l| l.trim() == "echo 99");
        }
        assert!(seen_last);
    }

    #[test]
    fn always_says_where_the_rule_goes() {
        let (p, _rx) = job("Bash", json!({"command": "ls"}), vec!["Bash(ls *)".into()]);
        assert!(
            p.always_label()
                .contains("Bash(ls *) in this project (saved to .claude/settings.local.json)")
        );
        let (p, _rx) = job(
            "Edit",
            json!({"file_path": "a"}),
            vec!["Edit(/p/src/**)".into()],
        );
        assert!(
            p.always_label()
                .ends_with("Edit(/p/src/**) during this session")
        );
    }

    #[tokio::test]
    async fn prompter_round_trip() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let prompter = UiPrompter::new(tx);
        let req = PermissionRequest {
            tool_name: "Bash".into(),
            tool_use_id: "t".into(),
            input: json!({"command": "ls"}),
            subject: Subject::Other,
            reason: String::new(),
            why: Why::default(),
            suggestions: vec![],
        };
        let ui = tokio::spawn(async move {
            let job = rx.recv().await.unwrap();
            let _ = job.reply.send(PromptAnswer::AllowOnce);
            // A dropped question denies.
            let job2 = rx.recv().await.unwrap();
            drop(job2);
        });
        assert_eq!(prompter.ask(&req).await, PromptAnswer::AllowOnce);
        assert!(matches!(
            prompter.ask(&req).await,
            PromptAnswer::Deny { .. }
        ));
        ui.await.unwrap();
    }
}
