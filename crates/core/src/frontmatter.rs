//! The `---` frontmatter of Claude Code's markdown files (agents, commands, skills): a small,
//! lenient subset of YAML — `key: value` lines with plain, `"double"` (with `\n`, `\"`, `\\`,
//! `\t` escapes) or `'single'` (`''` escape) quoted values, `|` and `>` block scalars, inline
//! `[a, b]` lists and `- item` lists. Anything else (nested maps, anchors) is kept as the raw
//! text of its line or skipped; a malformed file never fails, it just yields less.

/// A frontmatter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    List(Vec<String>),
}

impl Value {
    /// The value as text (a list joined with `, `).
    pub fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::List(l) => l.join(", "),
        }
    }

    /// The value as a list: a list as is, a text split on commas (`Read, Grep`).
    pub fn list(&self) -> Vec<String> {
        match self {
            Value::List(l) => l.clone(),
            Value::Text(t) => t
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

/// A parsed file: the frontmatter's keys in order, and the body after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    /// `None` when the file has no frontmatter.
    pub fields: Option<Vec<(String, Value)>>,
    pub body: String,
}

impl Document {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields
            .as_ref()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// A non-empty text value.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(Value::text).filter(|t| !t.is_empty())
    }

    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(Value::list)
    }
}

/// Splits `text` into frontmatter and body.
pub fn parse(text: &str) -> Document {
    let t = text.trim_start_matches('\u{feff}');
    let Some(rest) = t
        .strip_prefix("---\n")
        .or_else(|| t.strip_prefix("---\r\n"))
    else {
        return Document {
            fields: None,
            body: text.to_string(),
        };
    };
    // The closing `---` line (right away when the frontmatter is empty).
    let (front, after) = if let Some(r) = rest.strip_prefix("---") {
        ("", r)
    } else {
        match find_close(rest) {
            Some((end, after)) => (&rest[..end], &rest[after..]),
            None => {
                return Document {
                    fields: None,
                    body: text.to_string(),
                };
            }
        }
    };
    let body = after.strip_prefix('\r').unwrap_or(after);
    let body = body.strip_prefix('\n').unwrap_or(body);
    Document {
        fields: Some(fields(front)),
        body: body.to_string(),
    }
}

/// Where the closing `---` line starts, and where the text after its `---` starts.
fn find_close(rest: &str) -> Option<(usize, usize)> {
    let mut pos = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((pos, pos + 3));
        }
        pos += line.len();
    }
    None
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn fields(front: &str) -> Vec<(String, Value)> {
    let lines: Vec<&str> = front.lines().collect();
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') || indent_of(line) > 0 {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let key = k.trim().to_string();
        let v = v.trim();
        let value = if v.is_empty() {
            // A `- item` list, or nothing.
            let mut items = Vec::new();
            while i < lines.len() {
                let l = lines[i].trim();
                if let Some(item) = l
                    .strip_prefix("- ")
                    .or(if l == "-" { Some("") } else { None })
                {
                    items.push(scalar(item.trim()));
                    i += 1;
                } else if l.is_empty() {
                    i += 1;
                } else {
                    break;
                }
            }
            if items.is_empty() {
                Value::Text(String::new())
            } else {
                Value::List(items.into_iter().filter(|s| !s.is_empty()).collect())
            }
        } else if let Some(style) = v.strip_prefix(['|', '>']).map(|_| v.as_bytes()[0]) {
            // A block scalar: the following more-indented lines.
            let mut block = Vec::new();
            let mut base: Option<usize> = None;
            while i < lines.len() {
                let l = lines[i];
                if l.trim().is_empty() {
                    block.push("");
                    i += 1;
                    continue;
                }
                let ind = indent_of(l);
                if ind == 0 {
                    break;
                }
                let b = *base.get_or_insert(ind);
                block.push(l.get(b.min(ind)..).unwrap_or(""));
                i += 1;
            }
            while block.last() == Some(&"") {
                block.pop();
            }
            let text = if style == b'|' {
                block.join("\n")
            } else {
                fold(&block)
            };
            Value::Text(text)
        } else if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Value::List(
                split_inline(inner)
                    .iter()
                    .map(|s| scalar(s))
                    .filter(|s| !s.is_empty())
                    .collect(),
            )
        } else {
            // A quoted value may continue on the next lines.
            let mut v = v.to_string();
            for q in ['"', '\''] {
                if v.starts_with(q) && !closes(&v, q) {
                    while i < lines.len() {
                        v.push(' ');
                        v.push_str(lines[i].trim());
                        i += 1;
                        if closes(&v, q) {
                            break;
                        }
                    }
                }
            }
            Value::Text(scalar(&v))
        };
        out.retain(|(k, _)| *k != key);
        out.push((key, value));
    }
    out
}

/// `>` folding: lines joined with spaces, blank lines kept as newlines.
fn fold(block: &[&str]) -> String {
    let mut s = String::new();
    for l in block {
        if l.is_empty() {
            s.push('\n');
        } else {
            if !s.is_empty() && !s.ends_with('\n') {
                s.push(' ');
            }
            s.push_str(l);
        }
    }
    s
}

/// True when the quoted value `v` (starting with `q`) has its closing quote.
fn closes(v: &str, q: char) -> bool {
    close_at(v, q).is_some()
}

/// The byte index of the quote that closes `v` (which starts with `q`).
fn close_at(v: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    let mut chars = v.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if q == '"' && c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == q && !escaped {
            if q == '\'' && chars.peek().map(|p| p.1) == Some('\'') {
                chars.next();
                continue;
            }
            return Some(i);
        }
        escaped = false;
    }
    None
}

/// Splits an inline list on commas outside quotes.
fn split_inline(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), _) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, ',') => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// One scalar: quotes removed and escapes applied; a plain value loses a trailing ` # comment`.
fn scalar(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') {
        // What follows the closing quote (a comment) is dropped.
        let inner = &v[1..close_at(v, '"').unwrap_or(v.len())];
        let mut s = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                s.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => s.push('\n'),
                Some('t') => s.push('\t'),
                Some('r') => s.push('\r'),
                Some('0') => s.push('\0'),
                Some(other) => s.push(other),
                None => s.push('\\'),
            }
        }
        return s;
    }
    if v.len() >= 2 && v.starts_with('\'') {
        let inner = &v[1..close_at(v, '\'').unwrap_or(v.len())];
        return inner.replace("''", "'");
    }
    match v.find(" #") {
        Some(i) => v[..i].trim_end().to_string(),
        None => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_quoted_and_lists() {
        let d = parse(
            "---\nname: code-reviewer\ndescription: \"Reviews code.\\nUse after edits: \\\"always\\\"\"\ntools: Read, Grep, Bash(git:*)\nmodel: 'son''net' # a comment\nextra: [a, \"b, c\", 'd']\n---\nYou review code.\n",
        );
        assert_eq!(d.text("name").as_deref(), Some("code-reviewer"));
        assert_eq!(
            d.text("description").as_deref(),
            Some("Reviews code.\nUse after edits: \"always\"")
        );
        assert_eq!(
            d.list("tools").unwrap(),
            ["Read", "Grep", "Bash(git:*)"].map(String::from)
        );
        assert_eq!(d.text("model").as_deref(), Some("son'net"));
        assert_eq!(
            d.list("extra").unwrap(),
            ["a", "b, c", "d"].map(String::from)
        );
        assert_eq!(d.body, "You review code.\n");
    }

    #[test]
    fn dash_lists_block_scalars_and_multiline_quotes() {
        let d = parse(
            "---\r\ntools:\n  - Read\n  - \"Glob\"\ndescription: |\n  line one\n    indented\n\n  line three\nsummary: >\n  folded\n  text\n\n  para\nlong: \"starts here\n  and ends here\"\n---\r\nbody",
        );
        assert_eq!(d.list("tools").unwrap(), ["Read", "Glob"].map(String::from));
        assert_eq!(
            d.text("description").as_deref(),
            Some("line one\n  indented\n\nline three")
        );
        assert_eq!(d.text("summary").as_deref(), Some("folded text\npara"));
        assert_eq!(d.text("long").as_deref(), Some("starts here and ends here"));
        assert_eq!(d.body, "body");
    }

    #[test]
    fn no_or_unclosed_frontmatter_is_all_body() {
        assert_eq!(parse("just text").fields, None);
        let d = parse("---\nname: x\nno close");
        assert_eq!(d.fields, None);
        assert_eq!(d.body, "---\nname: x\nno close");
        let empty = parse("---\n---\nbody");
        assert_eq!(empty.fields, Some(vec![]));
        assert_eq!(empty.body, "body");
        // Odd lines are skipped, not fatal; the last of a repeated key wins.
        let d = parse("---\n: nothing\nnocolon\n  nested: x\nk: 1\nk: 2\n---\n");
        assert_eq!(d.text("k").as_deref(), Some("2"));
        assert_eq!(d.get("nested"), None);
        // An unterminated quote runs to the end of the frontmatter without panicking.
        let d = parse("---\nd: \"open\nmore\n---\nb");
        assert_eq!(d.text("d").as_deref(), Some("open more"));
    }
}
