//! Messages for the model: sizes, missing files (with a suggestion), directories, special files.

use std::path::{Path, PathBuf};

/// `1.5KB`, `12MB`, `300 bytes`, like Claude Code's size formatting.
pub fn format_size(bytes: u64) -> String {
    fn one(v: f64, unit: &str) -> String {
        let s = format!("{v:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    }
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        one(b / 1024.0, "KB")
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        one(b / (1024.0 * 1024.0), "MB")
    } else {
        one(b / (1024.0 * 1024.0 * 1024.0), "GB")
    }
}

/// Levenshtein distance between `a` and `b`, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A file near `path` the model may have meant: the same path under `cwd` (for `/src/x` meant
/// relative), or a sibling with another case, another extension or a small typo.
pub fn similar_file(path: &Path, cwd: &Path) -> Option<PathBuf> {
    if let Ok(rel) = path.strip_prefix("/")
        && !path.starts_with(cwd)
    {
        let c = cwd.join(rel);
        if c.is_file() {
            return Some(c);
        }
    }
    let parent = path.parent()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let lname = name.to_lowercase();
    let mut best: Option<(usize, PathBuf)> = None;
    for entry in std::fs::read_dir(parent).ok()?.flatten().take(2000) {
        let cand = entry.file_name().to_string_lossy().into_owned();
        if cand == name {
            continue;
        }
        let cpath = entry.path();
        let score = if cand.to_lowercase() == lname {
            0
        } else if stem.is_some()
            && Path::new(&cand)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                == stem
        {
            1
        } else {
            let d = edit_distance(&cand.to_lowercase(), &lname);
            if d > 2 || d * 4 > lname.chars().count() {
                continue;
            }
            1 + d
        };
        if best
            .as_ref()
            .is_none_or(|(s, p)| score < *s || (score == *s && cpath < *p))
        {
            best = Some((score, cpath));
        }
    }
    best.map(|(_, p)| p)
}

/// Claude Code's missing-file message, with a suggestion when one is found.
pub fn missing_file_message(path: &Path, cwd: &Path) -> String {
    let mut msg = format!(
        "File does not exist. Note: your current working directory is {}.",
        cwd.display()
    );
    if let Some(s) = similar_file(path, cwd) {
        msg.push_str(&format!(" Did you mean {}?", s.display()));
    }
    msg
}

/// The message for a path that is a directory.
pub fn directory_message(path: &Path) -> String {
    format!(
        "{} is a directory, not a file. Use Glob or `ls` (Bash) to list it.",
        path.display()
    )
}

/// The message for a path that is neither a regular file nor a directory. Such files are never
/// read whole (a FIFO may block forever, `/dev/zero` never ends) nor replaced.
pub fn special_file_message(path: &Path) -> String {
    format!(
        "{} is not a regular file (a device, FIFO or socket); only regular files can be edited \
         or written.",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(format_size(100), "100 bytes");
        assert_eq!(format_size(1536), "1.5KB");
        assert_eq!(format_size(3 * 1024 * 1024), "3MB");
    }

    #[test]
    fn suggests_similar_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("config.yaml"), "").unwrap();
        std::fs::write(d.path().join("README.md"), "").unwrap();
        let s = similar_file(&d.path().join("config.yml"), d.path()).unwrap();
        assert_eq!(s, d.path().join("config.yaml"));
        let s = similar_file(&d.path().join("readme.md"), d.path()).unwrap();
        assert_eq!(s, d.path().join("README.md"));
        assert_eq!(similar_file(&d.path().join("zzzzzz.rs"), d.path()), None);
        // A "root-relative" path meant under cwd.
        std::fs::create_dir(d.path().join("src")).unwrap();
        std::fs::write(d.path().join("src/lib.rs"), "").unwrap();
        assert_eq!(
            similar_file(Path::new("/src/lib.rs"), d.path()),
            Some(d.path().join("src/lib.rs"))
        );
    }
}
