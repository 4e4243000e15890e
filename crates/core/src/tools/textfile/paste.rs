//! What models paste into `old_string`: Read's line-number prefixes, curly quotes.

/// Strips Read's line-number prefixes (`12\t` and 2.0's `    12→`) from every line, when every
/// non-empty line has one. `None` when the text does not look pasted from Read.
pub fn strip_line_prefixes(s: &str) -> Option<String> {
    fn strip(line: &str) -> Option<&str> {
        let t = line.trim_start_matches(' ');
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let rest = &t[digits..];
        rest.strip_prefix('\t').or_else(|| rest.strip_prefix('→'))
    }
    let mut out = String::with_capacity(s.len());
    let mut any = false;
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            continue;
        }
        out.push_str(strip(line)?);
        any = true;
    }
    any.then_some(out)
}

pub(super) fn is_curly(c: char) -> bool {
    matches!(c, '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}')
}

/// Curly quotes → straight ones. `None` when there are none.
pub fn straighten_quotes(s: &str) -> Option<String> {
    if !s.chars().any(is_curly) {
        return None;
    }
    Some(
        s.chars()
            .map(|c| match c {
                '\u{2018}' | '\u{2019}' => '\'',
                '\u{201C}' | '\u{201D}' => '"',
                c => c,
            })
            .collect(),
    )
}

/// Straight quotes → curly ones (for new text going into a region that uses curly quotes).
pub(super) fn curl_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let opening = prev.is_none_or(|p| p.is_whitespace() || "([{<—–-".contains(p));
        let next_alnum = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        let q = match c {
            '"' if opening => '\u{201C}',
            '"' => '\u{201D}',
            // An apostrophe inside a word (don't) is a closing quote.
            '\'' if opening && next_alnum => '\u{2018}',
            '\'' => '\u{2019}',
            c => c,
        };
        out.push(q);
        prev = Some(c);
    }
    out
}
