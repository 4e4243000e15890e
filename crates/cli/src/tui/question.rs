//! The layout of a permission question in the live region, as a pure function of the content,
//! the window's size and a scroll offset (issue 20 points 1–2).
//!
//! The question's head (its title) and tail (the reason, "Do you want to proceed?" and the
//! options) always show; the body between them (the whole command, the diff) is never cut: when
//! it does not fit it scrolls, with a row above and below saying how much is hidden. Every line
//! is wrapped, never truncated, so the last line of a command and the rule that would be saved
//! are always reachable at any window size.

use super::text::{self, Span, paint};
use super::theme::{self, Style, Theme};

/// A line of the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyLine {
    /// Text (sanitised and word-wrapped here), with the indent of every row.
    Text {
        style: Style,
        text: String,
        indent: usize,
    },
    /// A row already laid out for the width (a diff row).
    Rendered(String),
}

impl BodyLine {
    pub fn text(style: Style, text: impl Into<String>, indent: usize) -> Self {
        BodyLine::Text {
            style,
            text: text.into(),
            indent,
        }
    }
}

/// A question laid out for one frame.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    pub rows: Vec<String>,
    /// The scroll offset used (the one asked for, clamped).
    pub scroll: usize,
    /// The largest useful offset (0 when the body fits).
    pub max_scroll: usize,
    /// Rows of the body shown per screen (what PgUp/PgDn moves by).
    pub page: usize,
}

/// The body's rows at `width`: text wrapped at word boundaries (a word longer than a row is
/// cut, never dropped), rendered rows as they are.
pub fn body_rows(theme: &Theme, body: &[BodyLine], width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in body {
        match line {
            BodyLine::Rendered(r) => out.push(r.clone()),
            BodyLine::Text {
                style,
                text: t,
                indent,
            } => {
                let clean = text::sanitize(t);
                for l in clean.split('\n') {
                    // A line's own indentation (a command's body) is kept, on every row.
                    let body = l.trim_start_matches(' ');
                    let lead = (indent + l.len() - body.len()).min(width / 2);
                    let pad = [Span::plain(" ".repeat(lead))];
                    let spans = [Span::new(*style, body)];
                    for row in text::wrap_spans(&spans, width.max(lead + 8), &pad, &pad) {
                        out.push(paint(theme, &row));
                    }
                }
            }
        }
    }
    out
}

/// Lays out head, body and tail in at most `height` rows of `width` columns, the body scrolled
/// by `scroll` rows. The tail is kept whole first (the options must be visible), then the head;
/// the body gets what is left, at least one row.
pub fn layout(
    theme: &Theme,
    head: &[String],
    body: &[BodyLine],
    tail: &[String],
    width: usize,
    height: usize,
    scroll: usize,
) -> Layout {
    let rows = body_rows(theme, body, width.saturating_sub(1));
    let fixed = head.len() + tail.len();
    let room = height.saturating_sub(fixed).max(1);
    let mut out: Vec<String> = head.to_vec();
    if rows.len() <= room {
        out.extend(rows);
        out.extend(tail.iter().cloned());
        return Layout {
            rows: out,
            scroll: 0,
            max_scroll: 0,
            page: room,
        };
    }
    // Scrolling: up to two rows say what is hidden above and below; the window gets the rest.
    let window = room.saturating_sub(2).max(1);
    let max_scroll = rows.len() - window;
    let scroll = scroll.min(max_scroll);
    let more = |s: String| theme.paint(theme::SECONDARY, &s);
    if room >= 3 {
        out.push(more(if scroll > 0 {
            format!("   ↑ {} more line{} above", scroll, plural(scroll))
        } else {
            String::new()
        }));
    }
    out.extend(rows[scroll..scroll + window].iter().cloned());
    let below = rows.len() - scroll - window;
    if room >= 2 {
        out.push(more(if below > 0 {
            format!(
                "   ↓ {} more line{} below · PgDn/PgUp to scroll",
                below,
                plural(below)
            )
        } else {
            String::new()
        }));
    }
    out.extend(tail.iter().cloned());
    Layout {
        rows: out,
        scroll,
        max_scroll,
        page: window,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(command: &str) -> (Vec<String>, Vec<BodyLine>, Vec<String>) {
        let t = Theme::PLAIN;
        let head = vec![
            t.paint(theme::PERMISSION, &"─".repeat(59)),
            t.paint(theme::PERMISSION, " Bash command"),
        ];
        let body = vec![
            BodyLine::text(Style::plain(), "", 0),
            BodyLine::text(Style::plain().bold(), command, 3),
            BodyLine::text(theme::SECONDARY, "Rename the text files", 3),
        ];
        let tail = vec![
            String::new(),
            " Bash(for f in *.txt; do mv \"$f\" \"${f%.txt}.md\"; done) needs approval".into(),
            " Do you want to proceed?".into(),
            " ❯ 1. Yes".into(),
            "   2. Yes, and don't ask again for".into(),
            "      Bash(for f in *.txt; do mv \"$f\" \"${f%.txt}.md\"; done)".into(),
            "   3. No, and tell ccrs what to do differently (esc)".into(),
        ];
        (head, body, tail)
    }

    const SIX_LINES: &str = "for f in *.txt; do\n  mv \"$f\" \"${f%.txt}.md\"\ndone\ngit add -A\ngit commit -m 'rename the text files to markdown, then record the change'\necho the last line of the command";

    #[test]
    fn a_six_line_command_scrolls_to_its_last_line_in_60x20() {
        let (head, body, tail) = question(SIX_LINES);
        // A 60x20 terminal: one row stays for the scrollback, the spinner takes three and the
        // status line one, which leaves 15 for the question.
        let h = 15;
        let top = layout(&Theme::PLAIN, &head, &body, &tail, 60, h, 0);
        assert!(top.rows.len() <= h);
        assert!(top.max_scroll > 0);
        insta::assert_snapshot!("question_60x20_top", top.rows.join("\n"));
        let end = layout(&Theme::PLAIN, &head, &body, &tail, 60, h, usize::MAX);
        assert_eq!(end.scroll, end.max_scroll);
        assert!(end.rows.len() <= h);
        assert!(
            end.rows
                .iter()
                .any(|r| r.contains("echo the last line of the command"))
        );
        insta::assert_snapshot!("question_60x20_end", end.rows.join("\n"));
        // The options are on screen at every offset.
        for s in 0..=end.max_scroll {
            let l = layout(&Theme::PLAIN, &head, &body, &tail, 60, h, s);
            assert!(l.rows.iter().any(|r| r.contains("3. No")), "{s}");
            assert!(l.rows.len() <= h);
        }
    }

    #[test]
    fn every_body_row_is_reachable_at_any_size() {
        let (head, body, tail) = question(SIX_LINES);
        for width in [20, 33, 60, 100] {
            let all = body_rows(&Theme::PLAIN, &body, width - 1);
            for height in [1, 5, 9, 12, 20, 40] {
                let mut seen = std::collections::BTreeSet::new();
                let first = layout(&Theme::PLAIN, &head, &body, &tail, width, height, 0);
                for s in 0..=first.max_scroll {
                    let l = layout(&Theme::PLAIN, &head, &body, &tail, width, height, s);
                    for r in &l.rows {
                        seen.insert(r.clone());
                    }
                }
                for r in &all {
                    assert!(seen.contains(r), "{width}x{height}: {r:?} never shown");
                }
            }
        }
        // Nothing is cut: every word of the command is on some row.
        let rows = body_rows(&Theme::PLAIN, &body, 19);
        let joined = rows.join(" ");
        for w in SIX_LINES.split_whitespace() {
            assert!(joined.contains(w), "{w:?}");
        }
        assert!(!joined.contains('…'));
    }

    #[test]
    fn rendered_rows_scroll_like_text() {
        let head = vec![" Edit file".to_string()];
        let body: Vec<BodyLine> = (1..=30)
            .map(|i| BodyLine::Rendered(format!("  {i:>2} +line {i}")))
            .collect();
        let tail = vec![" ❯ 1. Yes".to_string(), "   3. No".to_string()];
        let l = layout(&Theme::PLAIN, &head, &body, &tail, 40, 10, 100);
        assert_eq!(l.page, 5);
        assert_eq!(l.max_scroll, 25);
        assert_eq!(l.rows[1], "   ↑ 25 more lines above");
        assert_eq!(l.rows[6], "  30 +line 30");
        assert_eq!(l.rows.len(), 10);
    }

    #[test]
    fn a_body_that_fits_is_not_scrolled() {
        let (head, body, tail) = question("ls -la");
        let l = layout(&Theme::PLAIN, &head, &body, &tail, 60, 19, 5);
        assert_eq!(l.max_scroll, 0);
        assert_eq!(l.scroll, 0);
        assert!(!l.rows.iter().any(|r| r.contains("more line")));
        let colored = layout(&Theme::COLOR, &head, &body, &tail, 60, 19, 0);
        insta::assert_snapshot!("question_fits_colored", colored.rows.join("\n"));
    }
}
