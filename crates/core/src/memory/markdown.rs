//! The two things memory files need from markdown, the way Claude Code's markdown lexer sees
//! them: HTML comment blocks (removed before the file reaches the model) and `@path` imports
//! (found in text only, never in code blocks or code spans).

/// A fenced code block's opening line: the fence character and length (up to 3 spaces of
/// indentation, at least three backticks or tildes).
fn fence_open(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = rest.chars().take_while(|x| *x == c).count();
    // An info string after backticks may not contain a backtick.
    (n >= 3 && !(c == '`' && rest[n..].contains('`'))).then_some((c, n))
}

fn fence_closes(line: &str, (c, n): (char, usize)) -> bool {
    let t = line.trim_start_matches(' ');
    line.len() - t.len() <= 3 && {
        let k = t.chars().take_while(|x| *x == c).count();
        k >= n && t[k..].trim().is_empty()
    }
}

/// How each line of a file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    /// Inside a fenced or indented code block (fences included).
    Code,
}

/// Classifies lines: fenced code blocks, and indented code (4 spaces or a tab) that follows a
/// blank line.
fn classify(lines: &[&str]) -> Vec<Kind> {
    let mut out = Vec::with_capacity(lines.len());
    let mut fence: Option<(char, usize)> = None;
    let mut prev_blank = true;
    let mut in_indented = false;
    for line in lines {
        let blank = line.trim().is_empty();
        if let Some(f) = fence {
            out.push(Kind::Code);
            if fence_closes(line, f) {
                fence = None;
            }
            prev_blank = false;
            continue;
        }
        if let Some(f) = fence_open(line) {
            fence = Some(f);
            in_indented = false;
            out.push(Kind::Code);
            prev_blank = false;
            continue;
        }
        let indented = line.starts_with("    ") || line.starts_with('\t');
        if indented && !blank && (prev_blank || in_indented) {
            in_indented = true;
            out.push(Kind::Code);
        } else {
            if !blank {
                in_indented = false;
            }
            out.push(if blank && in_indented {
                Kind::Code
            } else {
                Kind::Text
            });
        }
        prev_blank = blank;
    }
    out
}

/// Splits keeping the line ends (the last line may have none).
fn lines_with_ends(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Removes HTML comment blocks: a comment that starts a line (column 0, outside code) up to the
/// line holding its `-->`. Text after the `-->` on that line stays; a block that leaves only
/// blank space disappears with its line ends. An unclosed `<!--` is left alone, as are comments
/// inside a line, indented ones and those in code.
pub fn strip_html_comments(text: &str) -> String {
    if !text.contains("<!--") {
        return text.to_string();
    }
    let lines = lines_with_ends(text);
    let bare: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_end_matches(['\n', '\r']))
        .collect();
    let kinds = classify(&bare);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        if kinds[i] == Kind::Text && lines[i].starts_with("<!--") {
            // The block runs to the line that closes the last comment opened in it.
            let mut block = String::new();
            let mut j = i;
            let mut closed = false;
            while j < lines.len() {
                block.push_str(lines[j]);
                j += 1;
                if comments_closed(&block) {
                    closed = true;
                    break;
                }
            }
            if closed {
                let rest = remove_comments(&block);
                if !rest.trim().is_empty() {
                    out.push_str(&rest);
                }
                i = j;
                continue;
            }
        }
        out.push_str(lines[i]);
        i += 1;
    }
    out
}

/// Every `<!--` in `s` has its `-->`.
fn comments_closed(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        match rest[i + 4..].find("-->") {
            Some(j) => rest = &rest[i + 4 + j + 3..],
            None => return false,
        }
    }
    true
}

fn remove_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i + 4..].find("-->") {
            Some(j) => rest = &rest[i + 4 + j + 3..],
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text outside code spans, with each code span replaced by a space (a span separates words,
/// as the lexer's tokens do). Spans may cross lines within a paragraph.
fn without_code_spans(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let n = b[i..].iter().take_while(|c| **c == b'`').count();
        // The closing run: exactly n backticks.
        let mut j = i + n;
        let mut close = None;
        while j < b.len() {
            if b[j] == b'`' {
                let m = b[j..].iter().take_while(|c| **c == b'`').count();
                if m == n {
                    close = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                out.push_str(&text[last..i]);
                out.push(' ');
                i = end;
                last = end;
            }
            None => i += n,
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The `@path` mentions of `text` (a plain text run): `@` at the start or after whitespace,
/// then non-space characters (`\ ` is an escaped space); a `#fragment` is dropped. Only what
/// looks like a path counts: `./x`, `~/x`, `/x`, or a name starting with a letter, digit, `.`,
/// `_` or `-`.
fn mentions(text: &str, out: &mut Vec<String>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        let at_start = k == 0 || chars[k - 1].1.is_whitespace();
        if c != '@' || !at_start {
            k += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut m = k + 1;
        while m < chars.len() {
            let (j, ch) = chars[m];
            if ch == '\\' {
                if chars.get(m + 1).is_some_and(|(_, n)| *n == ' ') {
                    m += 2;
                    end = chars.get(m).map_or(text.len(), |(p, _)| *p);
                    continue;
                }
                break;
            }
            if ch.is_whitespace() {
                break;
            }
            m += 1;
            end = j + ch.len_utf8();
        }
        k = m;
        let mut p = &text[start..end];
        if let Some(h) = p.find('#') {
            p = &p[..h];
        }
        let p = p.replace("\\ ", " ");
        if p.is_empty() {
            continue;
        }
        let first = p.chars().next().unwrap_or(' ');
        let ok = p.starts_with("./")
            || p.starts_with("~/")
            || (p.starts_with('/') && p != "/")
            || (first.is_ascii_alphanumeric() || matches!(first, '.' | '_' | '-'));
        if ok && !out.contains(&p) {
            out.push(p);
        }
    }
}

/// The paths `@`-imported by a memory file's text (after its HTML comments were removed), in
/// order of first mention, as written (`~/x`, `./x`, `/abs`, `rel`).
pub fn imports(text: &str) -> Vec<String> {
    let lines = lines_with_ends(text);
    let bare: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_end_matches(['\n', '\r']))
        .collect();
    let kinds = classify(&bare);
    let mut out = Vec::new();
    // Paragraphs of text lines are scanned together (a code span may cross a line end).
    let mut para = String::new();
    for (line, kind) in lines.iter().zip(kinds) {
        if kind == Kind::Code || line.trim().is_empty() {
            mentions(&without_code_spans(&para), &mut out);
            para.clear();
            continue;
        }
        para.push_str(line);
    }
    mentions(&without_code_spans(&para), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_stripped_like_claude_code() {
        // Cases captured from Claude Code 2.1.197 (see tests/fixtures/memory).
        let input = "L1 inline <!-- inl --> after\n<!-- block\nmultiline -->\nL2\n  <!-- indented -->\nL3\n```\n<!-- in fence -->\n```\n<!-- c --> trailing text\nL4\n\n\n\nL5\n";
        assert_eq!(
            strip_html_comments(input),
            "L1 inline <!-- inl --> after\nL2\n  <!-- indented -->\nL3\n```\n<!-- in fence -->\n```\n trailing text\nL4\n\n\n\nL5\n"
        );
        assert_eq!(
            strip_html_comments("A\n<!-- an html comment -->\nKeep\n"),
            "A\nKeep\n"
        );
        assert_eq!(
            strip_html_comments("<!-- open\nnever closed\n"),
            "<!-- open\nnever closed\n"
        );
        assert_eq!(strip_html_comments("no comments"), "no comments");
    }

    #[test]
    fn imports_skip_code_and_non_paths() {
        let text = "CWD @noext @Makefile @lib.rs @.envrc @docs\nemail me@example.com, (@docs/x.md) ``inline @lib2.rs`` @docs/one.md#anchor\n\n```\n@fenced.md\n```\n\n    @indented.md\n\nKeep `@span.md` out. @~/home.md @/abs/x.md @./rel.md @a\\ b.md @#x @ @/ @*star\n";
        assert_eq!(
            imports(text),
            [
                "noext",
                "Makefile",
                "lib.rs",
                ".envrc",
                "docs",
                "docs/one.md",
                "~/home.md",
                "/abs/x.md",
                "./rel.md",
                "a b.md"
            ]
        );
        // A span across a line end; an unclosed backtick is text.
        assert_eq!(imports("a `x\n@in.md` @out.md"), ["out.md"]);
        assert_eq!(imports("a ` @open.md"), ["open.md"]);
        assert_eq!(
            imports("- item @list.md\n1. @num.md"),
            ["list.md", "num.md"]
        );
    }
}
