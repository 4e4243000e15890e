//! Transcripts with the real binary: written in Claude Code's format and place, a `kill -9`
//! loses nothing written, `--continue` / `--resume` / `--fork-session` pick and continue the
//! right session, Claude Code's own transcripts resume, and `/rewind` takes back files and the
//! conversation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{
    Spawn, Tui, ccrs, ccrs_command, content_text, env, stderr, stdout, wait_requests,
};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub fn project_dir(e: &crate::common::Env) -> PathBuf {
    e.home
        .join(".claude/projects")
        .join(ccrs_core::transcript::path::project_name(&e.cwd))
}

/// The session files of the test's project, newest last.
pub fn session_files(e: &crate::common::Env) -> Vec<PathBuf> {
    let mut v: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(project_dir(e))
        .map(|rd| {
            rd.flatten()
                .filter(|f| f.path().extension().is_some_and(|x| x == "jsonl"))
                .map(|f| (f.metadata().unwrap().modified().unwrap(), f.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.into_iter().map(|(_, p)| p).collect()
}

pub fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts")
}

/// Puts a recorded Claude Code transcript where it belongs for the test's project; returns its
/// session id.
fn install_fixture(e: &crate::common::Env, name: &str) -> String {
    let text = std::fs::read_to_string(fixtures_dir().join(name))
        .unwrap()
        .replace("/__FIXTURE__/project", e.cwd.to_str().unwrap())
        .replace("/__FIXTURE__/home", e.home.to_str().unwrap());
    let sid = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v["sessionId"].as_str().map(str::to_string))
        .unwrap();
    let dir = project_dir(e);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{sid}.jsonl")), text).unwrap();
    sid
}

fn json_out(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "stderr: {}", stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|_| panic!("{}", stdout(o)))
}

/// What the Messages API requires: alternating roles from a user message, every call answered
/// in the next message, no result without its call, results first.
fn assert_api_valid(req: &Value) {
    let msgs = req["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["role"], "user");
    for (i, m) in msgs.iter().enumerate() {
        if i > 0 {
            assert_ne!(msgs[i - 1]["role"], m["role"], "messages {} and {i}", i - 1);
        }
        let blocks = m["content"].as_array().cloned().unwrap_or_default();
        let calls: Vec<&str> = blocks
            .iter()
            .filter(|b| b["type"] == "tool_use")
            .map(|b| b["id"].as_str().unwrap())
            .collect();
        if !calls.is_empty() {
            let next = msgs[i + 1]["content"].as_array().unwrap();
            for c in calls {
                assert!(
                    next.iter().any(|b| b["tool_use_id"] == c),
                    "message {i}: call {c} unanswered"
                );
            }
        }
        let mut other = false;
        for b in &blocks {
            if b["type"] == "tool_result" {
                assert!(!other, "message {i}: a result after other content");
                let prev = msgs[i - 1]["content"].as_array().unwrap();
                assert!(
                    prev.iter().any(|p| p["id"] == b["tool_use_id"]),
                    "message {i}: orphan result"
                );
            } else {
                other = true;
            }
        }
    }
}

/// The kinds of line, for comparing shapes.
fn kind(v: &Value) -> String {
    let ty = v["type"].as_str().unwrap_or("?");
    match ty {
        "user" => {
            let results = v["message"]["content"]
                .as_array()
                .is_some_and(|a| a.iter().any(|b| b["type"] == "tool_result"));
            if results {
                "user/tool_result".into()
            } else if v["isMeta"] == true {
                "user/meta".into()
            } else {
                "user/prompt".into()
            }
        }
        "system" => format!("system/{}", v["subtype"].as_str().unwrap_or("?")),
        _ => ty.into(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// For each kind of line Claude Code wrote: each key's JSON types, and how many lines had it.
type Shapes = BTreeMap<String, (usize, BTreeMap<String, (usize, BTreeSet<&'static str>)>)>;

fn shapes_of(objs: impl Iterator<Item = (String, Map<String, Value>)>) -> Shapes {
    let mut out: Shapes = BTreeMap::new();
    for (k, o) in objs {
        let entry = out.entry(k).or_default();
        entry.0 += 1;
        for (key, val) in o {
            let e = entry.1.entry(key).or_default();
            e.0 += 1;
            e.1.insert(json_type(&val));
        }
    }
    out
}

fn fixture_lines() -> Vec<Value> {
    let mut out = Vec::new();
    for f in std::fs::read_dir(fixtures_dir()).unwrap().flatten() {
        out.extend(lines(&f.path()));
    }
    out
}

/// Checks ccrs's `lines` against Claude Code's: every kind of line is one Claude Code writes;
/// every key is one it writes for that kind, with one of its types; every key it writes on
/// all such lines is there too (but `missing_ok`). Also applied to the nested objects.
fn assert_shapes(
    label: &str,
    ours: &[(String, Map<String, Value>)],
    theirs: &Shapes,
    missing_ok: &[&str],
) {
    let mine = shapes_of(ours.iter().cloned());
    for (k, (_, keys)) in &mine {
        let (n, cc) = theirs
            .get(k)
            .unwrap_or_else(|| panic!("{label}: Claude Code writes no `{k}` lines"));
        for (key, (_, types)) in keys {
            let (_, cc_types) = cc
                .get(key)
                .unwrap_or_else(|| panic!("{label} `{k}`: Claude Code never writes `{key}`"));
            assert!(
                types.is_subset(cc_types),
                "{label} `{k}`.{key}: ours {types:?}, Claude Code's {cc_types:?}"
            );
        }
        for (key, (count, _)) in cc {
            if count == n && !keys.contains_key(key) && !missing_ok.contains(&key.as_str()) {
                panic!("{label} `{k}`: Claude Code always writes `{key}`, ccrs does not");
            }
        }
    }
}

#[test]
fn each_line_ccrs_writes_has_claude_codes_shape() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "thinking", "thinking": "Let me run it.", "signature": "sig"}),
                json!({"type": "text", "text": "Running."}),
                json!({"type": "tool_use", "name": "Bash", "input": {"command": "echo hi"}}),
            ]))
            .reply(Reply::text("It printed hi.")),
    )
    .unwrap();
    let out = ccrs(&e, &mock, &["-p", "run it", "--allowedTools", "Bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = session_files(&e);
    assert_eq!(files.len(), 1);
    let ours = lines(&files[0]);
    // prompt, answer with the call, its result, the final answer: chained in order.
    assert_eq!(ours.len(), 4, "{ours:#?}");
    for w in ours.windows(2) {
        assert_eq!(w[1]["parentUuid"], w[0]["uuid"]);
    }
    assert_eq!(ours[0]["parentUuid"], Value::Null);
    assert_eq!(ours[2]["sourceToolAssistantUUID"], ours[1]["uuid"]);
    assert_eq!(ours[2]["toolUseResult"]["stdout"], "hi");
    assert_eq!(ours[0]["cwd"], e.cwd.to_str().unwrap());
    assert_eq!(ours[0]["entrypoint"], "sdk-cli");
    let theirs = fixture_lines();
    let top = |v: &[Value]| -> Vec<(String, Map<String, Value>)> {
        v.iter()
            .map(|l| (kind(l), l.as_object().unwrap().clone()))
            .collect()
    };
    // Claude Code's own extras: prompt ids and sources, session slugs, newer API fields.
    let extras = ["promptId", "promptSource", "origin", "slug", "stop_details"];
    assert_shapes(
        "line",
        &top(&ours),
        &shapes_of(top(&theirs).into_iter()),
        &extras,
    );
    let nested = |v: &[Value], field: &str| -> Vec<(String, Map<String, Value>)> {
        v.iter()
            .filter_map(|l| Some((kind(l), l[field].as_object()?.clone())))
            .collect()
    };
    for field in ["message", "toolUseResult"] {
        let cc: Vec<Value> = theirs
            .iter()
            .filter(|l| l[field].get("stdout").is_some() || field == "message")
            .cloned()
            .collect();
        assert_shapes(
            field,
            &nested(&ours, field),
            &shapes_of(nested(&cc, field).into_iter()),
            &extras,
        );
    }
}

#[test]
fn kill_9_mid_run_then_continue_has_every_earlier_message() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": "echo first-output"}),
            ))
            .reply(Reply::text("First turn done."))
            .reply(Reply::hang())
            .reply(Reply::text("Resumed fine.")),
    )
    .unwrap();
    let first = json_out(&ccrs(
        &e,
        &mock,
        &[
            "-p",
            "first prompt",
            "--allowedTools",
            "Bash",
            "--output-format",
            "json",
        ],
    ));
    let sid = first["session_id"].as_str().unwrap().to_string();
    // The second run is killed while the model "answers".
    let mut child = ccrs_command(&e.home, &e.cwd, &mock)
        .args(["-p", "-c", "second prompt"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_requests(&mock, 3);
    child.kill().unwrap();
    child.wait().unwrap();
    let third = json_out(&ccrs(
        &e,
        &mock,
        &["-p", "-c", "third prompt", "--output-format", "json"],
    ));
    assert_eq!(third["session_id"], sid.as_str());
    assert_eq!(third["result"], "Resumed fine.");
    let req = &wait_requests(&mock, 4)[3];
    assert_api_valid(req);
    let all = req["messages"].to_string();
    for text in [
        "first prompt",
        "echo first-output",
        "first-output",
        "First turn done.",
        "second prompt",
        "[Request interrupted by user]",
        "third prompt",
    ] {
        assert!(all.contains(text), "{text} missing from {all}");
    }
    // The session's one file holds all three runs.
    assert_eq!(session_files(&e).len(), 1);
}

#[test]
fn a_torn_last_line_is_skipped_with_a_warning() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("One."))
            .reply(Reply::text("Two.")),
    )
    .unwrap();
    let first = json_out(&ccrs(
        &e,
        &mock,
        &["-p", "alpha", "--output-format", "json"],
    ));
    let sid = first["session_id"].as_str().unwrap();
    let file = &session_files(&e)[0];
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(br#"{"parentUuid":"0a7ddc96-4906-4e3a-8f65-d8054f845fb7","isSidechain":false,"type":"user","message":{"role":"user","content":"lost in a cr"#).unwrap();
    drop(f);
    let out = ccrs(
        &e,
        &mock,
        &["-p", "--resume", sid, "beta", "--output-format", "json"],
    );
    assert_eq!(json_out(&out)["result"], "Two.");
    assert!(stderr(&out).contains("cut off"), "{}", stderr(&out));
    let req = &wait_requests(&mock, 2)[1];
    assert_api_valid(req);
    let msgs = req["messages"].as_array().unwrap();
    assert_eq!(content_text(&msgs[0]), "alpha");
    assert_eq!(content_text(&msgs[1]), "One.");
    assert!(content_text(&msgs[2]).ends_with("beta"));
    // The next line was not glued to the torn one: everything but the fragment parses.
    let text = std::fs::read_to_string(file).unwrap();
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_err())
        .collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].ends_with("lost in a cr"));
}

/// A `-p` run of `prompt`; returns its session id.
fn run_session(e: &crate::common::Env, mock: &MockServer, prompt: &str) -> String {
    let v = json_out(&ccrs(e, mock, &["-p", prompt, "--output-format", "json"]));
    v["session_id"].as_str().unwrap().to_string()
}

/// Two sessions, "alpha prompt" then "beta prompt" (newer by its file's mtime).
fn two_sessions(e: &crate::common::Env, mock: &MockServer) -> (String, String) {
    let a = run_session(e, mock, "alpha prompt");
    std::thread::sleep(Duration::from_millis(20));
    (a, run_session(e, mock, "beta prompt"))
}

#[test]
fn resume_picks_the_named_session_and_continue_the_newest() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().fallback(Reply::text("ok"))).unwrap();
    let (a, b) = two_sessions(&e, &mock);
    let (a, b) = (a.as_str(), b.as_str());
    assert_ne!(a, b);

    json_out(&ccrs(
        &e,
        &mock,
        &["-p", "-c", "gamma", "--output-format", "json"],
    ));
    let req = &wait_requests(&mock, 3)[2];
    assert!(req["messages"].to_string().contains("beta prompt"));
    assert!(!req["messages"].to_string().contains("alpha prompt"));

    // stream-json names the resumed session in `init` and the result.
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "--resume",
            a,
            "delta",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["subtype"], "init");
    assert_eq!(lines[0]["session_id"], a);
    assert_eq!(lines.last().unwrap()["session_id"], a);
    let req = &wait_requests(&mock, 4)[3];
    assert!(req["messages"].to_string().contains("alpha prompt"));
    assert!(!req["messages"].to_string().contains("beta prompt"));
    let user_id = req["metadata"]["user_id"].as_str().unwrap();
    assert!(user_id.contains(a), "{user_id}");

    let missing = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "--resume",
            "00000000-0000-4000-8000-000000000000",
            "x",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains(
            "No conversation found with session ID: 00000000-0000-4000-8000-000000000000"
        )
    );
    let bare = ccrs(&e, &mock, &["-p", "--resume"]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(stderr(&bare).contains("--resume requires a valid session ID"));
}

/// `--resume` without an id in the terminal: a picker of this project's sessions (age, message
/// count, first prompt), newest first; the chosen one continues. `/resume` switches to another.
#[test]
fn the_resume_picker_lists_sessions_and_continues_the_chosen_one() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().fallback(Reply::text("ok"))).unwrap();
    let (a, _) = two_sessions(&e, &mock);
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["--resume"],
            // The picker comes before the input line.
            wait_ready: false,
            ..Default::default()
        },
    );
    let s = t.wait_text("Resume a conversation");
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("prompt")).collect();
    assert_eq!(rows.len(), 2, "{s}");
    // Newest first, each with its age and message count.
    assert!(
        rows[0].contains("beta prompt") && rows[1].contains("alpha prompt"),
        "{s}"
    );
    assert!(
        rows.iter()
            .all(|r| r.contains("just now") && r.contains("2 messages")),
        "{s}"
    );
    t.send("\x1b[B");
    t.send("\r");
    t.wait_text("shift+tab");
    t.wait_text("alpha prompt");
    t.submit("gamma");
    let reqs = wait_requests(&mock, 3);
    let all = reqs[2]["messages"].to_string();
    assert!(
        all.contains("alpha prompt") && !all.contains("beta prompt"),
        "{all}"
    );
    // `/resume <id>` switches to another conversation; the session ids follow.
    t.wait_idle();
    t.submit("/resume");
    // The picker (not the command's description in the completion list), without the
    // session in use.
    let s = t.wait_text("Enter to choose");
    assert!(
        s.contains("beta prompt") && !s.contains("messages  alpha"),
        "{s}"
    );
    t.send("\r");
    t.wait_idle();
    t.submit("delta");
    let reqs = wait_requests(&mock, 4);
    let all = reqs[3]["messages"].to_string();
    assert!(
        all.contains("beta prompt") && !all.contains("gamma"),
        "{all}"
    );
    // (Queued if the turn is still ending; Ctrl-D would be taken as a key for the turn.)
    t.submit("/exit");
    t.wait_exit();
    // Every session kept its own file; alpha's has gamma, beta's has delta.
    let files = session_files(&e);
    assert_eq!(files.len(), 2);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let is_a = f.file_stem().unwrap() == a.as_str();
        assert_eq!(text.contains("gamma"), is_a);
        assert_eq!(text.contains("delta"), !is_a);
    }
}

#[test]
fn fork_session_copies_the_history_under_a_new_id() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().fallback(Reply::text("ok"))).unwrap();
    let a = run_session(&e, &mock, "original prompt");
    let before = lines(&session_files(&e)[0]).len();
    let f = json_out(&ccrs(
        &e,
        &mock,
        &[
            "-p",
            "-c",
            "--fork-session",
            "forked prompt",
            "--output-format",
            "json",
        ],
    ));
    let fid = f["session_id"].as_str().unwrap();
    assert_ne!(fid, a);
    let files = session_files(&e);
    assert_eq!(files.len(), 2);
    let orig = project_dir(&e).join(format!("{a}.jsonl"));
    assert_eq!(lines(&orig).len(), before, "the original is untouched");
    let forked = lines(&project_dir(&e).join(format!("{fid}.jsonl")));
    assert!(forked.iter().all(|l| l["sessionId"] == fid));
    let text = serde_json::to_string(&forked).unwrap();
    assert!(text.contains("original prompt") && text.contains("forked prompt"));
    for w in forked.windows(2) {
        assert_eq!(w[1]["parentUuid"], w[0]["uuid"]);
    }
    let req = &wait_requests(&mock, 2)[1];
    assert!(req["messages"].to_string().contains("original prompt"));
}

#[test]
fn session_flags_are_checked_like_claude_codes() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().fallback(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "hi", "--no-session-persistence"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        session_files(&e).is_empty(),
        "--no-session-persistence wrote a transcript"
    );

    let id = "6f0f3c1e-8f0a-4a57-9d1e-2f4b8c6d7e91";
    assert!(
        ccrs(&e, &mock, &["-p", "hi", "--session-id", id])
            .status
            .success()
    );
    assert!(project_dir(&e).join(format!("{id}.jsonl")).exists());
    let again = ccrs(&e, &mock, &["-p", "hi", "--session-id", id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains(&format!("Session ID {id} is already in use.")));

    let both = ccrs(&e, &mock, &["-p", "-c", "hi", "--session-id", id]);
    assert!(stderr(&both).contains("--session-id can only be used with --continue or --resume if --fork-session is also specified."));
    let tui_only = ccrs(&e, &mock, &["hi", "--no-session-persistence"]);
    assert!(
        stderr(&tui_only).contains("--no-session-persistence can only be used with --print mode.")
    );
    // Print mode continues nothing quietly when there is nothing (as Claude Code's does).
    let e2 = env();
    let fresh = ccrs(&e2, &mock, &["-p", "-c", "hi"]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    assert!(
        !stderr(&fresh).contains("not supported"),
        "{}",
        stderr(&fresh)
    );
}

/// Claude Code 2.1's transcripts (scripts/record_transcripts.sh) resume in ccrs: the request
/// holds their conversation, valid for the API.
#[test]
fn claude_code_transcripts_resume() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "2.1.197-tools.jsonl",
            &["write notes", "Done: notes.txt says one, three.", "echo b"],
            &[],
        ),
        (
            "2.1.332-tools.jsonl",
            &["write notes", "Done: notes.txt says one, three."],
            &[],
        ),
        (
            "2.1.197-compacted.jsonl",
            &[
                "The user said hi twice.",
                "Second answer, resumed.",
                "Third answer after compaction.",
            ],
            &["Hello! First answer."],
        ),
        (
            "2.1.197-forked.jsonl",
            &["Fourth answer in a fork."],
            &["Hello! First answer."],
        ),
        (
            "2.1.197-killed-in-tool.jsonl",
            &[
                "run the slow thing",
                "[Request interrupted by user for tool use]",
            ],
            &[],
        ),
        (
            "2.1.197-interactive.jsonl",
            &["write notes", "Done editing.", "Second prompt answered."],
            &[],
        ),
        (
            "2.1.197-subagent.jsonl",
            &["delegate", "Sub agent finished: from-sub", "All done."],
            &["SUBTASK: run ls\"}]"],
        ),
    ];
    for (name, present, absent) in cases {
        let e = env();
        let sid = install_fixture(&e, name);
        let mock =
            MockServer::start_blocking(Scenario::new().reply(Reply::text("Continued."))).unwrap();
        let out = ccrs(
            &e,
            &mock,
            &[
                "-p",
                "--resume",
                &sid,
                "carry on",
                "--output-format",
                "json",
            ],
        );
        let res = json_out(&out);
        assert_eq!(res["session_id"], sid.as_str(), "{name}");
        assert!(
            !stderr(&out).contains("skipped"),
            "{name}: {}",
            stderr(&out)
        );
        let req = &wait_requests(&mock, 1)[0];
        assert_api_valid(req);
        let all = req["messages"].to_string();
        for p in *present {
            assert!(all.contains(p), "{name}: `{p}` missing");
        }
        for a in *absent {
            assert!(!all.contains(a), "{name}: `{a}` should be gone");
        }
        let last = req["messages"].as_array().unwrap().last().unwrap();
        assert!(content_text(last).ends_with("carry on"), "{name}");
        // ccrs's lines continue Claude Code's chain.
        let file = project_dir(&e).join(format!("{sid}.jsonl"));
        let written = lines(&file);
        let ours: Vec<&Value> = written
            .iter()
            .filter(|l| {
                l["version"] == ccrs_core::CLAUDE_CODE_COMPAT_VERSION
                    && l["entrypoint"] == "sdk-cli"
                    && l["message"]["content"] == "carry on"
            })
            .collect();
        assert_eq!(ours.len(), 1, "{name}");
        let parent = ours[0]["parentUuid"]
            .as_str()
            .expect("chained to Claude Code's lines");
        assert!(written.iter().any(|l| l["uuid"] == parent), "{name}");
    }
}

/// `/rewind` (Esc Esc) in the terminal: the file edited after the chosen prompt is back as it
/// was, and the conversation continues from before that prompt.
#[test]
fn rewind_restores_a_file_and_the_conversation() {
    let e = env();
    let notes = e.cwd.join("notes.txt");
    let path = notes.to_str().unwrap().to_string();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Write",
                json!({"file_path": path, "content": "version one\n"}),
            ))
            .reply(Reply::text("Written."))
            .reply(Reply::tool_use(
                "Edit",
                json!({"file_path": path, "old_string": "one", "new_string": "two"}),
            ))
            .reply(Reply::text("Changed."))
            .reply(Reply::text("Redone.")),
    )
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["--permission-mode", "acceptEdits"],
            ..Default::default()
        },
    );
    t.submit("make the file");
    t.wait_text("Written.");
    t.wait_idle();
    t.submit("change it");
    t.wait_text("Changed.");
    t.wait_idle();
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "version two\n");
    t.send("\x1b");
    t.wait_text("Esc again to rewind");
    t.send("\x1b");
    let s = t.wait_text("Rewind to before which prompt?");
    assert!(
        s.contains("change it") && s.contains("1 file changed"),
        "{s}"
    );
    t.send("\r");
    t.wait_text("Restore the code and the conversation");
    t.send("\r");
    t.wait_text("Restored 1 file");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "version one\n");
    // The prompt is back in the input; sent again, the request no longer has the old turn.
    t.send("\r");
    t.wait_text("Redone.");
    let reqs = wait_requests(&mock, 5);
    let last = &reqs[4];
    assert_api_valid(last);
    let all = last["messages"].to_string();
    assert!(all.contains("make the file") && all.contains("Written."));
    assert!(!all.contains("Changed."), "{all}");
    // And the transcript says so: a resume gets the same conversation.
    // (Queued if the turn is still ending; Ctrl-D would be taken as a key for the turn.)
    t.submit("/exit");
    t.wait_exit();
    let file = &session_files(&e)[0];
    let l = ccrs_core::transcript::load(file).unwrap();
    let mut c = ccrs_core::agent::Conversation::default();
    c.restore(l.items);
    let text = serde_json::to_string(c.messages()).unwrap();
    assert!(
        text.contains("Redone.") && !text.contains("Changed."),
        "{text}"
    );
}

/// Runs that are killed at a random moment (`CCRS_SOAK_RUNS` of them, 10 by default): every
/// session resumes with at least everything the API had already been sent, valid for the API.
fn kill_soak(runs: usize) {
    let e = env();
    // Each run: two tool calls and an answer, streamed slowly enough to be killed anywhere.
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(
                Reply::content(vec![
                    json!({"type": "text", "text": "Let me look at a few things first."}),
                    json!({"type": "tool_use", "name": "Bash", "input": {"command": "echo one"}}),
                ])
                .chunk_delay_ms(2),
            )
            .reply(Reply::tool_use("Bash", json!({"command": "echo two"})).chunk_delay_ms(2))
            .reply(
                Reply::text("All finished, here is a fairly long answer to stream.")
                    .chunk_delay_ms(2),
            )
            .repeat(true),
    )
    .unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ std::process::id() as u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut lost_more = Vec::new();
    for run in 0..runs {
        let before = mock.message_requests().len();
        let id = uuid::Uuid::new_v4().to_string();
        let mut child = ccrs_command(&e.home, &e.cwd, &mock)
            .args([
                "-p",
                &format!("soak prompt {run}"),
                "--allowedTools",
                "Bash",
                "--session-id",
                &id,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rand(250)));
        let _ = child.kill();
        child.wait().unwrap();
        // This run's requests only: a killed run's last request can reach the mock's log after
        // the next run began.
        let mine = format!("soak prompt {run}\"");
        let sent: Vec<Value> = mock.message_requests()[before..]
            .iter()
            .filter(|r| r.body.contains(&mine))
            .filter_map(|r| r.json.clone())
            .collect();
        let file = project_dir(&e).join(format!("{id}.jsonl"));
        let Some(last_sent) = sent.last() else {
            // Killed before the first request: at most the prompt is on disk.
            continue;
        };
        assert!(
            file.exists(),
            "run {run}: a request was sent but nothing written"
        );
        let l = ccrs_core::transcript::load(&file).unwrap();
        let mut c = ccrs_core::agent::Conversation::default();
        c.restore(l.items);
        let got = serde_json::to_value(c.messages()).unwrap();
        // Everything in the last request reached the disk before it was sent.
        let want = last_sent["messages"].as_array().unwrap();
        let have = got.as_array().unwrap();
        for (i, m) in want.iter().enumerate() {
            let Some(h) = have.get(i) else {
                lost_more.push(format!("run {run}: message {i} lost"));
                continue;
            };
            for b in m["content"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![json!({"type": "text", "text": m["content"]})])
            {
                let mut b = b;
                if let Some(o) = b.as_object_mut() {
                    o.remove("cache_control");
                }
                let hb = h["content"].as_array().unwrap();
                if !hb.contains(&b) {
                    lost_more.push(format!("run {run}: message {i} block {b} lost"));
                }
            }
        }
        // And it resumes, valid for the API.
        let before = mock.message_requests().len();
        let mock_reply = ccrs(
            &e,
            &mock,
            &["-p", "--resume", &id, "after the crash", "--max-turns", "1"],
        );
        let _ = mock_reply;
        let reqs: Vec<Value> = mock.message_requests()[before..]
            .iter()
            .filter(|r| r.body.contains("after the crash"))
            .filter_map(|r| r.json.clone())
            .collect();
        let first = reqs
            .first()
            .unwrap_or_else(|| panic!("run {run}: the resume sent nothing"));
        assert_api_valid(first);
        assert!(
            content_text(first["messages"].as_array().unwrap().last().unwrap())
                .ends_with("after the crash"),
            "run {run}"
        );
    }
    assert!(lost_more.is_empty(), "{lost_more:#?}");
}

#[test]
fn kill_9_at_random_moments_loses_nothing_sent_short() {
    kill_soak(
        std::env::var("CCRS_SOAK_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
    );
}

/// The full soak: `cargo test -p ccrs --test it transcripts::kill_9_soak -- --ignored`.
#[test]
#[ignore]
fn kill_9_soak() {
    kill_soak(
        std::env::var("CCRS_SOAK_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000),
    );
}
