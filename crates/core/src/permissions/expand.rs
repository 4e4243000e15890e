//! Static word expansion for permission checks: brace expansion, tilde expansion and glob
//! detection, as bash would do them. Words with parameter expansions or substitutions are
//! dynamic: their value is unknown until run time.

use super::commands::Shell;
use super::shell::{Part, Word};
use std::path::Path;

/// Brace expansion stops here: more words than this and the word counts as dynamic.
const MAX_FIELDS: usize = 256;

/// One word after brace and tilde expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The text after quote removal.
    pub text: String,
    /// The text as a glob pattern (quoted metacharacters escaped with `\`), when an unquoted
    /// `*`, `?` or `[` makes bash expand it against the file system.
    pub glob: Option<String>,
}

/// Expands `word` statically; `None` when its value depends on run time (variables,
/// substitutions, `~user`) or expands to too many words. In POSIX sh a word bash would
/// brace-expand is `None` too: dash leaves it alone, bash in POSIX mode does not.
pub fn expand(word: &Word, home: Option<&Path>, shell: Shell) -> Option<Vec<Field>> {
    let mut chars: Vec<(char, bool)> = Vec::new();
    for p in &word.parts {
        match p {
            Part::Lit(s) => chars.extend(s.chars().map(|c| (c, false))),
            Part::Quoted(s) => chars.extend(s.chars().map(|c| (c, true))),
            _ => return None,
        }
    }
    if shell == Shell::Posix {
        if find_brace(&chars).is_some() {
            return None;
        }
        return Some(vec![field(&tilde(chars, home)?)]);
    }
    let mut out = Vec::new();
    for alt in brace(chars, 0)? {
        let alt = tilde(alt, home)?;
        out.push(field(&alt));
    }
    Some(out)
}

fn field(chars: &[(char, bool)]) -> Field {
    let text: String = chars.iter().map(|(c, _)| *c).collect();
    let has_glob = chars
        .iter()
        .any(|(c, q)| !q && matches!(c, '*' | '?' | '['));
    let glob = has_glob.then(|| {
        let mut g = String::new();
        for (c, q) in chars {
            if *q && matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
                g.push('\\');
            }
            g.push(*c);
        }
        g
    });
    Field { text, glob }
}

/// `~` and `~/…` become the home directory; `~user`, `~+`, `~-` are dynamic.
fn tilde(chars: Vec<(char, bool)>, home: Option<&Path>) -> Option<Vec<(char, bool)>> {
    if chars.first() != Some(&('~', false)) {
        return Some(chars);
    }
    let end = chars
        .iter()
        .position(|&(c, _)| c == '/')
        .unwrap_or(chars.len());
    if end != 1 {
        return None;
    }
    let home = home?.to_string_lossy().into_owned();
    let mut out: Vec<(char, bool)> = home.chars().map(|c| (c, true)).collect();
    out.extend_from_slice(&chars[1..]);
    Some(out)
}

/// Bash brace expansion (`a{b,c}d`, `{1..3}`, `{a..c}`), on unquoted braces only.
fn brace(chars: Vec<(char, bool)>, depth: usize) -> Option<Vec<Vec<(char, bool)>>> {
    if depth > 32 {
        return None;
    }
    let Some(found) = find_brace(&chars) else {
        return Some(vec![chars]);
    };
    let (open, close, items) = found?;
    let mut out = Vec::new();
    for item in items {
        let mut next = chars[..open].to_vec();
        next.extend(item);
        next.extend_from_slice(&chars[close + 1..]);
        for e in brace(next, depth + 1)? {
            out.push(e);
            if out.len() > MAX_FIELDS {
                return None;
            }
        }
    }
    Some(out)
}

type Chars = Vec<(char, bool)>;

/// The first expandable `{…}`: its bounds and alternatives (`Some(None)`: a sequence too long
/// to expand).
#[allow(clippy::type_complexity)]
fn find_brace(chars: &[(char, bool)]) -> Option<Option<(usize, usize, Vec<Chars>)>> {
    for open in 0..chars.len() {
        if chars[open] != ('{', false) {
            continue;
        }
        // `${` never reaches here (parameters are dynamic), but a literal `$` before `{` is
        // left alone by bash too.
        if open > 0 && chars[open - 1] == ('$', false) {
            continue;
        }
        let mut depth = 0usize;
        let mut commas = Vec::new();
        for (i, &(c, q)) in chars.iter().enumerate().skip(open + 1) {
            if q {
                continue;
            }
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    let inner = &chars[open + 1..i];
                    if !commas.is_empty() {
                        let mut items = Vec::new();
                        let mut start = open + 1;
                        for &cpos in &commas {
                            items.push(chars[start..cpos].to_vec());
                            start = cpos + 1;
                        }
                        items.push(chars[start..i].to_vec());
                        return Some(Some((open, i, items)));
                    }
                    match sequence(inner) {
                        Seq::Items(items) => return Some(Some((open, i, items))),
                        Seq::TooLong => return Some(None),
                        Seq::No => {}
                    }
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => commas.push(i),
                _ => {}
            }
        }
    }
    None
}

enum Seq {
    No,
    TooLong,
    Items(Vec<Chars>),
}

/// `{1..5}`, `{01..10..2}`, `{a..e}`.
fn sequence(inner: &[(char, bool)]) -> Seq {
    let s: String = inner.iter().map(|(c, _)| *c).collect();
    let parts: Vec<&str> = s.split("..").collect();
    if !(2..=3).contains(&parts.len()) {
        return Seq::No;
    }
    let step: i64 = match parts.get(2).map(|p| p.parse::<i64>()) {
        Some(Ok(n)) => n.checked_abs().unwrap_or(1).max(1),
        Some(Err(_)) => return Seq::No,
        None => 1,
    };
    let to_chars = |s: String| s.chars().map(|c| (c, false)).collect::<Chars>();
    if let (Ok(a), Ok(b)) = (parts[0].parse::<i64>(), parts[1].parse::<i64>()) {
        let count = (a.abs_diff(b) / step.unsigned_abs()) + 1;
        if count > MAX_FIELDS as u64 {
            return Seq::TooLong;
        }
        let width = if parts[0].starts_with('0') || parts[1].starts_with('0') {
            parts[0].len().max(parts[1].len())
        } else {
            0
        };
        let mut out = Vec::new();
        let mut v = a;
        for _ in 0..count {
            out.push(to_chars(format!("{v:0width$}")));
            v = if a <= b {
                v.saturating_add(step)
            } else {
                v.saturating_sub(step)
            };
        }
        return Seq::Items(out);
    }
    let (mut a, mut b) = (parts[0].chars(), parts[1].chars());
    match (a.next(), a.next(), b.next(), b.next()) {
        (Some(x), None, Some(y), None) if x.is_ascii_alphabetic() && y.is_ascii_alphabetic() => {
            let (x, y) = (x as u8, y as u8);
            let mut out = Vec::new();
            let mut v = x as i64;
            let end = y as i64;
            loop {
                out.push(vec![(v as u8 as char, false)]);
                if v == end {
                    break;
                }
                v += if x <= y { step } else { -step };
                if (x <= y && v > end) || (x > y && v < end) {
                    break;
                }
            }
            Seq::Items(out)
        }
        _ => Seq::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::shell::Node;
    use crate::permissions::shell::parse;

    fn words(src: &str) -> Vec<Option<Vec<String>>> {
        let s = parse(src).unwrap();
        let Node::Simple(simple) = &s.body[0] else {
            panic!()
        };
        simple
            .words
            .iter()
            .map(|w| {
                expand(w, Some(Path::new("/home/u")), Shell::Bash)
                    .map(|fs| fs.into_iter().map(|f| f.text).collect())
            })
            .collect()
    }

    fn one(src: &str) -> Vec<String> {
        words(src).remove(1).unwrap()
    }

    #[test]
    fn braces_expand() {
        assert_eq!(one("cat {a,../../etc/passwd}"), ["a", "../../etc/passwd"]);
        assert_eq!(one("cat .{.,}/x"), ["../x", "./x"]);
        assert_eq!(one("cat x{1..3}"), ["x1", "x2", "x3"]);
        assert_eq!(one("cat {a..c}"), ["a", "b", "c"]);
        assert_eq!(one("cat {a,b{c,d}}"), ["a", "bc", "bd"]);
        assert_eq!(one("cat '{a,b}'"), ["{a,b}"]);
        assert_eq!(one("cat {a}"), ["{a}"]);
        assert_eq!(one("cat {01..03}"), ["01", "02", "03"]);
    }

    #[test]
    fn tilde_and_dynamic() {
        assert_eq!(one("cat ~/.ssh/id"), ["/home/u/.ssh/id"]);
        assert_eq!(one("cat '~'/x"), ["~/x"]);
        assert!(words("cat ~root/x")[1].is_none());
        assert!(words("cat $HOME/x")[1].is_none());
        assert!(words("cat {1..100000}")[1].is_none());
    }

    #[test]
    fn globs_are_detected_with_quoted_metachars_escaped() {
        let s = parse("ls *.rs 'a*'b? \"[x]\"").unwrap();
        let Node::Simple(simple) = &s.body[0] else {
            panic!()
        };
        let g = |i: usize| {
            expand(&simple.words[i], None, Shell::Bash).unwrap()[0]
                .glob
                .clone()
        };
        assert_eq!(g(1).as_deref(), Some("*.rs"));
        assert_eq!(g(2).as_deref(), Some("a\\*b?"));
        assert_eq!(g(3), None);
    }
}
