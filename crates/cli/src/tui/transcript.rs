//! What the agent's events put into the scrollback: the streamed answer and thinking, tool
//! calls and their results, and how a query ended.

use super::Ui;
use super::render::{self, CallState, Refusal};
use super::text::{self, Span, paint};
use super::theme;
use ccrs_core::events::AgentEvent;
use ccrs_core::message::ContentBlock;
use ccrs_core::session::{Outcome, QueryResult};
use ccrs_core::tools::{ToolOutput, schema};
use serde_json::Value;

impl Ui {
    pub(super) fn flush_streams(&mut self) {
        let lines = self.thinking.finish();
        self.pending.extend(lines);
        self.in_thinking = false;
        let lines = self.md.finish();
        self.pending.extend(lines);
    }

    pub(super) fn finish_query(&mut self, res: &QueryResult) {
        self.flush_streams();
        // A question the agent stopped waiting for.
        self.prompt = None;
        let t = self.theme;
        let w = self.width();
        match &res.outcome {
            Outcome::Completed => {}
            // Ended by the user's "No": the question's line already says so.
            Outcome::Cancelled if self.busy.as_ref().is_some_and(|b| b.refused) => {}
            Outcome::Cancelled => self.item(vec![format!(
                "{}{}",
                t.paint(theme::SECONDARY, "  ⎿  "),
                t.paint(theme::ERROR, "Interrupted · tell ccrs what to do instead")
            )]),
            Outcome::Failed(e) => {
                let lines = render::error(&t, &format!("API Error: {e}"), w);
                self.item(lines);
            }
            Outcome::MaxTurns => self.item(vec![t.paint(
                theme::WARN,
                "  ⎿  Stopped: the turn limit (--max-turns) was reached",
            )]),
            Outcome::MaxBudget => self.item(vec![t.paint(
                theme::WARN,
                "  ⎿  Stopped: the budget (--max-budget-usd) was reached",
            )]),
            Outcome::HookStopped { reason } => {
                let reason = if reason.trim().is_empty() {
                    "a hook stopped the session"
                } else {
                    reason.as_str()
                };
                let lines = reason
                    .lines()
                    .map(|l| t.paint(theme::WARN, &format!("  ⎿  {}", text::sanitize(l))))
                    .collect();
                self.item(lines);
            }
        }
        self.busy = None;
        self.request_draw();
    }

    pub(super) fn title(&self, name: &str, input: &serde_json::Value) -> (String, String) {
        let summary = match self.tools.get(name) {
            Some(t) => t.summary(input),
            None => schema::default_summary(input),
        };
        let cwd = self.cwd.to_string_lossy();
        let summary = summary.replace(&format!("{cwd}/"), "");
        (name.to_string(), summary)
    }

    pub(super) fn stream_lines(&mut self, lines: Vec<String>, first: bool) {
        if lines.is_empty() {
            return;
        }
        if first {
            self.pending.push(String::new());
        }
        self.pending.extend(lines);
    }

    pub(super) fn on_agent_event(&mut self, ev: AgentEvent) {
        let t = self.theme;
        let w = self.width();
        match ev {
            AgentEvent::RequestStarted { .. } => {
                if let Some(b) = &mut self.busy {
                    b.chars_now = 0;
                    b.status = None;
                }
            }
            AgentEvent::TextDelta(s) => {
                if self.in_thinking {
                    let lines = self.thinking.finish();
                    self.pending.extend(lines);
                    self.in_thinking = false;
                }
                if let Some(b) = &mut self.busy {
                    b.chars_now += s.len();
                    b.status = None;
                }
                let first = self.md.nothing_emitted();
                let lines = self.md.push(&s);
                self.stream_lines(lines, first);
            }
            AgentEvent::ThinkingDelta(s) => {
                if let Some(b) = &mut self.busy {
                    b.chars_now += s.len();
                    b.status = None;
                }
                if !self.in_thinking {
                    self.in_thinking = true;
                    self.item(vec![t.paint(theme::DIM.italic(), "✻ Thinking…")]);
                }
                let lines = self.thinking.push(&s);
                self.pending.extend(lines);
            }
            AgentEvent::BlockComplete { block, .. } => match block {
                ContentBlock::Text { .. } => {
                    let first = self.md.nothing_emitted();
                    let lines = self.md.finish();
                    self.stream_lines(lines, first);
                }
                ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {
                    let lines = self.thinking.finish();
                    self.pending.extend(lines);
                    self.in_thinking = false;
                }
                ContentBlock::ToolUse { name, input, .. } => {
                    self.flush_streams();
                    let (n, s) = self.title(&name, &input);
                    if let Some(b) = &mut self.busy {
                        b.running = Some(render::tool_call(&t, &n, &s, CallState::Running, w));
                    }
                }
                _ => {}
            },
            AgentEvent::MessageComplete(m) => {
                if let Some(b) = &mut self.busy {
                    b.tokens_done += m.usage.output_tokens;
                    b.chars_now = 0;
                }
            }
            AgentEvent::ToolStarted { name, input, .. } => {
                self.todos_shown = false;
                let (n, s) = self.title(&name, &input);
                if let Some(b) = &mut self.busy {
                    b.running = Some(render::tool_call(&t, &n, &s, CallState::Running, w));
                }
            }
            AgentEvent::ToolFinished {
                id,
                name,
                input,
                output,
            } => {
                if let Some(b) = &mut self.busy {
                    b.running = None;
                }
                let refusal = self.refusals.remove(&id);
                if name == "TodoWrite" && !output.is_error && refusal.is_none() {
                    if !self.todos_shown {
                        let list = render::todos_from_input(&input);
                        self.item(render::todos(&t, &list, w));
                    }
                    self.todos_shown = false;
                    return;
                }
                self.count_changes(&output);
                let state = if output.is_error || refusal.is_some() {
                    CallState::Error
                } else {
                    CallState::Ok
                };
                let (n, s) = self.title(&name, &input);
                let mut lines = vec![render::tool_call(&t, &n, &s, state, w)];
                lines.extend(render::tool_result(
                    &t,
                    &name,
                    &input,
                    &output,
                    refusal.as_ref(),
                    &self.cwd,
                    w,
                ));
                self.item(lines);
                self.remember_folded(&n, &s, &output);
            }
            AgentEvent::PermissionDenied {
                tool_use_id,
                reason,
                ..
            } => {
                self.refusals
                    .entry(tool_use_id)
                    .or_insert(Refusal::Rule(reason));
            }
            AgentEvent::ApiRetry(n) => {
                let lines = render::retry(&t, &n, w);
                self.pending.extend(lines);
                if let Some(b) = &mut self.busy {
                    b.status = Some(format!(
                        "Retrying in {}s… (attempt {}/{})",
                        n.delay_ms.div_ceil(1000),
                        n.attempt,
                        n.max_retries
                    ));
                }
            }
            AgentEvent::TodosUpdated(list) => {
                self.todos_shown = true;
                self.item(render::todos(&t, &list, w));
            }
            AgentEvent::Warning(msg) => {
                let line = render::warning(&t, &msg);
                self.pending.push(line);
            }
            AgentEvent::HookStarted { status_message, .. } => {
                if let (Some(b), Some(m)) = (&mut self.busy, status_message) {
                    b.status = Some(m);
                }
            }
            AgentEvent::HookFinished(run) => {
                if let Some(b) = &mut self.busy {
                    b.status = None;
                }
                for line in run.message.iter().flat_map(|m| m.lines()) {
                    self.pending.push(render::warning(&t, line));
                }
            }
            // Nothing runs nested loops yet (subagents will).
            AgentEvent::StreamEvent(_) | AgentEvent::ToolResults(_) | AgentEvent::Nested { .. } => {
            }
        }
        self.request_draw();
    }

    pub(super) fn count_changes(&mut self, output: &ccrs_core::tools::ToolOutput) {
        let Some(s) = &output.structured else {
            return;
        };
        match s.get("type").and_then(serde_json::Value::as_str) {
            Some("update") => {
                if let Some(p) = s.get("structuredPatch") {
                    let (a, d) = render::patch_counts(p);
                    self.lines_added += a as u64;
                    self.lines_removed += d as u64;
                }
            }
            Some("create") => {
                if let Some(c) = s.get("content").and_then(serde_json::Value::as_str) {
                    self.lines_added += c.lines().count() as u64;
                }
            }
            _ => {}
        }
    }

    /// Keeps the whole output of the last call whose result was folded, for Ctrl-O.
    fn remember_folded(&mut self, name: &str, summary: &str, output: &ToolOutput) {
        let created = output
            .structured
            .as_ref()
            .filter(|s| s.get("type").and_then(Value::as_str) == Some("create"))
            .and_then(|s| s.get("content").and_then(Value::as_str));
        let (full, shown) = match created {
            Some(c) => (c.to_string(), render::CREATE_LINES),
            None => (output.text(), render::RESULT_LINES),
        };
        if full.trim_end_matches('\n').lines().count() > shown {
            let title = if summary.is_empty() {
                name.to_string()
            } else {
                format!("{name}({summary})")
            };
            self.folded = Some((title, full));
        }
    }

    /// Ctrl-O: the last folded tool output, whole, into the scrollback.
    pub(super) fn expand_output(&mut self) {
        let t = self.theme;
        let w = self.width();
        let Some((title, full)) = &self.folded else {
            self.pending
                .push(t.paint(theme::SECONDARY, "  ⎿  No folded tool output to expand"));
            return;
        };
        let clean = text::sanitize(full.trim_end_matches('\n'));
        let n = clean.lines().count();
        let mut lines = vec![t.paint(
            theme::SECONDARY,
            &text::truncate(&format!("  ⎿  {title} · all {n} lines (ctrl+o)"), w - 1),
        )];
        let pad = [Span::plain("     ")];
        for l in clean.lines() {
            for row in text::wrap_spans(&[Span::plain(l)], w.saturating_sub(1).max(10), &pad, &pad)
            {
                lines.push(paint(&t, &row));
            }
        }
        self.item(lines);
    }
}
