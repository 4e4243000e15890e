//! Bounded capture of a command's output: however much a command prints, ccrs keeps only a head
//! and a tail of fixed size plus counters, then renders the middle-truncated text.

/// Output cap when `BASH_MAX_OUTPUT_LENGTH` is unset or invalid (characters).
pub const DEFAULT_MAX_OUTPUT_CHARS: usize = 30_000;
/// Hard ceiling for `BASH_MAX_OUTPUT_LENGTH`.
pub const MAX_OUTPUT_CHARS_CEILING: usize = 150_000;

/// A UTF-8 char is at most 4 bytes: byte capacities of 4 × the char budget guarantee that output
/// within the char limit is never dropped.
const MAX_UTF8_LEN: usize = 4;

#[inline]
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Number of chars in a UTF-8 byte slice (bytes that start a char). Works a word at a time:
/// it runs over every byte a command prints.
pub fn count_chars(bytes: &[u8]) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0u64;
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let w = u64::from_ne_bytes(word);
        // A continuation byte has bit 7 set and bit 6 clear; `w << 1` moves bit 6 onto bit 7.
        let cont = w & !(w << 1) & HIGH;
        n += 8 - u64::from(cont.count_ones());
    }
    n + chunks
        .remainder()
        .iter()
        .filter(|&&b| !is_continuation(b))
        .count() as u64
}

/// Length of an incomplete UTF-8 sequence at the end of `bytes` (0 when it ends cleanly).
pub fn incomplete_utf8_suffix(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(MAX_UTF8_LEN - 1) {
        let b = bytes[n - back];
        if is_continuation(b) {
            continue;
        }
        let need = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if need > back { back } else { 0 };
    }
    0
}

/// Keeps the first `head_cap` bytes and the last `tail_cap` bytes of a stream.
#[derive(Debug)]
pub struct Capture {
    head: Vec<u8>,
    head_cap: usize,
    /// Ring storage; once full, `tail_start` is the oldest byte.
    tail: Vec<u8>,
    tail_cap: usize,
    tail_start: usize,
    total_bytes: u64,
    total_chars: u64,
    max_chars: usize,
}

impl Capture {
    /// A capture sized for a result of at most `max_chars` characters.
    pub fn new(max_chars: usize) -> Self {
        let max_chars = max_chars.max(2);
        let half = max_chars / 2;
        Capture {
            head: Vec::new(),
            head_cap: half * MAX_UTF8_LEN,
            tail: Vec::new(),
            tail_cap: (max_chars - half) * MAX_UTF8_LEN,
            tail_start: 0,
            total_bytes: 0,
            total_chars: 0,
            max_chars,
        }
    }

    pub fn push(&mut self, mut data: &[u8]) {
        self.total_bytes += data.len() as u64;
        self.total_chars += count_chars(data);
        if self.head.len() < self.head_cap {
            let n = (self.head_cap - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if !data.is_empty() {
            self.push_tail(data);
        }
    }

    fn push_tail(&mut self, mut data: &[u8]) {
        if self.tail_cap == 0 {
            return;
        }
        if data.len() >= self.tail_cap {
            self.tail.clear();
            self.tail
                .extend_from_slice(&data[data.len() - self.tail_cap..]);
            self.tail_start = 0;
            return;
        }
        if self.tail.len() < self.tail_cap {
            let n = (self.tail_cap - self.tail.len()).min(data.len());
            self.tail.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        while !data.is_empty() {
            let n = (self.tail_cap - self.tail_start).min(data.len());
            self.tail[self.tail_start..self.tail_start + n].copy_from_slice(&data[..n]);
            self.tail_start = (self.tail_start + n) % self.tail_cap;
            data = &data[n..];
        }
    }

    /// Bytes seen so far.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    fn tail_ordered(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.tail.len());
        v.extend_from_slice(&self.tail[self.tail_start..]);
        v.extend_from_slice(&self.tail[..self.tail_start]);
        v
    }

    /// The captured text: leading blank lines and trailing whitespace trimmed, middle-truncated to
    /// the char budget with a `[N characters truncated]` notice.
    pub fn finish(self) -> String {
        let dropped = self.total_bytes - (self.head.len() + self.tail.len()) as u64;
        let tail = self.tail_ordered();
        if dropped == 0 {
            let mut all = self.head;
            all.extend_from_slice(&tail);
            let text = String::from_utf8_lossy(&all);
            return truncate_middle(trim_output(&text), self.max_chars);
        }
        // The middle is gone: cut both halves at char boundaries and join them around the notice.
        let head_end = self.head.len() - incomplete_utf8_suffix(&self.head);
        let tail_begin = tail
            .iter()
            .position(|&b| !is_continuation(b))
            .unwrap_or(tail.len());
        let head_text = String::from_utf8_lossy(&self.head[..head_end]);
        let tail_text = String::from_utf8_lossy(&tail[tail_begin..]);
        let head_trimmed = trim_leading_blank_lines(&head_text);
        let tail_trimmed = tail_text.trim_end();
        let half = self.max_chars / 2;
        let head_keep = take_chars(head_trimmed, half);
        let tail_keep = last_chars(tail_trimmed, self.max_chars - half);
        // Trimmed whitespace is not "truncated" output.
        let trimmed = (head_text.chars().count() - head_trimmed.chars().count()
            + tail_text.chars().count()
            - tail_trimmed.chars().count()) as u64;
        let kept = (head_keep.chars().count() + tail_keep.chars().count()) as u64;
        let omitted = self.total_chars.saturating_sub(kept + trimmed);
        format!("{head_keep}{}{tail_keep}", notice(omitted))
    }
}

fn notice(omitted: u64) -> String {
    format!("\n\n... [{omitted} characters truncated] ...\n\n")
}

fn take_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn last_chars(s: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    match s.char_indices().rev().nth(n - 1) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

/// Removes leading lines that are blank (keeping the first real line's indentation).
pub fn trim_leading_blank_lines(s: &str) -> &str {
    match s.find(|c: char| !c.is_whitespace()) {
        None => "",
        Some(i) => {
            let line_start = s[..i].rfind('\n').map_or(0, |p| p + 1);
            &s[line_start..]
        }
    }
}

/// Leading blank lines and trailing whitespace removed.
pub fn trim_output(s: &str) -> &str {
    trim_leading_blank_lines(s).trim_end()
}

/// Keeps the first and last halves of `s` when it exceeds `max_chars`, with a notice between.
pub fn truncate_middle(s: &str, max_chars: usize) -> String {
    let total = s.chars().count();
    if total <= max_chars {
        return s.to_string();
    }
    let half = max_chars / 2;
    let head = take_chars(s, half);
    let tail = last_chars(s, max_chars - half);
    format!("{head}{}{tail}", notice((total - max_chars) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(max: usize, chunks: &[&[u8]]) -> String {
        let mut c = Capture::new(max);
        for ch in chunks {
            c.push(ch);
        }
        c.finish()
    }

    #[test]
    fn small_output_is_kept_and_trimmed() {
        assert_eq!(capture(100, &[b"\n  \n  a\nb  \n\n"]), "  a\nb");
        assert_eq!(capture(100, &[b"\n\n"]), "");
        assert_eq!(capture(100, &[b""]), "");
    }

    #[test]
    fn middle_is_truncated_with_count() {
        let s: String = (0..100)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let out = capture(20, &[s.as_bytes()]);
        assert!(out.starts_with(&s[..10]), "{out}");
        assert!(out.ends_with(&s[90..]), "{out}");
        assert!(
            out.contains("\n\n... [80 characters truncated] ...\n\n"),
            "{out}"
        );
    }

    #[test]
    fn huge_stream_keeps_head_and_tail_in_bounded_memory() {
        let mut c = Capture::new(40);
        c.push(b"HEAD-");
        let chunk = vec![b'x'; 4096];
        for _ in 0..1000 {
            c.push(&chunk);
        }
        c.push(b"-TAIL\n");
        assert!(c.head.len() <= 80 && c.tail.len() <= 80);
        assert_eq!(c.total_bytes(), 5 + 4096 * 1000 + 6);
        let out = c.finish();
        assert!(out.starts_with("HEAD-xxxxxxxxxxxxxxx"), "{out}");
        assert!(out.ends_with("xxxxxxxxxxxxxxx-TAIL"), "{out}");
        // Everything but the 40 chars kept and the trimmed trailing newline.
        let omitted = 5 + 4096 * 1000 + 6 - 40 - 1;
        assert!(
            out.contains(&format!("[{omitted} characters truncated]")),
            "{out}"
        );
    }

    #[test]
    fn ring_wraps_in_small_pieces() {
        let mut c = Capture::new(4); // head 8 bytes, tail 8 bytes
        for b in b"0123456789abcdefghijklmnopqrstuvwxyz".chunks(3) {
            c.push(b);
        }
        let out = c.finish();
        assert!(out.starts_with("01"), "{out}");
        assert!(out.ends_with("yz"), "{out}");
        assert!(out.contains("[32 characters truncated]"), "{out}");
    }

    #[test]
    fn multibyte_chars_split_across_chunks_and_boundaries() {
        let s = "é".repeat(5000) + "ü" + &"€".repeat(5000);
        let bytes = s.as_bytes();
        let mut c = Capture::new(1000);
        for ch in bytes.chunks(7) {
            c.push(ch);
        }
        let out = c.finish();
        assert!(!out.contains('\u{FFFD}'), "no replacement chars expected");
        assert!(out.starts_with(&"é".repeat(500)));
        assert!(out.ends_with(&"€".repeat(500)));
        assert!(
            out.contains("[9001 characters truncated]"),
            "{}",
            &out[990..1100]
        );
    }

    #[test]
    fn output_within_budget_is_never_dropped_even_multibyte() {
        let s = "€".repeat(30);
        assert_eq!(capture(30, &[s.as_bytes()]), s);
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        let mut data = vec![0x80u8; 1000];
        data.extend_from_slice(&[0xF0, 0x9F]);
        let out = capture(10, &[&data, &[0xFF, 0xC3]]);
        assert!(!out.is_empty());
    }

    #[test]
    fn char_count_matches_std() {
        let s = "aé€😀\n".repeat(37) + "xyz";
        for start in 0..5 {
            let b = &s.as_bytes()[start..];
            let expected = b.iter().filter(|&&x| x & 0xC0 != 0x80).count() as u64;
            assert_eq!(count_chars(b), expected);
        }
        assert_eq!(count_chars(s.as_bytes()), s.chars().count() as u64);
    }

    #[test]
    fn utf8_suffix_detection() {
        assert_eq!(incomplete_utf8_suffix(b"abc"), 0);
        assert_eq!(incomplete_utf8_suffix("é".as_bytes()), 0);
        assert_eq!(incomplete_utf8_suffix(&"€".as_bytes()[..2]), 2);
        assert_eq!(incomplete_utf8_suffix(&"😀".as_bytes()[..3]), 3);
        assert_eq!(incomplete_utf8_suffix(&"😀".as_bytes()[..1]), 1);
        assert_eq!(incomplete_utf8_suffix(b""), 0);
    }

    #[test]
    fn truncate_middle_and_trim() {
        assert_eq!(truncate_middle("abcdef", 6), "abcdef");
        assert_eq!(
            truncate_middle("abcdefgh", 4),
            "ab\n\n... [4 characters truncated] ...\n\ngh"
        );
        assert_eq!(trim_output("\n\n  x  \n"), "  x");
    }
}
