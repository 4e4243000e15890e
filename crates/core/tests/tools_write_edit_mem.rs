//! Write and Edit of a 50 MB file peak at a small multiple of the file's size. Its own test
//! binary, so that no other test moves this process's peak RSS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mem;

use ccrs_core::tools::{ToolContext, ToolRegistry};
use mem::{reset_peak, status_kb};
use serde_json::json;

const MB: usize = 1024 * 1024;

#[tokio::test(flavor = "current_thread")]
async fn fifty_mb_write_and_edits_peak_at_a_small_multiple_of_the_file() {
    let n = 50 * MB;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.txt");
    let file_path = path.display().to_string();
    let ctx = ToolContext::for_tests(dir.path());
    let reg = ToolRegistry::builtin();
    let (write, edit) = (reg.get("Write").unwrap(), reg.get("Edit").unwrap());

    // Warm up the blocking pool so its thread does not count as growth.
    let out = write
        .call(json!({"file_path": file_path, "content": "warm\n"}), &ctx)
        .await;
    assert!(!out.is_error, "{}", out.text());
    std::fs::remove_file(&path).unwrap();
    ctx.session.files.clear();

    let line = "the quick brown fox jumps over the lazy dog 0123456789\n";
    let mut content = String::with_capacity(n + 64);
    content.push_str("HEAD\n");
    while content.len() + line.len() < n {
        content.push_str(line);
    }
    content.push_str("TAIL\n");
    let expected_len = content.len() + 2 * " edited".len();
    // The input owns its copy of the content, as the agent's does.
    let input = json!({"file_path": file_path, "content": content});
    drop(content);
    let can_reset = reset_peak();
    let base = status_kb("VmRSS:");

    let out = write.call(input, &ctx).await;
    assert!(!out.is_error, "{}", out.text());
    drop(out);
    let after_write = status_kb("VmHWM:").saturating_sub(base);

    for (old, new) in [("HEAD\n", "HEAD edited\n"), ("TAIL\n", "TAIL edited\n")] {
        let out = edit
            .call(
                json!({"file_path": file_path, "old_string": old, "new_string": new}),
                &ctx,
            )
            .await;
        assert!(!out.is_error, "{}", out.text());
    }
    let peak = status_kb("VmHWM:").saturating_sub(base);
    let written = std::fs::read(&path).unwrap();
    assert!(written.starts_with(b"HEAD edited\nthe quick"));
    assert!(written.ends_with(b"lazy dog 0123456789\nTAIL edited\n"));
    assert_eq!(written.len(), expected_len);
    drop(written);

    let n_kb = (n / 1024) as u64;
    eprintln!(
        "file {n_kb} kB: peak growth {after_write} kB after Write, {peak} kB after two Edits \
         ({:.1}x the file)",
        peak as f64 / n_kb as f64
    );
    if can_reset {
        assert!(
            peak <= 3 * n_kb / 2,
            "Write+Edit of a {n_kb} kB file grew the peak RSS by {peak} kB"
        );
    }
}
