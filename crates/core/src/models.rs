//! Model aliases, context windows and prices.
//!
//! Aliases follow Claude Code 2.1.2xx on the Anthropic API: `opus` → Claude Opus 5, `sonnet` →
//! Claude Sonnet 5 (the default), `haiku` → Claude Haiku 4.5, `fable`/`best` → Claude Fable 5.
//! `ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU}_MODEL` override what an alias resolves to.

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
        "claude-opus-5",
        "Opus 5",
        Some("opus"),
        1_000_000,
        128_000,
        [5.0, 25.0, 6.25, 0.5],
    ),
    m(
        "claude-sonnet-5",
        "Sonnet 5",
        Some("sonnet"),
        1_000_000,
        128_000,
        [2.0, 10.0, 2.5, 0.2],
    ),
    m(
        "claude-haiku-4-5-20251001",
        "Haiku 4.5",
        Some("haiku"),
        200_000,
        64_000,
        [1.0, 5.0, 1.25, 0.1],
    ),
    m(
        "claude-fable-5",
        "Fable 5",
        Some("fable"),
        1_000_000,
        128_000,
        [10.0, 50.0, 12.5, 1.0],
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

/// The model used when nothing else is configured.
pub const DEFAULT_MODEL_ALIAS: &str = "sonnet";

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

/// Resolves an alias (`opus`, `sonnet`, `haiku`, `fable`, `best`, `default`, with an optional
/// `[1m]` suffix) to a model id; anything else passes through unchanged.
pub fn resolve_alias(name: &str) -> String {
    let name = name.trim();
    let (base, suffix) = match name.strip_suffix("[1m]") {
        Some(b) => (b, "[1m]"),
        None => (name, ""),
    };
    let alias = match base.to_ascii_lowercase().as_str() {
        "default" => DEFAULT_MODEL_ALIAS.to_string(),
        "best" => "fable".to_string(),
        other => other.to_string(),
    };
    if let Some(id) = env_override(&alias) {
        return id;
    }
    match MODELS.iter().find(|m| m.alias == Some(alias.as_str())) {
        // The 1M window is native for every aliased model; the suffix is only kept for ids.
        Some(m) => m.id.to_string(),
        None => format!("{base}{suffix}"),
    }
}

/// Looks a model id up, tolerating a `[1m]` suffix and dated/undated variants.
pub fn info(id: &str) -> Option<&'static ModelInfo> {
    let id = id.strip_suffix("[1m]").unwrap_or(id);
    MODELS
        .iter()
        .find(|m| m.id == id)
        .or_else(|| {
            MODELS
                .iter()
                .find(|m| m.id.starts_with(id) && m.id.len() == id.len() + 9)
        })
        .or_else(|| MODELS.iter().find(|m| id.starts_with(m.id)))
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
        assert_eq!(resolve_alias("opus"), "claude-opus-5");
        assert_eq!(resolve_alias("Sonnet"), "claude-sonnet-5");
        assert_eq!(resolve_alias("haiku"), "claude-haiku-4-5-20251001");
        assert_eq!(resolve_alias("best"), "claude-fable-5");
        assert_eq!(resolve_alias("claude-opus-4-8"), "claude-opus-4-8");
        assert_eq!(resolve_alias("my-custom-model"), "my-custom-model");
        assert_eq!(resolve_alias("opus[1m]"), "claude-opus-5");
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
