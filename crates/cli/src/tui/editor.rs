//! The input line editor: a text buffer with a cursor, Emacs-style keys, multi-line input, and
//! pasted blocks kept as compact placeholders. Key handling lives in the session loop; this
//! module is pure (no terminal), so every edit is unit-tested.
//!
//! The cursor moves over, and Backspace/Delete remove, whole grapheme clusters: a flag, an
//! emoji ZWJ sequence or a letter with its combining marks is one step, never half of one.
//! Rows wrap at word boundaries.

use super::text::{self, grapheme_width};
use unicode_segmentation::UnicodeSegmentation;

/// A paste with at least this many lines (or `PASTE_CHARS` characters) becomes a placeholder.
const PASTE_LINES: usize = 3;
const PASTE_CHARS: usize = 800;

#[derive(Debug, Default)]
pub struct Editor {
    buf: String,
    /// Byte offset in `buf`, always on a char boundary.
    cursor: usize,
    /// (placeholder, content) of pasted blocks.
    pastes: Vec<(String, String)>,
    paste_count: usize,
    /// The last killed text (Ctrl-Y yanks it back).
    kill: String,
    /// Column kept while moving up and down.
    goal_col: Option<usize>,
}

/// The editor laid out for display.
#[derive(Debug, PartialEq, Eq)]
pub struct View {
    /// Plain rows (prompt included), each narrower than the width.
    pub rows: Vec<String>,
    /// Row and column of the cursor.
    pub cursor: (usize, usize),
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Editor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn text(&self) -> &str {
        &self.buf
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    #[cfg(test)]
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replaces the content (history recall); the cursor goes to the end.
    pub fn set(&mut self, s: &str) {
        self.buf = s.to_string();
        self.cursor = self.buf.len();
        self.goal_col = None;
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.cursor = 0;
        self.pastes.clear();
        self.goal_col = None;
    }

    /// Takes the input: (what it looks like, with placeholders; what is sent, pastes expanded).
    pub fn take(&mut self) -> (String, String) {
        let shown = std::mem::take(&mut self.buf);
        let mut sent = shown.clone();
        for (token, content) in &self.pastes {
            sent = sent.replace(token, content);
        }
        self.clear();
        (shown, sent)
    }

    /// The text before the cursor (for completion).
    pub fn before_cursor(&self) -> &str {
        &self.buf[..self.cursor]
    }

    /// Replaces `len` bytes before the cursor with `with` (completion).
    pub fn replace_before_cursor(&mut self, len: usize, with: &str) {
        let start = self.cursor.saturating_sub(len);
        if !self.buf.is_char_boundary(start) {
            return;
        }
        self.buf.replace_range(start..self.cursor, with);
        self.cursor = start + with.len();
        self.goal_col = None;
    }

    pub fn insert_char(&mut self, c: char) {
        if c.is_control() && c != '\n' && c != '\t' {
            return;
        }
        self.buf.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        self.goal_col = None;
    }

    pub fn insert_str(&mut self, s: &str) {
        let clean: String = s
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect();
        self.buf.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
        self.goal_col = None;
    }

    /// A bracketed paste: one block of text, shown compactly when it is long.
    pub fn paste(&mut self, s: &str) {
        let norm = s.replace("\r\n", "\n").replace('\r', "\n");
        let lines = norm.lines().count();
        if lines >= PASTE_LINES || norm.len() >= PASTE_CHARS {
            self.paste_count += 1;
            let token = format!("[Pasted text #{} +{} lines]", self.paste_count, lines);
            self.pastes.push((token.clone(), norm));
            self.insert_str(&token);
        } else {
            self.insert_str(&norm);
        }
    }

    /// The start of the grapheme cluster before `i`. Only the current line is segmented (a
    /// cluster never spans a newline), so a long input costs no more than its line.
    fn prev_boundary(&self, i: usize) -> usize {
        let line = self.buf[..i].rfind('\n').map_or(0, |n| n + 1);
        if line == i {
            return i.saturating_sub(1);
        }
        self.buf[line..i]
            .grapheme_indices(true)
            .next_back()
            .map_or(line, |(j, _)| line + j)
    }

    /// The end of the grapheme cluster at `i`.
    fn next_boundary(&self, i: usize) -> usize {
        let end = self.buf[i..].find('\n').map_or(self.buf.len(), |n| i + n);
        if end == i {
            return (i + 1).min(self.buf.len());
        }
        self.buf[i..end]
            .graphemes(true)
            .next()
            .map_or(end, |g| i + g.len())
    }

    /// A placeholder ending exactly at the cursor, if any.
    fn placeholder_before_cursor(&self) -> Option<usize> {
        let before = &self.buf[..self.cursor];
        self.pastes
            .iter()
            .find(|(t, _)| before.ends_with(t.as_str()))
            .map(|(t, _)| t.len())
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        let start = match self.placeholder_before_cursor() {
            Some(len) => self.cursor - len,
            None => self.prev_boundary(self.cursor),
        };
        self.buf.replace_range(start..self.cursor, "");
        self.cursor = start;
        self.goal_col = None;
    }

    pub fn delete(&mut self) {
        if self.cursor >= self.buf.len() {
            return;
        }
        let end = self.next_boundary(self.cursor);
        self.buf.replace_range(self.cursor..end, "");
        self.goal_col = None;
    }

    pub fn left(&mut self) {
        self.cursor = self.prev_boundary(self.cursor);
        self.goal_col = None;
    }

    pub fn right(&mut self) {
        self.cursor = self.next_boundary(self.cursor);
        self.goal_col = None;
    }

    fn line_start(&self) -> usize {
        self.buf[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.buf[self.cursor..]
            .find('\n')
            .map_or(self.buf.len(), |i| self.cursor + i)
    }

    pub fn home(&mut self) {
        self.cursor = self.line_start();
        self.goal_col = None;
    }

    pub fn end(&mut self) {
        self.cursor = self.line_end();
        self.goal_col = None;
    }

    fn word_left_pos(&self) -> usize {
        let mut i = self.cursor;
        // Skip separators, then the word.
        while i > 0 {
            let p = self.prev_boundary(i);
            if self.buf[p..i].chars().next().is_some_and(is_word) {
                break;
            }
            i = p;
        }
        while i > 0 {
            let p = self.prev_boundary(i);
            if !self.buf[p..i].chars().next().is_some_and(is_word) {
                break;
            }
            i = p;
        }
        i
    }

    fn word_right_pos(&self) -> usize {
        let mut i = self.cursor;
        let n = self.buf.len();
        while i < n {
            let c = self.buf[i..].chars().next();
            if c.is_some_and(is_word) {
                break;
            }
            i = self.next_boundary(i);
        }
        while i < n {
            let c = self.buf[i..].chars().next();
            if !c.is_some_and(is_word) {
                break;
            }
            i = self.next_boundary(i);
        }
        i
    }

    pub fn word_left(&mut self) {
        self.cursor = self.word_left_pos();
        self.goal_col = None;
    }

    pub fn word_right(&mut self) {
        self.cursor = self.word_right_pos();
        self.goal_col = None;
    }

    fn kill_range(&mut self, a: usize, b: usize) {
        if a >= b {
            return;
        }
        self.kill = self.buf[a..b].to_string();
        self.buf.replace_range(a..b, "");
        self.cursor = a;
        self.goal_col = None;
    }

    /// Ctrl-W / Alt-Backspace: the word before the cursor (whitespace-delimited, like a shell).
    pub fn kill_word_back(&mut self) {
        let before = &self.buf[..self.cursor];
        let trimmed = before.trim_end_matches([' ', '\t']);
        let mut start = trimmed.rfind([' ', '\t', '\n']).map_or(0, |i| i + 1);
        if start == self.cursor && start > 0 {
            // At a line start: join with the previous line.
            start = self.prev_boundary(start);
        }
        self.kill_range(start, self.cursor);
    }

    /// Alt-D: the word after the cursor.
    pub fn kill_word_forward(&mut self) {
        let end = self.word_right_pos();
        self.kill_range(self.cursor, end);
    }

    /// Ctrl-U: to the start of the line (or the newline before, at a line start).
    pub fn kill_to_start(&mut self) {
        let s = self.line_start();
        if s == self.cursor && s > 0 {
            self.kill_range(s - 1, self.cursor);
        } else {
            self.kill_range(s, self.cursor);
        }
    }

    /// Ctrl-K: to the end of the line (or the newline, at a line end).
    pub fn kill_to_end(&mut self) {
        let e = self.line_end();
        if e == self.cursor && e < self.buf.len() {
            self.kill_range(self.cursor, e + 1);
        } else {
            self.kill_range(self.cursor, e);
        }
    }

    /// Ctrl-Y.
    pub fn yank(&mut self) {
        let k = self.kill.clone();
        self.insert_str(&k);
    }

    /// Rows of the buffer for content width `w`: (byte start, byte end) per visual row, with
    /// the prompt width `pw` taken from every row.
    fn visual_rows(&self, width: usize, pw: usize) -> Vec<(usize, usize)> {
        // One column stays free so the cursor never sits past the edge.
        let cw = width.saturating_sub(pw + 1).max(1);
        let mut rows = Vec::new();
        let mut start = 0;
        for line in self.buf.split('\n') {
            for (a, b) in text::word_wrap_ranges(line, cw) {
                rows.push((start + a, start + b));
            }
            start += line.len() + 1;
        }
        rows
    }

    fn cursor_row(&self, rows: &[(usize, usize)]) -> usize {
        let mut found = 0;
        for (i, (a, b)) in rows.iter().enumerate() {
            if self.cursor >= *a && self.cursor <= *b {
                found = i;
                // The end of a wrapped row is the start of the next one: prefer the next.
                if self.cursor < *b {
                    return i;
                }
            }
        }
        found
    }

    fn col_in_row(&self, row: (usize, usize)) -> usize {
        text::width(&self.buf[row.0..self.cursor.min(row.1).max(row.0)])
    }

    fn offset_at_col(&self, row: (usize, usize), col: usize) -> usize {
        let mut w = 0;
        for (i, g) in text::graphemes(&self.buf[row.0..row.1]) {
            let gw = grapheme_width(g);
            if w + gw > col {
                return row.0 + i;
            }
            w += gw;
        }
        row.1
    }

    /// Moves the cursor one visual row up (`-1`) or down (`1`). Returns false at the first or
    /// last row (the caller then walks the history).
    pub fn vertical(&mut self, delta: i32, width: usize, prompt_width: usize) -> bool {
        let rows = self.visual_rows(width, prompt_width);
        let r = self.cursor_row(&rows);
        let target = r as i64 + delta as i64;
        if target < 0 || target >= rows.len() as i64 {
            return false;
        }
        let col = self.goal_col.unwrap_or_else(|| self.col_in_row(rows[r]));
        let t = rows[target as usize];
        self.cursor = self.offset_at_col(t, col);
        self.goal_col = Some(col);
        true
    }

    /// Lays the buffer out: `prompt` before the first row, as many spaces before the others.
    pub fn view(&self, prompt: &str, width: usize) -> View {
        let pw = text::width(prompt);
        let rows = self.visual_rows(width, pw);
        let cr = self.cursor_row(&rows);
        let pad = " ".repeat(pw);
        let mut out = Vec::with_capacity(rows.len());
        for (i, (a, b)) in rows.iter().enumerate() {
            let lead = if i == 0 { prompt } else { &pad };
            out.push(format!("{lead}{}", self.buf[*a..*b].replace('\t', "    ")));
        }
        let col = pw + self.col_in_row(rows[cr]);
        View {
            rows: out,
            cursor: (cr, col),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed(s: &str) -> Editor {
        let mut e = Editor::new();
        e.insert_str(s);
        e
    }

    #[test]
    fn insert_and_move() {
        let mut e = ed("héllo");
        e.left();
        e.left();
        e.insert_char('X');
        assert_eq!(e.text(), "hélXlo");
        e.home();
        e.insert_char('>');
        e.end();
        e.insert_char('<');
        assert_eq!(e.text(), ">hélXlo<");
    }

    #[test]
    fn word_motions_and_kills() {
        let mut e = ed("git commit -m message");
        e.word_left();
        assert_eq!(&e.text()[e.cursor()..], "message");
        e.word_left();
        assert_eq!(&e.text()[e.cursor()..], "m message");
        e.word_right();
        assert_eq!(&e.text()[e.cursor()..], " message");
        e.end();
        e.kill_word_back();
        assert_eq!(e.text(), "git commit -m ");
        e.yank();
        assert_eq!(e.text(), "git commit -m message");
        e.home();
        e.word_right();
        e.kill_to_end();
        assert_eq!(e.text(), "git");
        e.kill_to_start();
        assert_eq!(e.text(), "");
        assert!(e.is_empty());
    }

    #[test]
    fn ctrl_w_on_trailing_spaces_takes_the_word_too() {
        let mut e = ed("one two   ");
        e.kill_word_back();
        assert_eq!(e.text(), "one ");
    }

    #[test]
    fn multiline_vertical_moves_then_reports_edges() {
        let mut e = ed("first line\nsecond\nthird line here");
        assert!(!e.vertical(1, 80, 2));
        assert!(e.vertical(-1, 80, 2));
        // Column clamps to the shorter line.
        assert_eq!(&e.text()[..e.cursor()], "first line\nsecond");
        assert!(e.vertical(-1, 80, 2));
        assert!(!e.vertical(-1, 80, 2));
    }

    #[test]
    fn wide_chars_wrap_and_cursor_column() {
        let e = ed("日本語のテキスト");
        // Width 10, prompt 2, one free column: 7 columns → 3 wide chars per row.
        let v = e.view("> ", 10);
        assert_eq!(v.rows, vec!["> 日本語", "  のテキ", "  スト"]);
        assert_eq!(v.cursor, (2, 6));
        for r in &v.rows {
            assert!(text::width(r) < 10);
        }
    }

    #[test]
    fn cursor_at_wrap_point_sits_on_next_row() {
        let mut e = ed("abcdefg");
        // Content width 10 - 2 - 1 = 7: the whole text fills row 0 exactly.
        let v = e.view("> ", 10);
        assert_eq!(v.rows, vec!["> abcdefg"]);
        assert_eq!(v.cursor, (0, 9));
        e.insert_char('h');
        let v = e.view("> ", 10);
        assert_eq!(v.rows, vec!["> abcdefg", "  h"]);
        assert_eq!(v.cursor, (1, 3));
    }

    #[test]
    fn paste_placeholder_expands_and_deletes_whole() {
        let mut e = ed("look: ");
        e.paste("a\r\nb\r\nc\r\n");
        assert_eq!(e.text(), "look: [Pasted text #1 +3 lines]");
        let mut e2 = Editor::new();
        e2.paste("x\ny\nz");
        e2.backspace();
        assert_eq!(e2.text(), "");
        e.insert_char('!');
        let (shown, sent) = e.take();
        assert_eq!(shown, "look: [Pasted text #1 +3 lines]!");
        assert_eq!(sent, "look: a\nb\nc\n!");
        assert!(e.is_empty());
    }

    #[test]
    fn short_paste_is_inserted_and_controls_dropped() {
        let mut e = Editor::new();
        e.paste("ab\x1b[31mc");
        assert_eq!(e.text(), "ab[31mc");
    }

    #[test]
    fn backspace_delete_and_moves_take_whole_clusters() {
        let flag = "🇫🇷";
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
        let accent = "e\u{301}";
        let hangul = "\u{1100}\u{1161}\u{11a8}";
        let thumbs = "👍\u{1f3fd}";
        for cluster in [flag, family, accent, hangul, thumbs] {
            let mut e = ed(&format!("a{cluster}b"));
            e.left();
            e.backspace();
            assert_eq!(e.text(), "ab", "{cluster:?}");
            let mut e = ed(&format!("a{cluster}b"));
            e.home();
            e.right();
            e.delete();
            assert_eq!(e.text(), "ab", "{cluster:?}");
            let mut e = ed(&format!("{cluster}{cluster}"));
            e.left();
            assert_eq!(e.cursor(), cluster.len(), "{cluster:?}");
            e.insert_char('|');
            assert_eq!(e.text(), format!("{cluster}|{cluster}"));
        }
        // Two flags side by side are two clusters, not one run of regional indicators.
        let mut e = ed("🇫🇷🇩🇪");
        e.backspace();
        assert_eq!(e.text(), "🇫🇷");
        // Backspace at a line start joins the lines.
        let mut e = ed("ab\ncd");
        e.home();
        e.backspace();
        assert_eq!(e.text(), "abcd");
        e.end();
        e.left();
        e.left();
        e.left();
        e.delete();
        assert_eq!(e.text(), "acd");
    }

    #[test]
    fn vertical_moves_land_on_cluster_boundaries() {
        let mut e = ed("e\u{301}e\u{301}e\u{301}\nabc");
        assert!(e.vertical(-1, 80, 2));
        let at = e.cursor();
        assert!(e.text().is_char_boundary(at));
        assert_eq!(&e.text()[..at], "e\u{301}e\u{301}e\u{301}");
        e.left();
        assert_eq!(&e.text()[..e.cursor()], "e\u{301}e\u{301}");
    }

    #[test]
    fn rows_wrap_between_words() {
        let mut e = ed("please refactor the parser module");
        // Content width 19 - 2 - 1 = 16.
        let v = e.view("> ", 19);
        assert_eq!(
            v.rows,
            vec!["> please refactor ", "  the parser ", "  module"]
        );
        assert_eq!(v.cursor, (2, 8));
        // The cursor at the start of a wrapped word sits on that word's row.
        e.home();
        e.word_right();
        e.word_right();
        e.right();
        assert_eq!(e.view("> ", 19).cursor, (1, 2));
        // Up and down keep the column across word-wrapped rows.
        assert!(e.vertical(-1, 19, 2));
        assert_eq!(&e.text()[..e.cursor()], "");
    }

    #[test]
    fn tabs_render_as_spaces() {
        let e = ed("a\tb");
        let v = e.view("> ", 40);
        assert_eq!(v.rows, vec!["> a    b"]);
        assert_eq!(v.cursor, (0, 8));
    }
}
