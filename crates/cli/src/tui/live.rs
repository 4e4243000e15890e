//! The live region at the bottom: spinner, queued prompts, the input box or a question, the
//! completion menu and the status line; and when frames are drawn.

use super::theme::{self, Style};
use super::{FRAME_INTERVAL, MENU_ROWS, QUEUE_ROWS, SPINNER_FRAMES, Ui, complete, slash, text};
use ccrs_core::permissions::Mode;
use std::time::{Duration, Instant};

impl Ui {
    pub(super) fn mode_label(&self) -> (String, Style) {
        match self.engine.mode() {
            Mode::Default => (
                "shift+tab: accept edits / plan · /help".into(),
                theme::SECONDARY,
            ),
            Mode::AcceptEdits => (
                "⏵⏵ accept edits on (shift+tab to cycle)".into(),
                Style::fg(theme::Color::Magenta),
            ),
            Mode::Plan => (
                "⏸ plan mode on (shift+tab to cycle)".into(),
                Style::fg(theme::Color::Cyan),
            ),
            Mode::BypassPermissions => (
                "⏵⏵ bypass permissions on (shift+tab to cycle)".into(),
                theme::ERROR,
            ),
            Mode::DontAsk => (
                "dontAsk mode: calls no rule allows are denied".into(),
                theme::WARN,
            ),
        }
    }

    /// The live region: rows and the cursor.
    pub(super) fn live(&self) -> (Vec<String>, Option<(usize, usize)>) {
        let t = self.theme;
        let w = self.width();
        let max = self.screen.max_live_rows();
        let mut rows: Vec<String> = Vec::new();
        if let Some(b) = &self.busy {
            rows.push(String::new());
            if let Some(r) = &b.running {
                rows.push(r.clone());
            }
            let frame = SPINNER_FRAMES[b.frame % SPINNER_FRAMES.len()];
            // The clock stops while a question waits (and for the time answers took).
            let waiting = self
                .prompt
                .as_ref()
                .map_or(Duration::ZERO, |p| p.shown_at.elapsed());
            let secs = b
                .started
                .elapsed()
                .saturating_sub(b.paused + waiting)
                .as_secs();
            let verb = if b.interrupted {
                "Interrupting"
            } else {
                b.verb
            };
            let mut detail = format!(
                "({secs}s · ↓ {} tokens · esc to interrupt)",
                slash::thousands(b.tokens())
            );
            if let Some(s) = &b.status {
                detail = format!("({secs}s · {s})");
            }
            rows.push(format!(
                "{} {} {}",
                t.paint(theme::ACCENT, frame),
                t.paint(theme::ACCENT, &format!("{verb}…")),
                t.paint(theme::SECONDARY, &detail)
            ));
        }
        rows.push(String::new());
        for q in self.queue.iter().take(QUEUE_ROWS) {
            let first = q.lines().next().unwrap_or("");
            rows.push(t.paint(
                theme::SECONDARY,
                &text::truncate(&format!("  ⏵ queued: {}", text::sanitize(first)), w - 1),
            ));
        }
        let footer = self.footer();
        if let Some(p) = &self.prompt {
            // Text typed while the question shows stays in the input box, visible under it.
            let typed = (!self.editor.is_empty()).then(|| {
                let first = self.editor.text().lines().next().unwrap_or("");
                t.paint(
                    theme::SECONDARY,
                    &text::truncate(&format!("> {}", text::sanitize(first)), w - 1),
                )
            });
            let extra = 1 + usize::from(typed.is_some());
            let room = max.saturating_sub(rows.len() + extra).max(4);
            let (lines, cursor) = p.render(&t, w, room);
            let off = rows.len();
            rows.extend(lines);
            rows.extend(typed);
            rows.push(footer);
            return (rows, cursor.map(|(r, c)| (r + off, c)));
        }
        if let Some(p) = &self.picker {
            let room = max.saturating_sub(rows.len() + 1).max(4);
            let (lines, cursor) = p.render(&t, w, room);
            let off = rows.len();
            rows.extend(lines);
            rows.push(footer);
            return (rows, cursor.map(|(r, c)| (r + off, c)));
        }
        let view = self.editor.view("> ", w);
        let menu_rows: Vec<String> = self.menu_rows();
        let fixed = rows.len() + menu_rows.len() + 2;
        let room = max.saturating_sub(fixed).max(1);
        // Show the part of a tall input around the cursor.
        let (start, end) = if view.rows.len() > room {
            let s = view.cursor.0.saturating_sub(room - 1);
            (s, s + room)
        } else {
            (0, view.rows.len())
        };
        let off = rows.len();
        for (i, r) in view.rows[start..end].iter().enumerate() {
            if start + i == 0 {
                rows.push(format!(
                    "{}{}",
                    t.paint(Style::plain().bold(), ">"),
                    r.strip_prefix('>').unwrap_or(r)
                ));
            } else {
                rows.push(r.clone());
            }
        }
        let cursor = (off + view.cursor.0 - start, view.cursor.1);
        rows.push(t.paint(theme::SECONDARY, &"─".repeat(w.saturating_sub(1))));
        rows.extend(menu_rows);
        rows.push(footer);
        rows.extend(self.status_rows());
        (rows, Some(cursor))
    }

    /// The `statusLine` command's text (plain: its colours are dropped), one row per line.
    fn status_rows(&self) -> Vec<String> {
        let Some((_, rx)) = &self.status_line else {
            return Vec::new();
        };
        let w = self.width();
        rx.borrow()
            .as_deref()
            .map(|s| {
                s.lines()
                    .map(|l| {
                        text::truncate(&text::sanitize(&text::strip_ansi(l)), w.saturating_sub(1))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn menu_rows(&self) -> Vec<String> {
        let Some(m) = &self.menu else {
            return Vec::new();
        };
        let t = self.theme;
        let w = self.width();
        let items = &m.completion.items;
        if items.is_empty() {
            let word = complete::at_word(self.editor.before_cursor()).unwrap_or("@");
            let line = format!("  no file matches {word}");
            return vec![t.paint(
                theme::WARN,
                &text::truncate(&text::sanitize(&line), w.saturating_sub(1)),
            )];
        }
        let sel = m.selected.unwrap_or(usize::MAX);
        let start = if sel != usize::MAX && sel >= MENU_ROWS {
            sel + 1 - MENU_ROWS
        } else {
            0
        };
        let name_w = items
            .iter()
            .map(|c| text::width(&c.value))
            .max()
            .unwrap_or(0)
            .min(32);
        let mut out = Vec::new();
        for (i, c) in items.iter().enumerate().skip(start).take(MENU_ROWS) {
            let pad = name_w.saturating_sub(text::width(&c.value));
            let line = format!("  {}{}  {}", c.value, " ".repeat(pad), c.detail);
            let line = text::truncate(&line, w.saturating_sub(1));
            // The description is dimmed, unless the cut ended the row (with `…`) before it.
            let split = line.len().min(2 + c.value.len() + pad);
            out.push(if i == sel {
                t.paint(theme::SELECTED, &line)
            } else if c.detail.is_empty() || !line.is_char_boundary(split) {
                line
            } else {
                let (a, b) = line.split_at(split);
                format!("{}{}", a, t.paint(theme::SECONDARY, b))
            });
        }
        if items.len() > MENU_ROWS + start {
            out.push(t.paint(
                theme::SECONDARY,
                &format!("  … {} more", items.len() - MENU_ROWS - start),
            ));
        }
        out
    }

    pub(super) fn footer(&self) -> String {
        let t = self.theme;
        let w = self.width();
        let (label, style) = match &self.hint {
            Some(h) => (h.clone(), theme::WARN),
            None => self.mode_label(),
        };
        let model = ccrs_core::models::info(&self.model)
            .map(|m| m.display.to_string())
            .unwrap_or_else(|| self.model.clone());
        let right = model;
        let left = format!("  {label}");
        let gap = w
            .saturating_sub(1)
            .saturating_sub(text::width(&left) + text::width(&right));
        if gap < 2 {
            return t.paint(style, &text::truncate(&left, w.saturating_sub(1)));
        }
        format!(
            "{}{}{}",
            t.paint(style, &left),
            " ".repeat(gap),
            t.paint(theme::SECONDARY, &right)
        )
    }

    /// Asks for a frame: now if the last one is old enough, else at the next frame slot.
    pub(super) fn request_draw(&mut self) {
        if self.draw_at.is_none() {
            let due = self.last_draw + FRAME_INTERVAL;
            self.draw_at = Some(due);
        }
    }

    pub(super) fn draw_if_due(&mut self) {
        if let Some(at) = self.draw_at
            && Instant::now() >= at
        {
            self.draw_now();
        }
    }

    pub(super) fn draw_now(&mut self) {
        self.draw_at = None;
        self.last_draw = Instant::now();
        // The size now, not the last resize event's: a frame laid out for a wider terminal
        // than the real one would wrap and leave stale rows behind.
        if let Ok((w, h)) = crossterm::terminal::size()
            && (w as usize, h as usize) != self.screen.size()
        {
            self.resize(w, h);
        }
        let (live, cursor) = self.live();
        let scroll = std::mem::take(&mut self.pending);
        // A write error means the terminal is gone; the next read will end the session.
        let _ = self.screen.frame(&scroll, &live, cursor);
    }
}
