//! `GET /v1/models`: the models the real API lists (newest first), unless a route replaces it.

use serde_json::{Value, json};

/// `(id, display name, created_at)` of the models listed by default: the generation Claude Code
/// 2.1.332 resolves its aliases to, then the previous one.
pub const MODELS: &[(&str, &str, &str)] = &[
    (
        "claude-fable-5-2",
        "Claude Fable 5.2",
        "2026-10-01T00:00:00Z",
    ),
    ("claude-opus-5-5", "Claude Opus 5.5", "2026-09-15T00:00:00Z"),
    (
        "claude-sonnet-5-5",
        "Claude Sonnet 5.5",
        "2026-09-15T00:00:00Z",
    ),
    (
        "claude-haiku-5-5",
        "Claude Haiku 5.5",
        "2026-09-15T00:00:00Z",
    ),
    ("claude-opus-5", "Claude Opus 5", "2026-05-01T00:00:00Z"),
    ("claude-sonnet-5", "Claude Sonnet 5", "2026-02-01T00:00:00Z"),
    (
        "claude-haiku-4-5-20251001",
        "Claude Haiku 4.5",
        "2025-10-01T00:00:00Z",
    ),
];

/// The list in the API's shape (`data`, `has_more`, `first_id`, `last_id`).
pub fn list() -> Value {
    let data: Vec<Value> = MODELS
        .iter()
        .map(|(id, name, created)| {
            json!({"type": "model", "id": id, "display_name": name, "created_at": created})
        })
        .collect();
    json!({
        "data": data,
        "has_more": false,
        "first_id": MODELS.first().map(|m| m.0),
        "last_id": MODELS.last().map(|m| m.0),
    })
}
