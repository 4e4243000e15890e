//! Syntax colours for fenced code blocks: a small hand-written scanner per language family
//! (keywords, types, strings, comments, numbers), fed one line at a time and carrying what a
//! line leaves open (a block comment, a multi-line string, a heredoc, a YAML block scalar).
//!
//! No regexes and no backtracking: every line is one left-to-right pass, and only its first
//! [`MAX_LINE_BYTES`] are coloured (the rest is plain, and the carried state starts afresh), so
//! the work per line is bounded: a 4 KB minified line or a block of thousands of lines costs
//! about twice what printing it plain costs (user-pains §5: a TUI once hung for 25 minutes on a
//! 4.7 KB line).

mod languages;
mod scan;

use super::text::Span;
use super::theme::{Color, Style};
use languages::{Lang, lang};
use scan::Scan;
use std::ops::Range;

/// Bytes of a line that are coloured; the rest of a longer line is plain.
pub const MAX_LINE_BYTES: usize = 1000;

/// What a piece of code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    /// Types: built-in ones and capitalised names where that is the convention.
    Type,
    /// `true`, `null`, `None`, `self`.
    Literal,
    Number,
    String,
    Comment,
    /// Attributes, decorators, preprocessor lines, macros, shell variables, YAML anchors.
    Meta,
    /// Keys of JSON, YAML and TOML; TOML tables.
    Key,
    Added,
    Removed,
    /// A diff's `@@ … @@` line.
    Hunk,
    /// A diff's file lines (`diff --git`, `---`, `+++`).
    Header,
}

impl Kind {
    pub fn style(self) -> Style {
        match self {
            Kind::Keyword => Style::fg(Color::Magenta),
            Kind::Type => Style::fg(Color::Cyan),
            Kind::Literal | Kind::Number => Style::fg(Color::Yellow),
            Kind::String | Kind::Added => Style::fg(Color::Green),
            Kind::Comment => Style::fg(Color::Gray),
            Kind::Meta | Kind::Key => Style::fg(Color::Blue),
            Kind::Removed => Style::fg(Color::Red),
            Kind::Hunk => Style::fg(Color::Cyan),
            Kind::Header => Style::plain().bold(),
        }
    }
}

/// A coloured byte range of a line (what lies between tokens is plain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub range: Range<usize>,
}

/// What a line leaves open for the next one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Normal,
    /// Inside `/* … */` (Rust nests them: the depth).
    BlockComment { depth: u32 },
    /// Inside a string that may span lines.
    Str(Quote),
    /// Inside a shell heredoc, until a line that is `delim` (leading tabs allowed with `<<-`).
    Heredoc { delim: String, tabs: bool },
    /// Inside a YAML block scalar (`key: |`): lines indented deeper than `indent`.
    YamlBlock { indent: usize },
}

/// How a string ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Quote {
    quote: u8,
    /// `"""` / `'''`.
    triple: bool,
    /// Rust raw strings: `"` then this many `#`.
    hashes: u8,
    /// Backslash escapes the next byte.
    escapes: bool,
}

/// Colours code blocks of one language, a line at a time.
pub struct Highlighter {
    lang: Lang,
    state: State,
}

impl Highlighter {
    /// A highlighter for a fence's info string; `None` for a language it does not know.
    pub fn for_info(info: &str) -> Option<Highlighter> {
        lang(info).map(|lang| Highlighter {
            lang,
            state: State::Normal,
        })
    }

    /// The coloured ranges of the next line of the block (no newline), in order.
    pub fn line(&mut self, line: &str) -> Vec<Token> {
        let mut cut = line.len().min(MAX_LINE_BYTES);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut sc = Scan {
            s: &line.as_bytes()[..cut],
            out: Vec::new(),
        };
        let state = std::mem::take(&mut self.state);
        self.state = match self.lang {
            Lang::Diff => {
                sc.diff();
                State::Normal
            }
            Lang::Yaml => sc.yaml(state),
            lang => sc.code(lang, state),
        };
        if cut < line.len() {
            // Past the cap nothing is known: the next line starts afresh.
            self.state = State::Normal;
        }
        sc.out
    }
}

/// The part `range` of `line` as spans: tokens in their colours over `base`, the rest in
/// `plain`.
pub fn spans(
    line: &str,
    tokens: &[Token],
    range: Range<usize>,
    base: Style,
    plain: Style,
) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = range.start;
    for t in tokens {
        let a = t.range.start.max(range.start);
        let b = t.range.end.min(range.end);
        if a >= b {
            continue;
        }
        if a > at {
            out.push(Span::new(plain, &line[at..a]));
        }
        out.push(Span::new(base.merge(t.kind.style()), &line[a..b]));
        at = b;
    }
    if at < range.end {
        out.push(Span::new(plain, &line[at..range.end]));
    }
    out
}
#[cfg(test)]
mod tests {
    use super::languages::*;
    use super::*;

    /// A block marked up as `«kind:text»` for snapshots.
    fn mark(info: &str, src: &str) -> String {
        let mut h = Highlighter::for_info(info).unwrap();
        let mut out = String::new();
        for line in src.lines() {
            let toks = h.line(line);
            let mut at = 0;
            for t in &toks {
                assert!(t.range.start >= at, "overlap in {line:?}: {toks:?}");
                out.push_str(&line[at..t.range.start]);
                let k = format!("{:?}", t.kind).to_lowercase();
                out.push_str(&format!("«{k}:{}»", &line[t.range.clone()]));
                at = t.range.end;
            }
            out.push_str(&line[at..]);
            out.push('\n');
        }
        out
    }

    #[test]
    fn word_lists_are_single_spaced_and_sorted() {
        for syn in [&RUST, &PYTHON, &JS, &GO, &SHELL, &JSON, &TOML, &C, &JAVA] {
            for list in [syn.keywords, syn.types, syn.literals, YAML_LITERALS] {
                let words: Vec<&str> = list.split(' ').filter(|_| !list.is_empty()).collect();
                assert!(words.iter().all(|w| !w.is_empty()), "{list:?}");
                let mut sorted = words.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(words, sorted);
            }
        }
        assert!(has(RUST.keywords, "fn") && has(RUST.keywords, "yield"));
        assert!(!has(RUST.keywords, "f") && !has(RUST.keywords, ""));
        assert!(!has(JSON.keywords, ""));
    }

    #[test]
    fn languages_by_fence_name() {
        for (info, ok) in [
            ("rust", true),
            ("rs", true),
            ("rust,ignore", true),
            ("Python", true),
            ("tsx", true),
            ("{.go}", true),
            ("c++", true),
            ("patch", true),
            ("brainfuck", false),
            ("", false),
        ] {
            assert_eq!(Highlighter::for_info(info).is_some(), ok, "{info}");
        }
    }

    const RUST_SRC: &str = r##"#[derive(Debug, Clone)]
/// A doc comment with "quotes"
pub struct Point<'a> { x: f64, name: &'a str }
fn main() {
    let s = "multi
line \"string\"";
    let r = r#"raw "quoted" string"#;
    let c = '\''; let b = b'x'; let n = 0x1F_u8 + 1.5e-3 as u8;
    /* outer /* nested */ still comment */ println!("{}", s);
    for i in 0..10 { if i == 3 { break; } }
    let v: Vec<String> = Vec::new(); // trailing
}
"##;

    const PYTHON_SRC: &str = r#"@dataclass
class Point(Base):
    """Doc string
    over lines"""
    def run(self, x: int = 3) -> None:
        s = f"hi {x}" + r'raw\n' + 'it''s'
        return True if x else None  # comment
"#;

    const JS_SRC: &str = r#"import { x } from "./x.js";
/** block
 * comment */
export async function f(a: number): Promise<void> {
  const t = `template ${a}
  spans lines`;
  return a === null ? undefined : 42n;
}
"#;

    const GO_SRC: &str = r#"package main
func main() {
	s := `raw
string`
	var n int = 42 // answer
	if err != nil { return }
}
"#;

    const SHELL_SRC: &str = r#"#!/bin/sh
for f in *.rs; do
  echo "file: $f ${HOME}" # note
  grep -c 'a#b' "$f" && git commit -m 'multi
line message'
done
cat <<'EOF' > out.txt
$not_a_var # not a comment
EOF
"#;

    const JSON_SRC: &str = r#"{
  "name": "ccrs", "version": 1.5e3,
  "tags": ["a", "b:c"], "ok": true, "none": null
}
"#;

    const YAML_SRC: &str = r#"--- # doc
name: ccrs
jobs:
  - run: cargo test
    env: { RUST_LOG: debug }
    if: true
    count: 3
    script: |
      echo "inside: a block"
      # not a comment
    anchor: &base value # comment
    "quoted key": 'v'
after: ~
"#;

    const TOML_SRC: &str = r#"[package]
name = "ccrs" # comment
version = "0.1.0"
edition.workspace = true
date = 1979-05-27T07:32:00Z
desc = """
multi "line"
"""
deps = { serde = "1", tokio = { version = "1.48" } }
[[bin]]
"#;

    const C_SRC: &str = r#"#include <stdio.h>
#define MAX 10 /* limit */
int main(int argc, char **argv) {
    const char *s = "hi\n"; char c = 'x';
    for (size_t i = 0; i < MAX; i++) { printf("%zu", i); }
    return nullptr == NULL ? 0 : 1; // done
}
"#;

    const JAVA_SRC: &str = r#"@Override
public final class Main extends Base {
    String s = """
        text block
        """;
    public static void main(String[] args) { int n = 42; return; }
}
"#;

    const DIFF_SRC: &str =
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n context\n-old\n+new\n";

    #[test]
    fn languages_snapshot() {
        let mut all = String::new();
        for (info, src) in [
            ("rust", RUST_SRC),
            ("python", PYTHON_SRC),
            ("ts", JS_SRC),
            ("go", GO_SRC),
            ("bash", SHELL_SRC),
            ("json", JSON_SRC),
            ("yaml", YAML_SRC),
            ("toml", TOML_SRC),
            ("cpp", C_SRC),
            ("java", JAVA_SRC),
            ("diff", DIFF_SRC),
        ] {
            all.push_str(&format!("=== {info}\n{}", mark(info, src)));
        }
        insta::assert_snapshot!(all);
    }

    #[test]
    fn tokens_are_ordered_on_char_boundaries() {
        let src = "let é = \"ü\"; // ß\nfn 日本() { 'ä' }\n";
        for info in [
            "rust", "python", "js", "go", "sh", "json", "yaml", "toml", "c", "java",
        ] {
            let mut h = Highlighter::for_info(info).unwrap();
            for line in src.lines() {
                let mut at = 0;
                for t in h.line(line) {
                    assert!(t.range.start >= at && t.range.end <= line.len());
                    assert!(line.is_char_boundary(t.range.start));
                    assert!(line.is_char_boundary(t.range.end), "{info}: {line} {t:?}");
                    at = t.range.end;
                }
            }
        }
    }

    #[test]
    fn an_unterminated_line_string_does_not_leak_into_the_next_line() {
        let out = mark("c", "char *s = \"open\nint x = 1;\n");
        assert_eq!(
            out,
            "«type:char» *s = «string:\"open»\n«type:int» x = «number:1»;\n"
        );
    }

    #[test]
    fn long_lines_are_coloured_only_up_to_the_cap() {
        // 4 KB of alternating strings and keywords: the tokens stop at the cap, and a string
        // left open past the cap does not colour the next line.
        let long: String = "if \"s\" ".repeat(600) + "\"open";
        assert!(long.len() > 4000);
        let mut h = Highlighter::for_info("rust").unwrap();
        let toks = h.line(&long);
        assert!(toks.iter().all(|t| t.range.end <= MAX_LINE_BYTES));
        assert!(toks.len() <= MAX_LINE_BYTES);
        assert_eq!(h.state, State::Normal);
        // The cap lands on a char boundary.
        let wide = "é".repeat(3000);
        let toks = Highlighter::for_info("python").unwrap().line(&wide);
        assert!(toks.is_empty());
        // Pathological inputs scan in one pass (no quadratic rescans): a huge block of them
        // is bounded by the per-line cap.
        for bad in [
            "/*".repeat(3000),
            "\"".repeat(5000),
            "r#".repeat(3000),
            "'".repeat(5000),
        ] {
            for info in ["rust", "c", "python", "sh", "yaml", "toml"] {
                let mut h = Highlighter::for_info(info).unwrap();
                for _ in 0..3 {
                    let t = h.line(&bad);
                    assert!(t.iter().all(|t| t.range.end <= MAX_LINE_BYTES));
                }
            }
        }
    }

    #[test]
    fn rust_lifetimes_are_not_char_literals() {
        let out = mark("rust", "fn f<'a>(x: &'a str) -> char { 'x' }");
        assert!(out.contains("«string:'x'»"), "{out}");
        assert!(!out.contains("«string:'a"), "{out}");
    }
}
