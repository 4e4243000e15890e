//! Matchers of hook groups, as Claude Code 2.1 reads them (checked against 2.1.197): empty or
//! `*` matches everything; a matcher of only letters, digits, `_`, `-`, spaces, `,` and `|` is a
//! list of exact names split on `|` and `,` (each trimmed); anything else is a regular
//! expression searched anywhere in the name (`Edit.*` also matches `NotebookEdit`;
//! `mcp__memory__.*` every tool of that server). Case-sensitive.

use regex::Regex;

#[derive(Clone, Debug)]
pub enum Matcher {
    All,
    Exact(Vec<String>),
    Pattern(Regex),
}

impl Matcher {
    pub fn parse(m: &str) -> Result<Matcher, regex::Error> {
        let t = m.trim();
        if t.is_empty() || t == "*" {
            return Ok(Matcher::All);
        }
        let plain = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | ',' | '|'));
        if plain {
            return Ok(Matcher::exact(t));
        }
        Regex::new(m).map(Matcher::Pattern)
    }

    /// The names of a plain list (also the fallback for a pattern that does not compile).
    pub fn exact(m: &str) -> Matcher {
        Matcher::Exact(
            m.split(['|', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    pub fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Exact(names) => names.iter().any(|n| n == name),
            Matcher::Pattern(re) => re.is_match(name),
        }
    }

    /// As configured, for listings.
    pub fn describe(&self) -> String {
        match self {
            Matcher::All => "*".to_string(),
            Matcher::Exact(names) => names.join("|"),
            Matcher::Pattern(re) => re.as_str().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table observed with Claude Code 2.1.197 (a Bash call against each matcher).
    #[test]
    fn matches_like_claude_code() {
        let cases = [
            ("Ba", false),
            ("Ba.*", true),
            ("bash", false),
            ("Read|Bash", true),
            ("Read, Bash", true),
            ("Read,Bash", true),
            ("^Bash$", true),
            (".*sh", true),
            ("*", true),
            ("", true),
            ("sh", false),
            ("Bas+", true),
            ("Bash ", true),
            ("B[a]sh", true),
            ("Read | Bash", true),
        ];
        for (m, want) in cases {
            assert_eq!(Matcher::parse(m).unwrap().matches("Bash"), want, "{m:?}");
        }
        let mcp = Matcher::parse("mcp__memory__.*").unwrap();
        assert!(mcp.matches("mcp__memory__create_entities"));
        assert!(!mcp.matches("mcp__github__get_issue"));
        assert!(Matcher::parse("Edit.*").unwrap().matches("NotebookEdit"));
        assert!(Matcher::parse("Write|Edit").unwrap().matches("Edit"));
        assert!(!Matcher::parse("Write|Edit").unwrap().matches("MultiEdit"));
        assert!(Matcher::parse("(unclosed").is_err());
    }
}
