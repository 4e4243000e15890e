//! The API's model list (`GET /v1/models`), cached for a day in `models.json` under ccrs's
//! config directory, so aliases follow a new model generation without a ccrs release.
//!
//! Start-up never waits for the network: aliases resolve from the cached list when it is fresh
//! (a small file read) or from the built-in table. The API client refreshes a stale cache
//! alongside its first request ([`crate::api::ApiClient`]), for the next run. The cache is per `ANTHROPIC_BASE_URL`: a gateway's list does not leak into first-party
//! use.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How long a fetched list is used.
pub const TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// One listed model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    /// RFC 3339, as the API sends it (sorts as text).
    #[serde(default)]
    pub created_at: String,
}

/// A fetched list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub base_url: String,
    pub fetched_at_ms: u64,
    pub models: Vec<Entry>,
}

/// `claude-opus-5-5` → `[5, 5]`; the version part of an id within its family.
fn version(rest: &str) -> Vec<u64> {
    rest.split('-')
        .take_while(|p| p.len() < 8) // a date suffix ends the version
        .map_while(|p| p.parse().ok())
        .collect()
}

impl Catalog {
    /// The parsed `data` of a `/v1/models` answer.
    pub fn from_answer(
        base_url: &str,
        fetched_at_ms: u64,
        answer: &serde_json::Value,
    ) -> Option<Self> {
        let data = answer.get("data")?.as_array()?;
        let models: Vec<Entry> = data
            .iter()
            .filter_map(|m| serde_json::from_value(m.clone()).ok())
            .collect();
        (!models.is_empty()).then(|| Catalog {
            base_url: base_url.to_string(),
            fetched_at_ms,
            models,
        })
    }

    /// The newest model of an alias's family (`opus` → the newest `claude-opus-*`): latest
    /// `created_at`, then highest version.
    pub fn newest(&self, family: &str) -> Option<&str> {
        if !matches!(family, "opus" | "sonnet" | "haiku" | "fable") {
            return None;
        }
        let prefix = format!("claude-{family}-");
        self.models
            .iter()
            .filter_map(|m| {
                let rest = m.id.strip_prefix(&prefix)?;
                let v = version(rest);
                (!v.is_empty()).then_some((m, v))
            })
            .max_by(|(a, va), (b, vb)| a.created_at.cmp(&b.created_at).then(va.cmp(vb)))
            .map(|(m, _)| m.id.as_str())
    }

    /// Whether this list is for `base_url` and younger than a day at `now_ms`.
    pub fn is_fresh(&self, base_url: &str, now_ms: u64) -> bool {
        self.base_url == base_url && now_ms.saturating_sub(self.fetched_at_ms) < TTL_MS
    }
}

/// `ccrs_config_dir()/models.json`.
pub fn default_path() -> PathBuf {
    crate::paths::ccrs_config_dir().join("models.json")
}

/// The list stored at `path`, if any (fresh or not).
pub fn read(path: &Path) -> Option<Catalog> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Stores `catalog` at `path` (atomically; the directory is created private).
pub fn write(path: &Path, catalog: &Catalog) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let data = serde_json::to_vec(catalog).map_err(std::io::Error::other)?;
    crate::fsutil::atomic_write(path, &data, Some(0o600))
}

/// The base URL the catalog is for (as the API client will use it).
pub fn current_base_url() -> String {
    crate::env::nonempty("ANTHROPIC_BASE_URL")
        .unwrap_or_else(|| "https://api.anthropic.com".into())
        .trim()
        .trim_end_matches('/')
        .to_string()
}

/// The fresh cached list for the current base URL, read once per process.
pub fn cached() -> Option<&'static Catalog> {
    static CACHE: OnceLock<Option<Catalog>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            read(&default_path())
                .filter(|c| c.is_fresh(&current_base_url(), crate::timeutil::now_ms()))
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog(ids: &[(&str, &str)]) -> Catalog {
        Catalog::from_answer(
            "https://api.anthropic.com",
            1000,
            &json!({"data": ids.iter().map(|(id, at)| json!({"type": "model", "id": id,
                "display_name": id, "created_at": at})).collect::<Vec<_>>()}),
        )
        .unwrap()
    }

    #[test]
    fn newest_of_a_family() {
        let c = catalog(&[
            ("claude-opus-5-5", "2026-09-15T00:00:00Z"),
            ("claude-opus-6", "2027-01-10T00:00:00Z"),
            ("claude-opus-5", "2026-05-01T00:00:00Z"),
            ("claude-sonnet-5-5", "2026-09-15T00:00:00Z"),
            ("claude-sonnet-5-6", "2026-09-15T00:00:00Z"),
            ("claude-haiku-4-5-20251001", "2025-10-01T00:00:00Z"),
            ("claude-opusplan-x", "2030-01-01T00:00:00Z"),
        ]);
        assert_eq!(c.newest("opus"), Some("claude-opus-6"));
        assert_eq!(
            c.newest("sonnet"),
            Some("claude-sonnet-5-6"),
            "same date: higher version"
        );
        assert_eq!(c.newest("haiku"), Some("claude-haiku-4-5-20251001"));
        assert_eq!(c.newest("fable"), None);
        assert_eq!(c.newest("gpt"), None);
        // Resolution: the catalog wins over the built-in table, the table fills its gaps.
        assert_eq!(
            crate::models::resolve_with("opus", Some(&c)),
            "claude-opus-6"
        );
        assert_eq!(
            crate::models::resolve_with("opus[1m]", Some(&c)),
            "claude-opus-6[1m]"
        );
        assert_eq!(
            crate::models::resolve_with("fable", Some(&c)),
            "claude-fable-5-2"
        );
        assert_eq!(
            crate::models::resolve_with("claude-x", Some(&c)),
            "claude-x"
        );
    }

    #[test]
    fn freshness_and_storage() {
        let c = catalog(&[("claude-opus-5-5", "2026-09-15T00:00:00Z")]);
        assert!(c.is_fresh("https://api.anthropic.com", 1000 + TTL_MS - 1));
        assert!(!c.is_fresh("https://api.anthropic.com", 1000 + TTL_MS));
        assert!(!c.is_fresh("https://gateway.example", 1000));
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cfg/models.json");
        write(&p, &c).unwrap();
        assert_eq!(read(&p), Some(c));
        std::fs::write(&p, b"{broken").unwrap();
        assert_eq!(read(&p), None);
        assert!(Catalog::from_answer("x", 0, &json!({"data": []})).is_none());
        assert!(Catalog::from_answer("x", 0, &json!({"error": {}})).is_none());
    }
}
