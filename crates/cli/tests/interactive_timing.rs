//! Interactive-mode figures that depend on time: interrupt latency, idle CPU and wakeups,
//! keystroke echo. A test binary of their own, run one at a time (a lock), so other tests'
//! processes do not compete with the one being measured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "it/common.rs"]
mod common;

use ccrs_mock::{MockServer, Reply, Scenario};
use common::*;
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn esc_interrupts_a_long_stream_quickly_and_the_next_prompt_works() {
    let _serial = serial();
    let e = env();
    let long: String = (0..400).map(|i| format!("word{i} ")).collect();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text(long).chunk_delay_ms(40))
            .reply(Reply::text("Second answer.")),
    )
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 60,
            ..Default::default()
        },
    );
    t.submit("write a lot");
    // Some text has streamed (a few completed lines).
    t.wait_for(|s| s.contains("word30 "));
    let t0 = Instant::now();
    t.send("\x1b");
    t.wait_text("Interrupted");
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(200), "interrupt took {took:?}");
    let s = t.wait_idle();
    assert!(!s.contains("word399"), "the stream went on: {s}");
    t.submit("and now?");
    t.wait_text("Second answer.");
    let reqs = wait_requests(&mock, 2);
    let msgs = reqs[1]["messages"].as_array().unwrap();
    // The partial answer is kept in the conversation, then the interruption marker.
    let assistant = msgs.iter().find(|m| m["role"] == "assistant").unwrap();
    assert!(content_text(assistant).starts_with("word0 word1 "));
    let all: String = msgs.iter().map(content_text).collect::<Vec<_>>().join("\n");
    assert!(all.contains("[Request interrupted by user]"), "{all}");
    assert!(last_user_text(&reqs[1]).ends_with("and now?"));
}

#[test]
fn esc_interrupts_a_running_tool_and_kills_it() {
    let _serial = serial();
    let e = env();
    write(
        &e.cwd.join(".claude/settings.local.json"),
        r#"{"permissions": {"allow": ["Bash(sleep 29.417)"]}}"#,
    );
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                serde_json::json!({"command": "sleep 29.417"}),
            ))
            .reply(Reply::text("Next answer.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("wait a bit");
    t.wait_text("● Bash(sleep 29.417)");
    let start = Instant::now();
    while processes_with("29.417").is_empty() {
        assert!(start.elapsed() < TIMEOUT, "the command never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let t0 = Instant::now();
    t.send("\x1b");
    t.wait_text("Interrupted");
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(200), "interrupt took {took:?}");
    // The command's process group is gone.
    let start = Instant::now();
    while !processes_with("29.417").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "still running: {:?}",
            processes_with("29.417")
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    t.wait_idle();
    t.submit("go on");
    t.wait_text("Next answer.");
    let reqs = wait_requests(&mock, 2);
    let msgs = reqs[1]["messages"].as_array().unwrap();
    let results: Vec<&Value> = msgs
        .iter()
        .flat_map(|m| m["content"].as_array().into_iter().flatten())
        .filter(|b| b["type"] == "tool_result")
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["is_error"], true);
}

/// user-pains §7: an idle session must not poll. Over 3 s idle: no CPU time, no wakeups.
#[test]
fn an_idle_session_uses_no_cpu_and_never_wakes_up() {
    let _serial = serial();
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("done"))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("hi");
    t.wait_text("● done");
    t.wait_idle();
    // Let the last frame go out.
    let settle = Instant::now();
    let mut last = t.raw().len();
    while settle.elapsed() < Duration::from_millis(300) {
        std::thread::sleep(Duration::from_millis(50));
        let n = t.raw().len();
        if n != last {
            last = n;
        }
    }
    let pid = t.pid();
    let (c0, s0, out0) = (proc_cpu_ticks(pid), proc_switches(pid), t.raw().len());
    std::thread::sleep(Duration::from_secs(3));
    let (c1, s1, out1) = (proc_cpu_ticks(pid), proc_switches(pid), t.raw().len());
    assert_eq!(c1 - c0, 0, "CPU ticks while idle");
    assert!(s1 - s0 <= 1, "{} wakeups while idle", s1 - s0);
    assert_eq!(out1, out0, "output while idle (a redraw loop?)");
}

/// user-pains §5 and §1: keystroke echo stays fast and memory flat however long the
/// transcript (nothing printed is kept or redrawn).
#[test]
fn keystroke_echo_is_fast_and_memory_flat_after_a_long_transcript() {
    let _serial = serial();
    let e = env();
    let long: String = (0..3000)
        .map(|i| format!("line {i} of a long answer\n"))
        .collect();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("warm up"))
            .reply(Reply::text(long.clone()))
            .reply(Reply::text(long)),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("warm up");
    t.wait_text("● warm up");
    t.wait_idle();
    let pid = t.pid();
    t.submit("long one");
    t.wait_text("line 2999 of");
    t.wait_idle();
    let rss1 = proc_rss_kb(pid);
    t.submit("long two");
    t.wait_for(|s| s.matches("line 2999 of").count() == 1 && !s.contains("> long two"));
    t.wait_idle();
    let rss2 = proc_rss_kb(pid);
    // A second 3000-line answer costs (almost) nothing more.
    assert!(rss2 < rss1 + 2048, "RSS grew from {rss1} kB to {rss2} kB");
    let mut lat = Vec::new();
    for i in 0..100 {
        let c = (b'a' + (i % 26) as u8) as char;
        let before = t.raw_len();
        let t0 = Instant::now();
        t.send(&c.to_string());
        // The echo is the frame that ends after the key: wait for its end marker (the raw
        // bytes, so the harness's own screen parsing does not count).
        loop {
            if t.raw_since(before).windows(8).any(|w| w == b"\x1b[?2026l") {
                break;
            }
            assert!(t0.elapsed() < TIMEOUT, "echo never came");
            std::thread::sleep(Duration::from_micros(100));
        }
        lat.push(t0.elapsed());
        // Human-speed typing: at most one key per frame.
        std::thread::sleep(Duration::from_millis(17));
    }
    let s = t.wait_text("> abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
    assert!(s.contains("uvwxyzabcdefghijklmnopqrstuv"), "{s}");
    lat.sort();
    let p50 = lat[lat.len() / 2];
    // The 99th of 100 samples: one scheduling hiccup of a shared machine is allowed.
    let p99 = lat[(lat.len() * 99).div_ceil(100) - 1];
    eprintln!(
        "keystroke echo: p50 {p50:?}, p99 {p99:?}; slowest {:?}",
        &lat[lat.len() - 5..]
    );
    // The budget (p50 < 5 ms, p99 < one 16 ms frame) is a benchmark's to check, on a quiet
    // machine: `CCRS_TIMING=1 cargo test -p ccrs --test interactive_timing keystroke`. By
    // default only what no machine load explains fails: an echo that waits for something
    // (the stream, the disk) takes a second or more.
    if std::env::var_os("CCRS_TIMING").is_some() {
        assert!(p50 < Duration::from_millis(5), "p50 {p50:?}");
        assert!(p99 < Duration::from_millis(16), "p99 {p99:?}");
    } else {
        assert!(p50 < Duration::from_millis(250), "p50 {p50:?}");
        assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
    }
}

/// While the model works, the loop wakes for the spinner (every 120 ms), not at the frame rate:
/// a frame slot is asked for only when something changed.
#[test]
fn a_busy_session_wakes_for_the_spinner_not_every_frame() {
    let _serial = serial();
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::hang())).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("wait");
    t.wait_text("esc to interrupt)");
    std::thread::sleep(Duration::from_millis(300));
    let pid = t.pid();
    let (w0, out0) = (proc_wakeups(pid), t.raw().len());
    std::thread::sleep(Duration::from_secs(2));
    let (w1, out1) = (proc_wakeups(pid), t.raw().len());
    eprintln!("busy: {} wakeups in 2 s", w1 - w0);
    // The spinner moved.
    assert!(out1 > out0, "no spinner frames while busy");
    // About 17 spinner frames in 2 s (a timer wakeup or two each); drawing at the frame rate
    // would be 120 or more.
    assert!(w1 - w0 <= 70, "{} wakeups in 2 s while busy", w1 - w0);
    t.send("\x1b");
    t.wait_text("Interrupted");
}
