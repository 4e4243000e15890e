//! Tab completion: slash commands at the start of the input, file paths after `@`.

use std::path::{Path, PathBuf};

const MAX_PATHS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// What replaces the word being completed.
    pub value: String,
    /// Extra text shown beside it (a command's description).
    pub detail: String,
}

/// Candidates for the word before the cursor and how many bytes of it they replace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub replace_len: usize,
    pub items: Vec<Candidate>,
}

impl Completion {
    /// The longest prefix all candidates share.
    pub fn common_prefix(&self) -> String {
        let mut it = self.items.iter();
        let Some(first) = it.next() else {
            return String::new();
        };
        let mut prefix = first.value.clone();
        for c in it {
            let mut end = 0;
            for ((i, a), b) in prefix.char_indices().zip(c.value.chars()) {
                if a != b {
                    break;
                }
                end = i + a.len_utf8();
            }
            prefix.truncate(end);
        }
        prefix
    }
}

/// Slash commands matching the input when it is a lone `/word` (for live suggestions too).
pub fn slash(before_cursor: &str, commands: &[(String, String)]) -> Option<Completion> {
    let word = before_cursor.strip_prefix('/')?;
    if word.contains(char::is_whitespace) {
        return None;
    }
    let lower = word.to_lowercase();
    let mut items: Vec<Candidate> = commands
        .iter()
        .filter(|(n, _)| n.to_lowercase().starts_with(&lower))
        .map(|(n, d)| Candidate {
            value: format!("/{n}"),
            detail: d.clone(),
        })
        .collect();
    // Then names that merely contain it (`/comp` finds `/frontend:component`).
    for (n, d) in commands {
        let v = format!("/{n}");
        if lower.len() >= 2
            && n.to_lowercase().contains(&lower)
            && !items.iter().any(|c| c.value == v)
        {
            items.push(Candidate {
                value: v,
                detail: d.clone(),
            });
        }
    }
    if items.is_empty() {
        return None;
    }
    Some(Completion {
        replace_len: before_cursor.len(),
        items,
    })
}

/// The `@path` word before the cursor, if the cursor ends one.
pub fn at_word(before_cursor: &str) -> Option<&str> {
    let start = before_cursor.rfind(char::is_whitespace).map_or(0, |i| {
        i + before_cursor[i..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before_cursor[start..];
    word.strip_prefix('@').map(|_| word)
}

fn expand_dir(dir: &str, cwd: &Path) -> PathBuf {
    if dir.is_empty() {
        return cwd.to_path_buf();
    }
    if let Some(rest) = dir.strip_prefix("~/")
        && let Some(home) = ccrs_core::paths::home_dir()
    {
        return home.join(rest);
    }
    let p = Path::new(dir);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// Files and directories completing an `@path` word.
pub fn paths(before_cursor: &str, cwd: &Path) -> Option<Completion> {
    let word = at_word(before_cursor)?;
    let partial = &word[1..];
    let (dir, base) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let rd = std::fs::read_dir(expand_dir(dir, cwd)).ok()?;
    let mut items: Vec<Candidate> = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(base) {
            continue;
        }
        if name.starts_with('.') && !base.starts_with('.') {
            continue;
        }
        if name == ".git" {
            continue;
        }
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        items.push(Candidate {
            value: format!("@{dir}{name}{}", if is_dir { "/" } else { "" }),
            detail: String::new(),
        });
        if items.len() >= MAX_PATHS {
            break;
        }
    }
    if items.is_empty() {
        return None;
    }
    items.sort_by(|a, b| a.value.cmp(&b.value));
    Some(Completion {
        replace_len: word.len(),
        items,
    })
}

/// The `@words` of a prompt that name no file or directory: they are sent as plain text, and
/// the user is told so (issue 20 point 7).
pub fn unmatched_at_words(prompt: &str, cwd: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in prompt.split_whitespace() {
        let Some(path) = w.strip_prefix('@') else {
            continue;
        };
        let path = path.trim_end_matches([',', '.', ';', ':', '!', '?', ')', '"', '\'']);
        if path.is_empty() || path.starts_with('"') {
            continue;
        }
        let p = expand_dir(path, cwd);
        if !p.exists() && !expand_dir(w.trim_start_matches('@'), cwd).exists() {
            let word = format!("@{path}");
            if !out.contains(&word) {
                out.push(word);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds() -> Vec<(String, String)> {
        ["help", "model", "memory", "frontend:component"]
            .iter()
            .map(|n| (n.to_string(), format!("about {n}")))
            .collect()
    }

    #[test]
    fn slash_prefix_then_substring() {
        let c = slash("/m", &cmds()).unwrap();
        let v: Vec<_> = c.items.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(v, ["/model", "/memory"]);
        assert_eq!(c.common_prefix(), "/m");
        let c = slash("/comp", &cmds()).unwrap();
        assert_eq!(c.items[0].value, "/frontend:component");
        assert!(slash("/model x", &cmds()).is_none());
        assert!(slash("hello", &cmds()).is_none());
        assert_eq!(slash("/", &cmds()).unwrap().items.len(), 4);
    }

    #[test]
    fn at_paths_complete_from_cwd() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src/tui")).unwrap();
        std::fs::write(d.path().join("src/main.rs"), "").unwrap();
        std::fs::write(d.path().join("src/mod.rs"), "").unwrap();
        std::fs::write(d.path().join(".hidden"), "").unwrap();
        let c = paths("look at @sr", d.path()).unwrap();
        assert_eq!(c.items[0].value, "@src/");
        assert_eq!(c.replace_len, 3);
        let c = paths("@src/m", d.path()).unwrap();
        let v: Vec<_> = c.items.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(v, ["@src/main.rs", "@src/mod.rs"]);
        assert_eq!(c.common_prefix(), "@src/m");
        let all = paths("@", d.path()).unwrap();
        assert!(all.items.iter().all(|i| i.value != "@.hidden"));
        assert!(paths("no at word", d.path()).is_none());
    }

    #[test]
    fn unmatched_at_words_are_found() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("main.rs"), "").unwrap();
        let v = unmatched_at_words("look at @main.rs, @ma and @ma again; mail a@b.c", d.path());
        assert_eq!(v, ["@ma"]);
        assert!(unmatched_at_words("@main.rs.", d.path()).is_empty());
    }
}
