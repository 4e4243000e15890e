//! Environment lookups that honour the settings files' `env` blocks.
//!
//! Claude Code copies every settings `env` entry into its own environment, so a key set there
//! (`ANTHROPIC_BASE_URL`, `API_TIMEOUT_MS`, `BASH_DEFAULT_TIMEOUT_MS`, ...) behaves exactly like an
//! exported variable. Mutating the process environment is `unsafe` in Rust 2024 (and forbidden
//! here), so ccrs keeps the settings' entries in an overlay that every lookup consults first;
//! child processes get the overlay applied explicitly.

use std::sync::RwLock;

static OVERLAY: RwLock<Vec<(String, String)>> = RwLock::new(Vec::new());

/// Installs the settings' `env` entries (called once at start-up, and on reload).
pub fn set_overlay(vars: Vec<(String, String)>) {
    if let Ok(mut o) = OVERLAY.write() {
        *o = vars;
    }
}

/// The overlay entries (for child processes).
pub fn overlay() -> Vec<(String, String)> {
    OVERLAY.read().map(|o| o.clone()).unwrap_or_default()
}

/// The value of `key`: the settings' `env` first (as Claude Code assigns it over the process
/// environment), then the process environment.
pub fn var(key: &str) -> Option<String> {
    if let Ok(o) = OVERLAY.read()
        && let Some((_, v)) = o.iter().find(|(k, _)| k == key)
    {
        return Some(v.clone());
    }
    std::env::var(key).ok()
}

/// Like [`var`], but empty or blank values count as unset.
pub fn nonempty(key: &str) -> Option<String> {
    var(key).filter(|v| !v.trim().is_empty())
}

/// A numeric variable; `None` when unset or not a number.
pub fn parse<T: std::str::FromStr>(key: &str) -> Option<T> {
    nonempty(key).and_then(|v| v.trim().parse().ok())
}

/// A switch's value: `Some(true)` for `1`, `true`, `yes`, `on`, `Some(false)` for `0`, `false`,
/// `no`, `off` (any case, surrounding blanks ignored), `None` for anything else.
pub fn switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A boolean flag: `1`, `true`, `yes`, `on` (any case).
pub fn flag(key: &str) -> bool {
    nonempty(key).is_some_and(|v| switch(&v) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_wins_over_process_env() {
        // Keys unique to this test so parallel tests are not disturbed.
        set_overlay(vec![
            ("CCRS_TEST_OVERLAY_KEY".into(), "42".into()),
            ("PATH".into(), "/overlay".into()),
        ]);
        assert_eq!(var("CCRS_TEST_OVERLAY_KEY").as_deref(), Some("42"));
        assert_eq!(parse::<u32>("CCRS_TEST_OVERLAY_KEY"), Some(42));
        assert_eq!(var("PATH").as_deref(), Some("/overlay"));
        set_overlay(Vec::new());
        assert!(var("CCRS_TEST_OVERLAY_KEY").is_none());
    }
}
