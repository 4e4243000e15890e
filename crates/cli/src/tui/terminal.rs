//! The terminal: raw mode and its restoration, and the inline "live region".
//!
//! Output is written into the terminal's normal screen (no alternate screen), so the native
//! scrollback, search and selection keep working. Finished lines are printed once, above the
//! live region, and are never touched again. The live region (spinner, input editor, prompt,
//! status line) is the only part redrawn: the cursor goes back to the region's first row,
//! clears to the end of the screen and writes the new region, all inside one DEC 2026
//! synchronized-output frame so the terminal shows no intermediate state.

use super::text;
use super::theme::RESET;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

const BSU: &str = "\x1b[?2026h";
const ESU: &str = "\x1b[?2026l";

/// Draws frames on a writer. Generic so tests can render into a buffer and a vt100 parser.
pub struct Screen<W: Write> {
    out: W,
    width: usize,
    height: usize,
    /// The terminal cursor's row within the live region.
    cursor_row: usize,
    last_live: Vec<String>,
    last_cursor: Option<(usize, usize)>,
    drawn: bool,
}

impl<W: Write> Screen<W> {
    pub fn new(out: W, width: u16, height: u16) -> Self {
        Screen {
            out,
            width: width.max(1) as usize,
            height: height.max(1) as usize,
            cursor_row: 0,
            last_live: Vec::new(),
            last_cursor: None,
            drawn: false,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Most rows the live region may take (one row of the screen always shows output).
    pub fn max_live_rows(&self) -> usize {
        self.height.saturating_sub(1).max(1)
    }

    /// The terminal changed size: the next frame redraws the live region in full.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width.max(1) as usize;
        self.height = height.max(1) as usize;
        // The old region's rows were at most the old width wide; a narrower terminal that
        // does not reflow cuts them, one that reflows may push the cursor down. Going back to
        // the cursor's row in the region and clearing below is right for the first kind and
        // leaves at most a stale row for the second.
        self.drawn = false;
    }

    /// Forces the next frame to redraw even if nothing changed (Ctrl-L).
    pub fn invalidate(&mut self) {
        self.drawn = false;
    }

    /// Prints `scroll` lines into the scrollback (above the live region) and redraws the live
    /// region as `live`, with the cursor at `cursor` (row, column) or hidden.
    pub fn frame(
        &mut self,
        scroll: &[String],
        live: &[String],
        cursor: Option<(usize, usize)>,
    ) -> io::Result<()> {
        if scroll.is_empty() && self.drawn && live == self.last_live && cursor == self.last_cursor {
            return Ok(());
        }
        // Keep the region within the screen: drop rows from the top, keeping the cursor's.
        let max = self.max_live_rows();
        let (live, cursor) = if live.len() > max {
            let keep_from = match cursor {
                Some((r, _)) if r >= max => r + 1 - max,
                _ => 0,
            };
            let slice = &live[keep_from..(keep_from + max).min(live.len())];
            (slice, cursor.map(|(r, c)| (r.saturating_sub(keep_from), c)))
        } else {
            (live, cursor)
        };
        let limit = self.width.saturating_sub(1).max(1);
        let mut buf = String::with_capacity(256 + scroll.iter().map(String::len).sum::<usize>());
        buf.push_str(BSU);
        buf.push_str("\x1b[?25l");
        buf.push('\r');
        if self.cursor_row > 0 {
            buf.push_str(&format!("\x1b[{}A", self.cursor_row));
        }
        buf.push_str("\x1b[J");
        for line in scroll {
            buf.push_str(line);
            buf.push_str(RESET);
            buf.push_str("\r\n");
        }
        for (i, line) in live.iter().enumerate() {
            if i > 0 {
                buf.push_str("\r\n");
            }
            buf.push_str(&truncate_ansi(line, limit));
            buf.push_str(RESET);
        }
        let last = live.len().saturating_sub(1);
        // Where the cursor rests: the editor's cursor, else the region's first row (a row
        // that survives a resize best).
        let (row, col) = cursor.unwrap_or((0, 0));
        let row = row.min(last);
        if last > row {
            buf.push_str(&format!("\x1b[{}A", last - row));
        }
        buf.push('\r');
        let col = col.min(limit);
        if col > 0 {
            buf.push_str(&format!("\x1b[{col}C"));
        }
        if cursor.is_some() {
            buf.push_str("\x1b[?25h");
        }
        buf.push_str(ESU);
        self.out.write_all(buf.as_bytes())?;
        self.out.flush()?;
        self.cursor_row = row;
        self.last_live = live.to_vec();
        self.last_cursor = cursor;
        self.drawn = true;
        Ok(())
    }

    /// Erases the live region (before exit or handing the terminal to someone else); the
    /// cursor is left at the start of the region.
    pub fn clear_live(&mut self) -> io::Result<()> {
        let mut buf = String::from(BSU);
        buf.push('\r');
        if self.cursor_row > 0 {
            buf.push_str(&format!("\x1b[{}A", self.cursor_row));
        }
        buf.push_str("\x1b[J\x1b[?25h");
        buf.push_str(ESU);
        self.out.write_all(buf.as_bytes())?;
        self.out.flush()?;
        self.cursor_row = 0;
        self.last_live.clear();
        self.drawn = false;
        Ok(())
    }

    /// Rows of the live region on screen now.
    #[cfg(test)]
    pub fn live_rows(&self) -> usize {
        self.last_live.len()
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Cuts a line with escape sequences to `max` columns (escapes are kept, text is dropped).
pub fn truncate_ansi(s: &str, max: usize) -> String {
    if text::width(s) <= max {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut w = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            if chars.peek() == Some(&'[') {
                for d in chars.by_ref() {
                    out.push(d);
                    if ('\x40'..='\x7e').contains(&d) && d != '[' {
                        break;
                    }
                }
            }
            continue;
        }
        let cw = text::char_width(c);
        if w + cw > max {
            // Skip the rest of the text but keep escapes (a reset at the end still applies).
            continue;
        }
        w += cw;
        out.push(c);
    }
    out
}

static RAW: AtomicBool = AtomicBool::new(false);
static KEYBOARD_FLAGS: AtomicBool = AtomicBool::new(false);

/// Puts the terminal into the mode the UI needs: raw input, bracketed paste, and the kitty
/// keyboard protocol's unambiguous keys where the terminal supports it (Shift-Enter, Esc
/// without delay).
pub fn enter() -> io::Result<()> {
    use crossterm::event::{
        EnableBracketedPaste, KeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
    };
    crossterm::terminal::enable_raw_mode()?;
    RAW.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    crossterm::execute!(out, EnableBracketedPaste)?;
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    if !dumb && crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false) {
        crossterm::execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        KEYBOARD_FLAGS.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// Gives the terminal back as it was. Safe to call more than once, and from the panic hook.
pub fn restore() {
    use crossterm::event::{DisableBracketedPaste, PopKeyboardEnhancementFlags};
    let mut out = io::stdout();
    if KEYBOARD_FLAGS.swap(false, Ordering::SeqCst) {
        let _ = crossterm::execute!(out, PopKeyboardEnhancementFlags);
    }
    if RAW.swap(false, Ordering::SeqCst) {
        let _ = crossterm::execute!(out, DisableBracketedPaste);
        let _ = out.write_all(b"\x1b[0m\x1b[?25h\x1b[?2026l");
        let _ = out.flush();
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Restores the terminal before a panic message is printed, so it is readable and the shell
/// works afterwards.
pub fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let _ = io::stdout().write_all(b"\r\n");
        prev(info);
    }));
}

/// Restores the terminal when dropped (early returns, errors).
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen_text(bytes: &[u8], w: u16, h: u16) -> (String, (u16, u16)) {
        let mut p = vt100::Parser::new(h, w, 100);
        p.process(bytes);
        (p.screen().contents(), p.screen().cursor_position())
    }

    #[test]
    fn scrollback_lines_are_printed_once_above_the_live_region() {
        let mut s = Screen::new(Vec::new(), 40, 10);
        s.frame(
            &[],
            &["".into(), "> hel".into(), "── status".into()],
            Some((1, 5)),
        )
        .unwrap();
        s.frame(
            &["● first answer".into()],
            &["".into(), "> hello".into(), "── status".into()],
            Some((1, 7)),
        )
        .unwrap();
        s.frame(
            &["  second".into()],
            &["".into(), "> ".into(), "── busy".into()],
            Some((1, 2)),
        )
        .unwrap();
        let (text, cursor) = screen_text(&s.into_inner(), 40, 10);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, ["● first answer", "  second", "", "> ", "── busy"]);
        assert_eq!(cursor, (3, 2));
    }

    #[test]
    fn unchanged_frames_write_nothing() {
        let mut s = Screen::new(Vec::new(), 40, 10);
        s.frame(&[], &["> a".into()], Some((0, 3))).unwrap();
        let n = s.out.len();
        s.frame(&[], &["> a".into()], Some((0, 3))).unwrap();
        assert_eq!(s.out.len(), n);
        let out = String::from_utf8(s.into_inner()).unwrap();
        assert!(out.starts_with(BSU) && out.ends_with(ESU));
    }

    #[test]
    fn live_region_never_exceeds_the_screen_and_scrolls_output() {
        let mut s = Screen::new(Vec::new(), 20, 5);
        let out: Vec<String> = (0..8).map(|i| format!("line {i}")).collect();
        let live: Vec<String> = (0..10).map(|i| format!("live {i}")).collect();
        s.frame(&out, &live, Some((9, 6))).unwrap();
        assert_eq!(s.live_rows(), 4);
        let mut p = vt100::Parser::new(5, 20, 100);
        p.process(&s.into_inner());
        let rows: Vec<String> = p.screen().rows(0, 20).collect();
        assert_eq!(rows, ["line 7", "live 6", "live 7", "live 8", "live 9"]);
        // The earlier lines went to the scrollback.
        p.screen_mut().set_scrollback(3);
        let first: Vec<String> = p.screen().rows(0, 20).take(1).collect();
        assert_eq!(first, ["line 4"]);
    }

    #[test]
    fn long_live_rows_are_cut_to_the_width() {
        let mut s = Screen::new(Vec::new(), 10, 5);
        s.frame(
            &[],
            &["\x1b[31m0123456789abcdef\x1b[0m".into(), "x".into()],
            None,
        )
        .unwrap();
        let (text, _) = screen_text(&s.into_inner(), 10, 5);
        assert_eq!(text.lines().collect::<Vec<_>>(), ["012345678", "x"]);
    }

    #[test]
    fn resize_redraws_the_region_in_place() {
        let mut s = Screen::new(Vec::new(), 40, 10);
        s.frame(
            &["out".into()],
            &["".into(), "> abc".into(), "status".into()],
            Some((1, 5)),
        )
        .unwrap();
        s.resize(30, 8);
        s.frame(
            &[],
            &["".into(), "> abc".into(), "status 2".into()],
            Some((1, 5)),
        )
        .unwrap();
        let (text, cursor) = screen_text(&s.into_inner(), 40, 10);
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            ["out", "", "> abc", "status 2"]
        );
        assert_eq!(cursor, (2, 5));
    }
}
