//! Model aliases, context windows and prices.
//!
//! Aliases follow Claude Code 2.1.332 on the Anthropic API: `opus` → Claude Opus 5.5 (the default
//! with an API key), `sonnet` → Claude Sonnet 5.5, `haiku` → Claude Haiku 5.5, `fable`/`best` →
//! Claude Fable 5.2. `ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU}_MODEL` override what an alias
//! resolves to. Beyond this table, an alias resolves to the newest model of its family that the
//! API's `GET /v1/models` listed (see [`catalog`]), so a new generation needs no release.
//! `name[1m]` asks for the 1M-token context window: `name` is sent with the
//! [`CONTEXT_1M_BETA`] header. Unknown ids pass through unchanged.

pub mod catalog;

/// Facts about one model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelInfo {
    pub id: &'static str,
    pub display: &'static str,
    pub alias: Option<&'static str>,
    pub context_window: u64,
    pub max_output: u64,
    /// Dollars per million tokens.
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: f64,
    pub cache_read: f64,
}

const fn m(
    id: &'static str,
    display: &'static str,
    alias: Option<&'static str>,
    context_window: u64,
    max_output: u64,
    prices: [f64; 4],
) -> ModelInfo {
    ModelInfo {
        id,
        display,
        alias,
        context_window,
        max_output,
        input: prices[0],
        output: prices[1],
        cache_write_5m: prices[2],
        cache_read: prices[3],
    }
}

/// Known models, newest first within each family. Prices: input, output, 5-minute cache write,
/// cache read ($/MTok).
pub const MODELS: &[ModelInfo] = &[
    m(
        "claude-opus-5-5",
        "Opus 5.5",
        Some("opus"),
        1_000_000,
        128_000,
        [4.0, 20.0, 5.0, 0.2],
    ),
    m(
        "claude-sonnet-5-5",
        "Sonnet 5.5",
        Some("sonnet"),
        1_000_000,
        128_000,
        [2.0, 10.0, 2.5, 0.1],
    ),
    m(
        "claude-haiku-5-5",
        "Haiku 5.5",
        Some("haiku"),
        1_000_000,
        128_000,
        [0.5, 0.5, 0.625, 0.05],
    ),
    m(
        "claude-fable-5-2",
        "Fable 5.2",
        Some("fable"),
        1_000_000,
        128_000,
        [8.0, 40.0, 10.0, 0.2],
    ),
    m(
        "claude-opus-5",
        "Opus 5",
        None,
        1_000_000,
        128_000,
        [5.0, 25.0, 6.25, 0.5],
    ),
    m(
        "claude-sonnet-5",
        "Sonnet 5",
        None,
        1_000_000,
        128_000,
        [2.0, 10.0, 2.5, 0.2],
    ),
    m(
        "claude-fable-5",
        "Fable 5",
        None,
        1_000_000,
        128_000,
        [10.0, 50.0, 12.5, 1.0],
    ),
    m(
        "claude-haiku-4-5-20251001",
        "Haiku 4.5",
        None,
        200_000,
        64_000,
        [1.0, 5.0, 1.25, 0.1],
    ),
    m(
        "claude-opus-4-8",
        "Opus 4.8",
        None,
        1_000_000,
        128_000,
        [5.0, 25.0, 6.25, 0.5],
    ),
    m(
        "claude-opus-4-7",
        "Opus 4.7",
        None,
        1_000_000,
        128_000,
        [5.0, 25.0, 6.25, 0.5],
    ),
    m(
        "claude-opus-4-6",
        "Opus 4.6",
        None,
        1_000_000,
        128_000,
        [5.0, 25.0, 6.25, 0.5],
    ),
    m(
        "claude-opus-4-5-20251101",
        "Opus 4.5",
        None,
        200_000,
        64_000,
        [5.0, 25.0, 6.25, 0.5],
    ),
    m(
        "claude-opus-4-1-20250805",
        "Opus 4.1",
        None,
        200_000,
        32_000,
        [15.0, 75.0, 18.75, 1.5],
    ),
    m(
        "claude-sonnet-4-6",
        "Sonnet 4.6",
        None,
        200_000,
        128_000,
        [3.0, 15.0, 3.75, 0.3],
    ),
    m(
        "claude-sonnet-4-5-20250929",
        "Sonnet 4.5",
        None,
        200_000,
        64_000,
        [3.0, 15.0, 3.75, 0.3],
    ),
    m(
        "claude-sonnet-4-20250514",
        "Sonnet 4",
        None,
        200_000,
        64_000,
        [3.0, 15.0, 3.75, 0.3],
    ),
    m(
        "claude-3-5-haiku-20241022",
        "Haiku 3.5",
        None,
        200_000,
        8_192,
        [0.8, 4.0, 1.0, 0.08],
    ),
];

/// The model used when nothing else is configured (Claude Code's default with an API key).
pub const DEFAULT_MODEL_ALIAS: &str = "opus";

/// The `anthropic-beta` value that asks for the 1M-token context window (`name[1m]`).
pub const CONTEXT_1M_BETA: &str = "context-1m-2025-08-07";

/// Splits a `[1m]` suffix (any case) off a model name: `("claude-opus-5-5", true)`.
pub fn split_1m(model: &str) -> (&str, bool) {
    let n = model.len();
    if n >= 4 && model.is_char_boundary(n - 4) && model[n - 4..].eq_ignore_ascii_case("[1m]") {
        (&model[..n - 4], true)
    } else {
        (model, false)
    }
}

fn env_override(alias: &str) -> Option<String> {
    let var = match alias {
        "opus" => "ANTHROPIC_DEFAULT_OPUS_MODEL",
        "sonnet" => "ANTHROPIC_DEFAULT_SONNET_MODEL",
        "haiku" => "ANTHROPIC_DEFAULT_HAIKU_MODEL",
        _ => return None,
    };
    crate::env::nonempty(var).or_else(|| {
        (alias == "haiku")
            .then(|| crate::env::nonempty("ANTHROPIC_SMALL_FAST_MODEL"))
            .flatten()
    })
}

/// Resolves an alias (`opus`, `sonnet`, `haiku`, `fable`, `best`, `default`, each with an
/// optional `[1m]` suffix) to a model id, the suffix kept (the API client turns it into the
/// beta header); anything else passes through unchanged. Uses the cached `/v1/models` answer
/// when there is a fresh one (see [`catalog`]).
pub fn resolve_alias(name: &str) -> String {
    resolve_with(name, catalog::cached())
}

/// [`resolve_alias`] with an explicit catalog (`None`: the built-in table only).
pub fn resolve_with(name: &str, catalog: Option<&catalog::Catalog>) -> String {
    let name = name.trim();
    let (base, long) = split_1m(name);
    let suffix = if long { "[1m]" } else { "" };
    let alias = match base.to_ascii_lowercase().as_str() {
        "default" => DEFAULT_MODEL_ALIAS.to_string(),
        "best" => "fable".to_string(),
        other => other.to_string(),
    };
    if let Some(id) = env_override(&alias) {
        return format!("{}{suffix}", split_1m(id.trim()).0);
    }
    if let Some(id) = catalog.and_then(|c| c.newest(&alias)) {
        return format!("{id}{suffix}");
    }
    match MODELS.iter().find(|m| m.alias == Some(alias.as_str())) {
        Some(m) => format!("{}{suffix}", m.id),
        None => format!("{base}{suffix}"),
    }
}

/// Looks a model id up, tolerating a `[1m]` suffix and dated/undated variants.
pub fn info(id: &str) -> Option<&'static ModelInfo> {
    let id = split_1m(id).0;
    MODELS
        .iter()
        .find(|m| m.id == id)
        .or_else(|| {
            MODELS
                .iter()
                .find(|m| m.id.starts_with(id) && m.id.len() == id.len() + 9)
        })
        .or_else(|| {
            // A dated variant of a known id (`claude-opus-5-5-20261001`), never a longer
            // version (`claude-opus-5` is not `claude-opus-5-5`).
            MODELS.iter().find(|m| {
                id.strip_prefix(m.id)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
            })
        })
}

/// Output-token ceiling for a request: `CLAUDE_CODE_MAX_OUTPUT_TOKENS`, else the model's maximum
/// capped at 64,000 (Claude Code's default), 32,000 for unknown models.
pub fn max_output_tokens(id: &str) -> u64 {
    if let Some(n) = crate::env::parse::<u64>("CLAUDE_CODE_MAX_OUTPUT_TOKENS").filter(|n| *n > 0) {
        return n;
    }
    info(id).map(|m| m.max_output.min(64_000)).unwrap_or(32_000)
}

/// Context window in tokens (200k for unknown models).
pub fn context_window(id: &str) -> u64 {
    info(id).map(|m| m.context_window).unwrap_or(200_000)
}

/// Cost in dollars of `usage` on model `id`; `None` when the model's prices are unknown.
pub fn cost_usd(id: &str, usage: &crate::api::Usage) -> Option<f64> {
    let m = info(id)?;
    let web_searches = usage
        .server_tool_use
        .as_ref()
        .map(|s| s.web_search_requests)
        .unwrap_or(0);
    Some(
        (usage.input_tokens as f64 * m.input
            + usage.output_tokens as f64 * m.output
            + usage.cache_creation_input_tokens as f64 * m.cache_write_5m
            + usage.cache_read_input_tokens as f64 * m.cache_read)
            / 1_000_000.0
            // Web search is billed at $10 per 1,000 searches.
            + web_searches as f64 * 0.01,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Usage;

    #[test]
    fn aliases_resolve_and_ids_pass_through() {
        let r = |n: &str| resolve_with(n, None);
        assert_eq!(r("opus"), "claude-opus-5-5");
        assert_eq!(r("default"), "claude-opus-5-5");
        assert_eq!(r("Sonnet"), "claude-sonnet-5-5");
        assert_eq!(r("haiku"), "claude-haiku-5-5");
        assert_eq!(r("fable"), "claude-fable-5-2");
        assert_eq!(r("best"), "claude-fable-5-2");
        assert_eq!(r("claude-opus-4-8"), "claude-opus-4-8");
        assert_eq!(r("my-custom-model"), "my-custom-model");
        assert_eq!(r("opus[1m]"), "claude-opus-5-5[1m]");
        assert_eq!(r("claude-sonnet-4-5[1M]"), "claude-sonnet-4-5[1m]");
    }

    #[test]
    fn the_1m_suffix() {
        assert_eq!(split_1m("claude-opus-5-5[1m]"), ("claude-opus-5-5", true));
        assert_eq!(split_1m("x[1M]"), ("x", true));
        assert_eq!(split_1m("claude-opus-5-5"), ("claude-opus-5-5", false));
        assert_eq!(split_1m("[1m]"), ("", true));
        assert_eq!(split_1m("é[1m"), ("é[1m", false));
    }

    #[test]
    fn prices_of_the_current_generation() {
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            cache_creation_input_tokens: 1_000_000,
            cache_read_input_tokens: 1_000_000,
            ..Default::default()
        };
        for (id, total) in [
            ("claude-opus-5-5", 4.0 + 20.0 + 5.0 + 0.2),
            ("claude-sonnet-5-5", 2.0 + 10.0 + 2.5 + 0.1),
            ("claude-haiku-5-5", 0.5 + 0.5 + 0.625 + 0.05),
            ("claude-fable-5-2", 8.0 + 40.0 + 10.0 + 0.2),
            ("claude-opus-5-5[1m]", 4.0 + 20.0 + 5.0 + 0.2),
            ("claude-opus-5-5-20261001", 4.0 + 20.0 + 5.0 + 0.2),
            // Older ids keep their prices.
            ("claude-opus-5", 5.0 + 25.0 + 6.25 + 0.5),
            ("claude-haiku-4-5", 1.0 + 5.0 + 1.25 + 0.1),
        ] {
            let c = cost_usd(id, &u).unwrap();
            assert!((c - total).abs() < 1e-9, "{id}: {c} != {total}");
        }
        assert_eq!(info("claude-opus-5").unwrap().id, "claude-opus-5");
        assert!(info("claude-opus-6").is_none());
    }

    #[test]
    fn info_tolerates_variants() {
        assert_eq!(
            info("claude-haiku-4-5").unwrap().id,
            "claude-haiku-4-5-20251001"
        );
        assert_eq!(info("claude-opus-4-8[1m]").unwrap().id, "claude-opus-4-8");
        assert!(info("gpt-4").is_none());
    }

    #[test]
    fn cost_matches_reference_capture() {
        // claude-code-wire.md §8: 19,347 input + 14 output on Opus 4.8 → $0.097085.
        let u = Usage {
            input_tokens: 19_347,
            output_tokens: 14,
            ..Default::default()
        };
        let c = cost_usd("claude-opus-4-8", &u).unwrap();
        assert!((c - 0.097085).abs() < 1e-9, "{c}");
        assert!(cost_usd("unknown", &u).is_none());
    }
}
