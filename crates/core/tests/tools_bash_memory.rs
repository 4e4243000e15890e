//! A command printing 1 GB must not grow ccrs's memory: its capture is bounded. This is its own
//! test binary so that no other test inflates the peak RSS (`VmHWM`) it measures.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use ccrs_core::tools::{ToolContext, ToolRegistry};
use serde_json::json;
use std::time::Instant;

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn one_gigabyte_of_output_keeps_memory_bounded() {
    let d = tempfile::tempdir().unwrap();
    let ctx = ToolContext::for_tests(d.path());
    let reg = ToolRegistry::builtin();
    let bash = reg.get("Bash").unwrap();
    let before = vm_hwm_kb();
    let t = Instant::now();
    let out = bash
        .call(
            json!({"command": "head -c 1000000000 /dev/zero | tr '\\0' x; echo; echo END"}),
            &ctx,
        )
        .await;
    let elapsed = t.elapsed();
    let growth_mb = (vm_hwm_kb() - before) as f64 / 1024.0;
    eprintln!("1 GB through Bash: {elapsed:?}, peak RSS growth {growth_mb:.1} MB");
    assert!(growth_mb < 50.0, "peak RSS grew by {growth_mb:.1} MB");
    let text = out.text();
    assert!(!out.is_error);
    assert!(text.starts_with(&"x".repeat(15_000)));
    assert!(text.ends_with(&format!("{}\nEND", "x".repeat(14_000))));
    // 1e9 x + "\n" + "END" = 1,000,000,004 chars (the last newline is trimmed), 30,000 kept.
    assert!(
        text.contains("\n\n... [999970004 characters truncated] ...\n\n"),
        "{}",
        &text[14_990..15_080]
    );
    assert!(text.len() < 30_100);
}
