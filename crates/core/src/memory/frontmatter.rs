//! YAML frontmatter of markdown files (memory rules, custom commands): the block between a
//! leading `---` line and the next `---` line. Only what these files use is understood:
//! `key: value`, `key: [a, b]`, `key: a, b` and a `key:` followed by `- item` lines. Anything
//! else is ignored, never an error.

/// Splits `text` into its frontmatter (without the `---` lines) and the body after it. Without
/// frontmatter the whole text is the body.
pub fn split(text: &str) -> (Option<&str>, &str) {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = t
        .strip_prefix("---\n")
        .or_else(|| t.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    // The closing line: `---` alone (trailing spaces allowed), right away or after a newline.
    let mut start = 0;
    loop {
        let line_end = rest[start..].find('\n').map_or(rest.len(), |i| start + i);
        let line = rest[start..line_end].trim_end_matches(['\r', ' ', '\t']);
        if line == "---" {
            let front = rest[..start].strip_suffix('\n').unwrap_or(&rest[..start]);
            let front = front.strip_suffix('\r').unwrap_or(front);
            let body = rest.get(line_end + 1..).unwrap_or("");
            return (Some(front), body);
        }
        if line_end >= rest.len() {
            return (None, text);
        }
        start = line_end + 1;
    }
}

/// A frontmatter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A scalar, unquoted.
    Text(String),
    /// `[a, b]` or `- a` lines.
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

    /// The value as a list: a list as is, a scalar split on commas (outside parentheses, so
    /// `Bash(git add:*), Read` is two items).
    pub fn list(&self) -> Vec<String> {
        match self {
            Value::List(l) => l.clone(),
            Value::Text(t) => split_commas(t),
        }
    }
}

/// Removes one pair of matching quotes.
pub fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

/// Splits on commas that are not inside parentheses or quotes; items trimmed and unquoted.
fn split_commas(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, '(') => {
                depth += 1;
                cur.push(c);
            }
            (None, ')') => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            (None, ',') if depth == 0 => out.push(std::mem::take(&mut cur)),
            (None, c) => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| unquote(&s))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The `key: value` pairs of a frontmatter block, in order.
pub fn fields(front: &str) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    // The key whose value is a `- item` list being read.
    let mut list_key: Option<usize> = None;
    for line in front.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed
            .strip_prefix("- ")
            .or(trimmed.strip_prefix('-').filter(|r| r.is_empty()))
            && let Some(i) = list_key
        {
            if let Value::List(l) = &mut out[i].1 {
                let item = unquote(item);
                if !item.is_empty() {
                    l.push(item);
                }
            }
            continue;
        }
        // A key starts at column 0; indented lines belong to a value ccrs does not read.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            list_key = None;
            continue;
        };
        let key = k.trim().to_string();
        let v = v.trim();
        list_key = None;
        let value = if v.is_empty() {
            list_key = Some(out.len());
            Value::List(Vec::new())
        } else if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Value::List(split_commas(inner))
        } else {
            Value::Text(unquote(v))
        };
        out.push((key, value));
    }
    out
}

/// The value of `key`.
pub fn get<'a>(fields: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_reads_fields() {
        let (f, b) = split(
            "---\ndescription: \"Hi\"\npaths: src/**/*.rs, tests/**\nallowed-tools: [Bash(git add:*), Read]\nlist:\n  - a\n  - 'b'\n---\nBody\n",
        );
        let f = fields(f.unwrap());
        assert_eq!(b, "Body\n");
        assert_eq!(get(&f, "description"), Some(&Value::Text("Hi".into())));
        assert_eq!(
            get(&f, "paths").unwrap().list(),
            ["src/**/*.rs", "tests/**"]
        );
        assert_eq!(
            get(&f, "allowed-tools").unwrap().list(),
            ["Bash(git add:*)", "Read"]
        );
        assert_eq!(get(&f, "list").unwrap().list(), ["a", "b"]);
        assert_eq!(split("---\n---\nx"), (Some(""), "x"));
        assert_eq!(split("no front\n---\n"), (None, "no front\n---\n"));
        assert_eq!(split("---\nunclosed: 1\n"), (None, "---\nunclosed: 1\n"));
        assert_eq!(split("---\r\na: 1\r\n---\r\nbody"), (Some("a: 1"), "body"));
        assert_eq!(split("---\na: 1\n---"), (Some("a: 1"), ""));
    }
}
