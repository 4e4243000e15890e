//! Markdown text with line prefixes (block quotes, list items), collapsed whitespace and
//! inline markers written only once their element has content.

struct Prefix {
    first: String,
    rest: String,
    used: bool,
}

/// What is being collected verbatim instead of rendered.
pub(super) struct Capture {
    pub(super) pre: bool,
    pub(super) lang: String,
    pub(super) buf: String,
}

#[derive(Default)]
pub(super) struct Writer {
    out: String,
    prefixes: Vec<Prefix>,
    /// The current line has its prefix written.
    line_open: bool,
    /// The current line has content beyond its prefix.
    line_has_content: bool,
    /// Newlines wanted before the next content (1 = line break, 2 = blank line).
    pending_nl: usize,
    /// Newlines (including blank prefixed lines) at the end of `out`.
    trailing_nl: usize,
    pub(super) pending_space: bool,
    /// Opening markers (`**`, `[`, `## `) of elements that have no content yet; written with
    /// the first content so empty elements leave nothing behind.
    pub(super) pending_open: String,
    pub(super) capture: Option<Capture>,
}

impl Writer {
    pub(super) fn block(&mut self, n: usize) {
        self.pending_nl = self.pending_nl.max(n);
        self.pending_space = false;
    }

    pub(super) fn line_break(&mut self) {
        self.pending_nl = (self.pending_nl + 1).min(2);
        self.pending_space = false;
    }

    fn blank_prefix(&self) -> String {
        let mut p = String::new();
        for x in &self.prefixes {
            p.push_str(&x.rest);
        }
        p.trim_end().to_string()
    }

    /// Writes the newlines asked for so far (done before a prefix is pushed, so the break
    /// belongs to the outer context).
    fn flush_newlines(&mut self) {
        if self.out.is_empty() {
            self.pending_nl = 0;
            return;
        }
        let want = self.pending_nl.min(2);
        while self.trailing_nl < want {
            if self.trailing_nl > 0 {
                let p = self.blank_prefix();
                self.out.push_str(&p);
            }
            self.out.push('\n');
            self.trailing_nl += 1;
            self.line_open = false;
            self.line_has_content = false;
        }
        self.pending_nl = 0;
    }

    fn start_content(&mut self) {
        self.flush_newlines();
        if !self.line_open {
            for p in &mut self.prefixes {
                if p.used {
                    self.out.push_str(&p.rest);
                } else {
                    self.out.push_str(&p.first);
                    p.used = true;
                }
            }
            self.line_open = true;
            self.line_has_content = false;
            self.pending_space = false;
        }
    }

    /// Writes one inline piece (a word, an image, inline code) that contains no whitespace
    /// that should be collapsed.
    pub(super) fn word(&mut self, w: &str) {
        self.start_content();
        if self.pending_space && self.line_has_content {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push_str(&self.pending_open);
        self.pending_open.clear();
        self.out.push_str(w);
        self.line_has_content = true;
        self.trailing_nl = 0;
    }

    pub(super) fn text(&mut self, s: &str) {
        if let Some(c) = &mut self.capture {
            c.buf.push_str(s);
            return;
        }
        let is_space = |c: char| c.is_ascii_whitespace() || c == '\u{a0}';
        if s.starts_with(is_space) {
            self.pending_space = true;
        }
        let mut first = true;
        for w in s.split(is_space).filter(|w| !w.is_empty()) {
            if !first {
                self.pending_space = true;
            }
            self.word(w);
            first = false;
        }
        if s.ends_with(is_space) {
            self.pending_space = true;
        }
    }

    pub(super) fn open_marker(&mut self, m: &str) {
        self.pending_open.push_str(m);
    }

    /// Closes an inline marker: drops the opener if nothing was written since, else writes the
    /// closer right after the content (before any pending space).
    pub(super) fn close_marker(&mut self, open: &str, close: &str) {
        if !open.is_empty() && self.pending_open.ends_with(open) {
            let n = self.pending_open.len() - open.len();
            self.pending_open.truncate(n);
        } else {
            self.out.push_str(close);
            self.trailing_nl = 0;
        }
    }

    pub(super) fn push_prefix(&mut self, first: String, rest: String) {
        self.flush_newlines();
        // A prefix pushed mid-line (broken nesting) starts a new line.
        if self.line_open && self.line_has_content {
            self.pending_nl = 1;
            self.flush_newlines();
        }
        self.line_open = false;
        self.prefixes.push(Prefix {
            first,
            rest,
            used: false,
        });
    }

    pub(super) fn pop_prefix(&mut self) {
        self.prefixes.pop();
    }

    /// Writes preformatted lines as they are (each under the current prefixes).
    pub(super) fn raw_lines(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.pending_nl = 1;
            }
            self.start_content();
            self.out.push_str(line);
            self.line_has_content = true;
            self.trailing_nl = 0;
        }
    }

    /// The final text: lines right-trimmed, at most one blank line in a row outside fenced
    /// code (markers of an inline element can straddle block breaks in broken markup), no
    /// leading or trailing blank lines.
    pub(super) fn finish(self) -> String {
        let mut out = String::with_capacity(self.out.len());
        let mut in_fence = false;
        let mut blank_run = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if line.is_empty() && !in_fence {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.trim_matches('\n').to_string()
    }
}
