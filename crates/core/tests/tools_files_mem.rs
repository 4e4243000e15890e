//! Read streams: a 100 MB file costs only the lines asked for. Its own test binary, so that no
//! other test moves this process's peak RSS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mem;

use ccrs_core::tools::{ToolContext, ToolRegistry};
use mem::{reset_peak, status_kb};
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "current_thread")]
async fn hundred_mb_file_read_with_small_limit_is_cheap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let line = format!("{}\n", "x".repeat(99)); // 100 bytes a line
        let chunk = line.repeat(10_000); // 1 MB
        for _ in 0..100 {
            f.write_all(chunk.as_bytes()).unwrap();
        }
        f.flush().unwrap();
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100_000_000);
    let ctx = ToolContext::for_tests(dir.path());
    let reg = ToolRegistry::builtin();
    let read = reg.get("Read").unwrap();

    // Warm up the runtime's blocking pool so its thread does not count as growth.
    let _ = read
        .call(json!({"file_path": "/nonexistent/x"}), &ctx)
        .await;
    // Reset the peak to the current RSS where the kernel allows it.
    let _ = reset_peak();
    let hwm_before = status_kb("VmHWM:");

    let t = Instant::now();
    let out = read
        .call(
            json!({"file_path": path.display().to_string(), "limit": 10}),
            &ctx,
        )
        .await;
    let took = t.elapsed();
    assert!(!out.is_error, "{}", out.text());
    let text = out.text();
    assert_eq!(text.lines().count(), 10);
    assert!(text.starts_with(&format!("1\t{}\n", "x".repeat(99))));
    assert!(text.ends_with(&format!("10\t{}", "x".repeat(99))));
    // Too far to count cheaply: the total is unknown rather than paid for.
    assert!(out.structured.unwrap()["file"]["totalLines"].is_null());
    assert!(took < Duration::from_millis(500), "took {took:?}");

    // Far into the file: it is scanned, never held.
    let out = read
        .call(
            json!({"file_path": path.display().to_string(), "offset": 999_990, "limit": 5}),
            &ctx,
        )
        .await;
    assert!(!out.is_error, "{}", out.text());
    assert!(out.text().starts_with("999990\t"));
    assert_eq!(out.structured.unwrap()["file"]["totalLines"], 1_000_000);

    let growth = status_kb("VmHWM:").saturating_sub(hwm_before);
    eprintln!("growth {growth} kB, first read {took:?}");
    assert!(growth < 8 * 1024, "peak RSS grew by {growth} kB");
    assert!(ctx.session.files.get(&path).unwrap().partial);
}
