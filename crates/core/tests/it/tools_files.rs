//! The file tools called directly, as the agent loop calls them (schema-validated input, a
//! `ToolContext` per test directory).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::api::ToolResultContent;
use ccrs_core::tools::{
    Subject, ToolContext, ToolOutput, ToolRegistry, preview_diff, preview_patch, schema,
};
use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    ctx: ToolContext,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    // Canonical, so paths in messages match what the tools print.
    let root = fs::canonicalize(dir.path()).unwrap();
    let ctx = ToolContext::for_tests(&root);
    Env {
        _dir: dir,
        root,
        ctx,
    }
}

impl Env {
    fn p(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn ps(&self, rel: &str) -> String {
        self.p(rel).display().to_string()
    }

    async fn call(&self, tool: &str, input: Value) -> ToolOutput {
        let reg = ToolRegistry::builtin();
        let t = reg.get(tool).unwrap();
        let problems = schema::validate(&t.input_schema(), &input);
        assert!(problems.is_empty(), "{tool} input invalid: {problems:?}");
        let out = t.call(input, &self.ctx).await;
        assert_no_temp_files(&self.root);
        out
    }

    async fn read(&self, rel: &str) -> ToolOutput {
        self.call("Read", json!({"file_path": self.ps(rel)})).await
    }
}

fn assert_no_temp_files(dir: &Path) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.contains("ccrs-tmp"), "temp file left: {name}");
        if e.file_type().unwrap().is_dir() {
            assert_no_temp_files(&e.path());
        }
    }
}

fn set_mtime(p: &Path, t: SystemTime) {
    fs::OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn mtime(p: &Path) -> SystemTime {
    fs::metadata(p).unwrap().modified().unwrap()
}

#[track_caller]
fn assert_tool_error(out: &ToolOutput, msg: &str) {
    assert!(out.is_error, "expected an error, got {:?}", out.text());
    assert_eq!(
        out.text(),
        format!("<tool_use_error>{msg}</tool_use_error>")
    );
}

#[track_caller]
fn assert_ok(out: &ToolOutput) {
    assert!(!out.is_error, "unexpected error: {}", out.text());
}

fn blocks(out: &ToolOutput) -> &Vec<Value> {
    match &out.content {
        ToolResultContent::Blocks(b) => b,
        ToolResultContent::Text(t) => panic!("expected blocks, got text {t}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Registry

#[test]
fn registry_order_subjects_and_descriptions() {
    let reg = ToolRegistry::builtin();
    let mine = ["Read", "Edit", "MultiEdit", "Write", "NotebookEdit"];
    // In this order (other tools may sit around them).
    let names: Vec<String> = reg
        .names()
        .into_iter()
        .filter(|n| mine.contains(&n.as_str()))
        .collect();
    assert_eq!(names, mine);
    let e = env();
    for name in mine {
        let t = reg.get(name).unwrap();
        let words = t.description().split_whitespace().count();
        assert!(words <= 60, "{name} description has {words} words");
        assert_eq!(t.input_schema()["additionalProperties"], false);
    }
    let read = reg.get("Read").unwrap();
    assert!(read.is_read_only());
    assert_eq!(
        read.subject(&json!({"file_path": "a.txt"}), &e.ctx),
        Subject::Read(vec![e.p("a.txt")])
    );
    for name in ["Edit", "MultiEdit", "Write"] {
        let t = reg.get(name).unwrap();
        assert!(!t.is_read_only());
        assert_eq!(
            t.subject(&json!({"file_path": e.ps("x/../b.txt")}), &e.ctx),
            Subject::Write(vec![e.p("b.txt")])
        );
    }
    assert_eq!(
        reg.get("NotebookEdit")
            .unwrap()
            .subject(&json!({"notebook_path": "n.ipynb"}), &e.ctx),
        Subject::Write(vec![e.p("n.ipynb")])
    );
}

// ---------------------------------------------------------------------------------------------
// Read

#[tokio::test]
async fn read_numbers_lines_and_windows() {
    let e = env();
    fs::write(e.p("a.txt"), "one\ntwo\r\nthree\nfour\n").unwrap();
    let out = e.read("a.txt").await;
    assert_ok(&out);
    assert_eq!(out.text(), "1\tone\n2\ttwo\n3\tthree\n4\tfour");
    let st = out.structured.unwrap();
    assert_eq!(st["type"], "text");
    assert_eq!(st["file"]["filePath"], e.ps("a.txt"));
    assert_eq!(st["file"]["numLines"], 4);
    assert_eq!(st["file"]["startLine"], 1);
    assert_eq!(st["file"]["totalLines"], 4);
    assert_eq!(st["file"]["content"], "one\ntwo\nthree\nfour");
    assert!(!e.ctx.session.files.get(&e.p("a.txt")).unwrap().partial);

    let out = e
        .call(
            "Read",
            json!({"file_path": e.ps("a.txt"), "offset": 2, "limit": 2}),
        )
        .await;
    assert_eq!(out.text(), "2\ttwo\n3\tthree");
    assert_eq!(out.structured.unwrap()["file"]["totalLines"], 4);

    // offset 0 is line 1; relative paths resolve against cwd.
    let out = e
        .call(
            "Read",
            json!({"file_path": "a.txt", "offset": 0, "limit": 1}),
        )
        .await;
    assert_eq!(out.text(), "1\tone");
}

#[tokio::test]
async fn read_records_partial_reads() {
    let e = env();
    fs::write(e.p("a.txt"), "1\n2\n3\n").unwrap();
    e.call("Read", json!({"file_path": e.ps("a.txt"), "limit": 2}))
        .await;
    assert!(e.ctx.session.files.get(&e.p("a.txt")).unwrap().partial);
    // Reaching the end from line 1 is a full read, even with a limit.
    e.call("Read", json!({"file_path": e.ps("a.txt"), "limit": 3}))
        .await;
    assert!(!e.ctx.session.files.get(&e.p("a.txt")).unwrap().partial);
}

#[tokio::test]
async fn read_default_window_and_long_lines() {
    let e = env();
    let text: String = (1..=2500).map(|i| format!("l{i}\n")).collect();
    fs::write(e.p("big.txt"), &text).unwrap();
    let out = e.read("big.txt").await;
    assert_ok(&out);
    let t = out.text();
    assert!(t.starts_with("1\tl1\n2\tl2\n"));
    assert!(t.contains("\n2000\tl2000\n"));
    assert!(!t.contains("2001\t"));
    assert!(
        t.ends_with(
            "Showing lines 1-2000 of 2500. Use offset and limit to read further.</system-reminder>"
        ),
        "{t}"
    );
    assert!(e.ctx.session.files.get(&e.p("big.txt")).unwrap().partial);

    fs::write(e.p("long.txt"), format!("{}\nshort\n", "é".repeat(5000))).unwrap();
    let out = e.read("long.txt").await;
    let t = out.text();
    assert!(t.starts_with(&format!("1\t{}… [line truncated]\n", "é".repeat(2000))));
    assert!(t.ends_with("2\tshort"));
}

#[tokio::test]
async fn read_token_cap_errors_with_guidance() {
    let mut e = env();
    let text: String = (0..3000).map(|i| format!("{i:>40}\n")).collect();
    fs::write(e.p("wide.txt"), &text).unwrap();
    // The default cap: 2000 lines of ~45 bytes fit (~22k tokens); 3000 with limit do not.
    let out = e.read("wide.txt").await;
    assert_ok(&out);
    let out = e
        .call(
            "Read",
            json!({"file_path": e.ps("wide.txt"), "limit": 3000}),
        )
        .await;
    assert!(out.is_error);
    let t = out.text();
    assert!(
        t.starts_with("<tool_use_error>File content (")
            && t.contains("tokens) exceeds maximum allowed tokens (25000)"),
        "{t}"
    );
    assert!(t.contains("offset and limit") && t.contains("Grep"), "{t}");
    // The cap comes from the environment.
    e.ctx.env = Arc::new(vec![(
        "CLAUDE_CODE_FILE_READ_MAX_OUTPUT_TOKENS".into(),
        "20".into(),
    )]);
    let out = e
        .call("Read", json!({"file_path": e.ps("wide.txt"), "limit": 2}))
        .await;
    assert!(
        out.text().contains("exceeds maximum allowed tokens (20)"),
        "{}",
        out.text()
    );
    let out = e
        .call("Read", json!({"file_path": e.ps("wide.txt"), "limit": 1}))
        .await;
    assert_ok(&out);
}

#[tokio::test]
async fn read_empty_file_and_offset_past_end() {
    let e = env();
    fs::write(e.p("empty.txt"), "").unwrap();
    let out = e.read("empty.txt").await;
    assert_ok(&out);
    assert_eq!(
        out.text(),
        "<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>"
    );
    // Seen in full: it may be overwritten now.
    let w = e
        .call(
            "Write",
            json!({"file_path": e.ps("empty.txt"), "content": "x"}),
        )
        .await;
    assert_ok(&w);

    fs::write(e.p("short.txt"), "a\nb\nc\n").unwrap();
    let out = e
        .call(
            "Read",
            json!({"file_path": e.ps("short.txt"), "offset": 10}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(
        out.text(),
        "<system-reminder>Warning: the file exists but is shorter than the provided offset (10). The file has 3 lines.</system-reminder>"
    );
}

#[tokio::test]
async fn read_missing_file_suggests_and_directories_are_rejected() {
    let e = env();
    fs::write(e.p("config.yaml"), "k: v\n").unwrap();
    let out = e.read("config.yml").await;
    assert_tool_error(
        &out,
        &format!(
            "File does not exist. Note: your current working directory is {}. Did you mean {}?",
            e.root.display(),
            e.ps("config.yaml")
        ),
    );
    let out = e.read("nothing-like-it.rs").await;
    assert_tool_error(
        &out,
        &format!(
            "File does not exist. Note: your current working directory is {}.",
            e.root.display()
        ),
    );
    fs::create_dir(e.p("sub")).unwrap();
    let out = e.read("sub").await;
    assert!(out.is_error);
    assert!(out.text().contains("is a directory"), "{}", out.text());
    // A device would never end (/dev/zero) or block: refused.
    let out = e.call("Read", json!({"file_path": "/dev/null"})).await;
    assert!(out.is_error);
    assert!(
        out.text().contains("is not a regular file"),
        "{}",
        out.text()
    );
}

#[tokio::test]
async fn read_stops_when_cancelled() {
    let e = env();
    fs::write(e.p("a.txt"), "x\n".repeat(10_000)).unwrap();
    e.ctx.cancel.cancel();
    let out = e.read("a.txt").await;
    assert!(out.is_error);
    assert_eq!(out.text(), ccrs_core::events::INTERRUPTED_TOOL_USE);
    assert!(e.ctx.session.files.get(&e.p("a.txt")).is_none());
}

#[tokio::test]
async fn read_refuses_binary_files() {
    let e = env();
    fs::write(e.p("blob.bin"), b"ELF\0\0\x01\x02garbage").unwrap();
    let out = e.read("blob.bin").await;
    assert!(out.is_error);
    assert!(
        out.text().contains("cannot read binary files"),
        "{}",
        out.text()
    );
    assert!(e.ctx.session.files.get(&e.p("blob.bin")).is_none());
}

const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn read_image_sniffed_despite_wrong_extension() {
    let e = env();
    fs::write(e.p("picture.txt"), PNG_1X1).unwrap();
    let out = e.read("picture.txt").await;
    assert_ok(&out);
    let b = blocks(&out);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["type"], "image");
    assert_eq!(b[0]["source"]["type"], "base64");
    assert_eq!(b[0]["source"]["media_type"], "image/png");
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD
        .decode(b[0]["source"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, PNG_1X1);
    assert_eq!(out.structured.unwrap()["type"], "image");

    // A .png that is really text is read as text.
    fs::write(e.p("fake.png"), "just text\n").unwrap();
    assert_eq!(e.read("fake.png").await.text(), "1\tjust text");
}

#[tokio::test]
async fn read_refuses_oversized_images_without_loading_them() {
    let e = env();
    let f = fs::File::create(e.p("huge.jpg")).unwrap();
    use std::io::Write;
    (&f).write_all(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    f.set_len(4 * 1024 * 1024).unwrap(); // sparse: 5.3MB once encoded
    let out = e.read("huge.jpg").await;
    assert!(out.is_error);
    let t = out.text();
    assert!(t.contains("Image is too large") && t.contains("5MB"), "{t}");
}

#[tokio::test]
async fn read_pdf_as_document_and_pages_unsupported() {
    let e = env();
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    fs::write(e.p("doc.pdf"), pdf).unwrap();
    let out = e.read("doc.pdf").await;
    assert_ok(&out);
    let b = blocks(&out);
    assert_eq!(b[0]["type"], "document");
    assert_eq!(b[0]["source"]["media_type"], "application/pdf");
    let out = e
        .call(
            "Read",
            json!({"file_path": e.ps("doc.pdf"), "pages": "1-3"}),
        )
        .await;
    assert!(out.is_error);
    let t = out.text();
    assert!(
        t.contains("not supported") && t.contains("Omit pages"),
        "{t}"
    );
}

#[tokio::test]
async fn read_utf16_and_bom_files() {
    let e = env();
    let mut bytes = vec![0xFF, 0xFE];
    for u in "héllo\r\nwörld\r\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    fs::write(e.p("u16.txt"), &bytes).unwrap();
    assert_eq!(e.read("u16.txt").await.text(), "1\théllo\n2\twörld");

    let mut be = vec![0xFE, 0xFF];
    for u in "x".encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    fs::write(e.p("u16be.txt"), &be).unwrap();
    assert_eq!(e.read("u16be.txt").await.text(), "1\tx");

    fs::write(e.p("bom.txt"), b"\xEF\xBB\xBFfirst\nsecond").unwrap();
    assert_eq!(e.read("bom.txt").await.text(), "1\tfirst\n2\tsecond");

    fs::write(e.p("latin1.txt"), b"caf\xe9\n").unwrap();
    assert_eq!(e.read("latin1.txt").await.text(), "1\tcaf\u{FFFD}");
}

fn sample_notebook() -> Value {
    json!({
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {"tags": ["t"]},
             "source": ["# Title\n", "Some text"]},
            {"cell_type": "code", "execution_count": 3, "id": "calc", "metadata": {},
             "outputs": [
                 {"output_type": "stream", "name": "stdout", "text": ["42\n"]},
                 {"output_type": "execute_result", "execution_count": 3, "metadata": {},
                  "data": {"text/plain": ["'done'"]}},
                 {"output_type": "display_data", "metadata": {},
                  "data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure>"]}},
                 {"output_type": "display_data", "metadata": {},
                  "data": {"text/html": ["<b>x</b>"]}},
                 {"output_type": "error", "ename": "ValueError", "evalue": "bad",
                  "traceback": ["\u{1b}[0;31mValueError\u{1b}[0m: bad"]}
             ],
             "source": "print(6*7)"}
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}, "custom": 1},
        "nbformat": 4,
        "nbformat_minor": 5
    })
}

fn write_nb(path: &Path, nb: &Value) {
    fs::write(path, serde_json::to_vec_pretty(nb).unwrap()).unwrap();
}

#[tokio::test]
async fn read_notebook_cells_and_outputs() {
    let e = env();
    write_nb(&e.p("nb.ipynb"), &sample_notebook());
    let out = e.read("nb.ipynb").await;
    assert_ok(&out);
    let b = blocks(&out);
    let text: String = b
        .iter()
        .filter_map(|x| x["text"].as_str())
        .collect::<Vec<_>>()
        .join("");
    assert!(
        text.starts_with("<cell id=\"intro\" type=\"markdown\">\n# Title\nSome text\n</cell>\n"),
        "{text}"
    );
    assert!(
        text.contains("<cell id=\"calc\" type=\"code\" execution_count=\"3\">\nprint(6*7)\n<output>\n42\n'done'\n[image/png output]"),
        "{text}"
    );
    assert!(text.contains("[text/html output omitted]"), "{text}");
    assert!(text.contains("ValueError: bad"), "{text}");
    assert!(!text.contains('\u{1b}'));
    let img = b.iter().find(|x| x["type"] == "image").unwrap();
    assert_eq!(img["source"]["data"], "iVBORw0KGgo=");
    assert_eq!(out.structured.unwrap()["file"]["numCells"], 2);
    assert!(!e.ctx.session.files.get(&e.p("nb.ipynb")).unwrap().partial);

    // Too big to parse whole: refused with a jq hint (sparse file, never read).
    let f = fs::File::create(e.p("huge.ipynb")).unwrap();
    f.set_len(65 * 1024 * 1024).unwrap();
    let out = e.read("huge.ipynb").await;
    assert!(out.is_error);
    assert!(out.text().contains("jq"), "{}", out.text());
}

// ---------------------------------------------------------------------------------------------
// Write

#[tokio::test]
async fn write_creates_file_and_parents() {
    let e = env();
    let out = e
        .call(
            "Write",
            json!({"file_path": e.ps("a/b/new.txt"), "content": "hello\r\nworld"}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(
        out.text(),
        format!("File created successfully at: {}", e.ps("a/b/new.txt"))
    );
    // Written exactly as given, line endings included.
    assert_eq!(fs::read(e.p("a/b/new.txt")).unwrap(), b"hello\r\nworld");
    let st = out.structured.unwrap();
    assert_eq!(st["type"], "create");
    assert_eq!(st["filePath"], e.ps("a/b/new.txt"));
    // A file ccrs wrote may be written again without a Read.
    let out = e
        .call(
            "Write",
            json!({"file_path": e.ps("a/b/new.txt"), "content": "again"}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(
        out.text(),
        format!(
            "The file {} has been updated successfully.",
            e.ps("a/b/new.txt")
        )
    );
}

#[tokio::test]
async fn write_refuses_unread_partially_read_and_modified_files() {
    let e = env();
    let p = e.p("f.txt");
    fs::write(&p, "original\nline2\n").unwrap();
    let input = json!({"file_path": e.ps("f.txt"), "content": "new"});

    let out = e.call("Write", input.clone()).await;
    assert_tool_error(
        &out,
        "File has not been read yet. Read it first before writing to it.",
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), "original\nline2\n");

    e.call("Read", json!({"file_path": e.ps("f.txt"), "limit": 1}))
        .await;
    let out = e.call("Write", input.clone()).await;
    assert_tool_error(
        &out,
        "File has not been read yet. Read it first before writing to it.",
    );

    e.read("f.txt").await;
    // Changed on disk after the read (same size; explicit mtime, no timing games).
    let before = mtime(&p);
    fs::write(&p, "ORIGINAL\nline2\n").unwrap();
    set_mtime(&p, before + Duration::from_secs(10));
    let out = e.call("Write", input.clone()).await;
    assert_tool_error(
        &out,
        "File has been modified since read, either by the user or by a linter. Read it again before attempting to write it.",
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), "ORIGINAL\nline2\n");

    e.read("f.txt").await;
    let out = e.call("Write", input).await;
    assert_ok(&out);
    assert_eq!(fs::read_to_string(&p).unwrap(), "new");
    let st = out.structured.unwrap();
    assert_eq!(st["type"], "update");
    assert_eq!(
        st["structuredPatch"][0]["lines"],
        json!(["-ORIGINAL", "-line2", "+new"])
    );
}

#[tokio::test]
async fn touched_but_unchanged_file_is_not_modified() {
    let e = env();
    let p = e.p("f.txt");
    fs::write(&p, "same\n").unwrap();
    e.read("f.txt").await;
    set_mtime(&p, mtime(&p) + Duration::from_secs(30));
    let out = e
        .call("Write", json!({"file_path": e.ps("f.txt"), "content": "x"}))
        .await;
    assert_ok(&out);
}

#[tokio::test]
async fn write_keeps_mode_symlink_and_encoding() {
    let e = env();
    let p = e.p("run.sh");
    fs::write(&p, "#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o751)).unwrap();
    e.read("run.sh").await;
    assert_ok(
        &e.call(
            "Write",
            json!({"file_path": e.ps("run.sh"), "content": "#!/bin/sh\necho bye\n"}),
        )
        .await,
    );
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
        0o751
    );

    fs::write(e.p("real.txt"), "r\n").unwrap();
    std::os::unix::fs::symlink(e.p("real.txt"), e.p("link.txt")).unwrap();
    e.read("link.txt").await;
    assert_ok(
        &e.call(
            "Write",
            json!({"file_path": e.ps("link.txt"), "content": "via link\n"}),
        )
        .await,
    );
    assert!(
        fs::symlink_metadata(e.p("link.txt"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(e.p("real.txt")).unwrap(), "via link\n");

    let mut u16 = vec![0xFF, 0xFE];
    u16.extend("a".encode_utf16().flat_map(|u| u.to_le_bytes()));
    fs::write(e.p("u16.txt"), &u16).unwrap();
    e.read("u16.txt").await;
    assert_ok(
        &e.call(
            "Write",
            json!({"file_path": e.ps("u16.txt"), "content": "bé"}),
        )
        .await,
    );
    let mut want = vec![0xFF, 0xFE];
    want.extend("bé".encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(fs::read(e.p("u16.txt")).unwrap(), want);
}

#[tokio::test]
async fn write_to_a_directory_is_refused() {
    let e = env();
    fs::create_dir(e.p("d")).unwrap();
    let out = e
        .call("Write", json!({"file_path": e.ps("d"), "content": "x"}))
        .await;
    assert!(out.is_error);
    assert!(out.text().contains("is a directory"));
    assert!(e.p("d").is_dir());
}

// ---------------------------------------------------------------------------------------------
// Edit

fn edit(e: &Env, rel: &str, old: &str, new: &str) -> Value {
    json!({"file_path": e.ps(rel), "old_string": old, "new_string": new})
}

#[tokio::test]
async fn edit_validation_order_and_messages() {
    let e = env();
    // 1. No-op, even for a missing file.
    let out = e.call("Edit", edit(&e, "missing.txt", "a", "a")).await;
    assert_tool_error(
        &out,
        "No changes to make: old_string and new_string are exactly the same.",
    );
    // 4. Missing file.
    let out = e.call("Edit", edit(&e, "missing.txt", "a", "b")).await;
    assert_tool_error(
        &out,
        &format!(
            "File does not exist. Note: your current working directory is {}.",
            e.root.display()
        ),
    );
    // 5. Empty old_string on an existing, non-empty file.
    fs::write(e.p("f.txt"), "content\n").unwrap();
    let out = e.call("Edit", edit(&e, "f.txt", "", "x")).await;
    assert_tool_error(&out, "Cannot create new file - file already exists.");
    // 6. Notebooks.
    write_nb(&e.p("nb.ipynb"), &sample_notebook());
    let out = e.call("Edit", edit(&e, "nb.ipynb", "Title", "T")).await;
    assert_tool_error(
        &out,
        "File is a Jupyter Notebook. Use the NotebookEdit to edit this file.",
    );
    // 7. Not read.
    let out = e.call("Edit", edit(&e, "f.txt", "content", "x")).await;
    assert_tool_error(
        &out,
        "File has not been read yet. Read it first before writing to it.",
    );
    // 8. Modified since read.
    e.read("f.txt").await;
    let before = mtime(&e.p("f.txt"));
    fs::write(e.p("f.txt"), "content!\n").unwrap();
    set_mtime(&e.p("f.txt"), before + Duration::from_secs(5));
    let out = e.call("Edit", edit(&e, "f.txt", "content", "x")).await;
    assert_tool_error(
        &out,
        "File has been modified since read, either by the user or by a linter. Read it again before attempting to write it.",
    );
    // 9. Not found.
    e.read("f.txt").await;
    let out = e.call("Edit", edit(&e, "f.txt", "absent", "x")).await;
    assert_tool_error(&out, "String to replace not found in file.\nString: absent");
    assert_eq!(fs::read_to_string(e.p("f.txt")).unwrap(), "content!\n");
}

#[tokio::test]
async fn edit_non_unique_leaves_file_byte_identical() {
    let e = env();
    let original = b"x = 1\ny = 1\nz = 1\n\xff\n".to_vec();
    fs::write(e.p("f.txt"), &original).unwrap();
    e.read("f.txt").await;
    let before = mtime(&e.p("f.txt"));
    let out = e.call("Edit", edit(&e, "f.txt", "= 1", "= 2")).await;
    assert_tool_error(
        &out,
        "Found 3 matches of the string to replace, but replace_all is false. To replace all occurrences, set replace_all to true. To replace only one occurrence, please provide more context to uniquely identify the instance.\nString: = 1",
    );
    assert_eq!(fs::read(e.p("f.txt")).unwrap(), original);
    assert_eq!(mtime(&e.p("f.txt")), before);

    // replace_all, and the invalid byte survives.
    let out = e
        .call(
            "Edit",
            json!({"file_path": e.ps("f.txt"), "old_string": "= 1", "new_string": "= 2", "replace_all": true}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(
        out.text(),
        format!(
            "The file {} has been updated. All occurrences were successfully replaced.",
            e.ps("f.txt")
        )
    );
    assert_eq!(
        fs::read(e.p("f.txt")).unwrap(),
        b"x = 2\ny = 2\nz = 2\n\xff\n"
    );
}

#[tokio::test]
async fn edit_success_structured_patch_and_mode() {
    let e = env();
    let p = e.p("s.sh");
    fs::write(&p, "a\nb\nc\nd\ne\nf\ng\nh\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    e.read("s.sh").await;
    let out = e.call("Edit", edit(&e, "s.sh", "e\n", "E\nE2\n")).await;
    assert_ok(&out);
    assert_eq!(
        out.text(),
        format!("The file {} has been updated successfully.", e.ps("s.sh"))
    );
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        "a\nb\nc\nd\nE\nE2\nf\ng\nh\n"
    );
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
        0o755
    );
    let st = out.structured.unwrap();
    assert_eq!(st["type"], "update");
    assert_eq!(st["filePath"], e.ps("s.sh"));
    assert_eq!(st["oldString"], "e\n");
    assert_eq!(st["replaceAll"], false);
    assert_eq!(
        st["structuredPatch"],
        json!([{"oldStart": 2, "oldLines": 7, "newStart": 2, "newLines": 8,
                "lines": [" b", " c", " d", "-e", "+E", "+E2", " f", " g", " h"]}])
    );
    // Its own write counts as a read: a second edit needs no Read.
    assert_ok(&e.call("Edit", edit(&e, "s.sh", "a\n", "A\n")).await);
}

#[tokio::test]
async fn edit_creates_file_with_empty_old_string() {
    let e = env();
    let out = e
        .call("Edit", edit(&e, "new/dir/f.py", "", "print(1)\n"))
        .await;
    assert_ok(&out);
    assert_eq!(
        fs::read_to_string(e.p("new/dir/f.py")).unwrap(),
        "print(1)\n"
    );
    assert_eq!(out.structured.unwrap()["type"], "create");
    // An existing empty file may be filled the same way.
    fs::write(e.p("empty.txt"), "").unwrap();
    assert_ok(&e.call("Edit", edit(&e, "empty.txt", "", "filled")).await);
    assert_eq!(fs::read_to_string(e.p("empty.txt")).unwrap(), "filled");
}

#[tokio::test]
async fn edit_preserves_crlf() {
    let e = env();
    fs::write(e.p("w.txt"), "one\r\ntwo\r\nthree\r\n").unwrap();
    e.read("w.txt").await;
    assert_ok(
        &e.call("Edit", edit(&e, "w.txt", "one\ntwo", "uno\ndos\ndos-b"))
            .await,
    );
    assert_eq!(
        fs::read(e.p("w.txt")).unwrap(),
        b"uno\r\ndos\r\ndos-b\r\nthree\r\n"
    );
}

#[tokio::test]
async fn edit_strips_pasted_line_numbers_and_forgives_quotes() {
    let e = env();
    fs::write(
        e.p("m.rs"),
        "fn main() {\n    let s = \u{201C}hi\u{201D};\n    run(s);\n}\n",
    )
    .unwrap();
    let out = e
        .call(
            "Read",
            json!({"file_path": e.ps("m.rs"), "offset": 3, "limit": 1}),
        )
        .await;
    let pasted = out.text(); // "3\t    run(s);"
    assert_eq!(pasted, "3\t    run(s);");
    // A partial read is enough for Edit.
    assert_ok(
        &e.call("Edit", edit(&e, "m.rs", &pasted, "3\t    run(s, 2);"))
            .await,
    );
    assert_ok(
        &e.call(
            "Edit",
            edit(
                &e,
                "m.rs",
                "     2→    let s = \"hi\";",
                "    let s = \"yo\";",
            ),
        )
        .await,
    );
    assert_eq!(
        fs::read_to_string(e.p("m.rs")).unwrap(),
        "fn main() {\n    let s = \u{201C}yo\u{201D};\n    run(s, 2);\n}\n"
    );
}

#[tokio::test]
async fn edit_refuses_too_large_files() {
    let e = env();
    let f = fs::File::create(e.p("huge.log")).unwrap();
    f.set_len(257 * 1024 * 1024).unwrap(); // sparse
    let out = e.call("Edit", edit(&e, "huge.log", "a", "b")).await;
    assert_tool_error(
        &out,
        "File is too large to edit (257MB). Maximum editable file size is 256MB.",
    );
}

#[tokio::test]
async fn edit_keeps_utf16_and_bom() {
    let e = env();
    let enc = |s: &str| {
        let mut v = vec![0xFE, 0xFF];
        v.extend(s.encode_utf16().flat_map(|u| u.to_be_bytes()));
        v
    };
    fs::write(e.p("be.txt"), enc("alpha\r\nbeta\r\n")).unwrap();
    e.read("be.txt").await;
    assert_ok(&e.call("Edit", edit(&e, "be.txt", "beta", "gamma")).await);
    assert_eq!(fs::read(e.p("be.txt")).unwrap(), enc("alpha\r\ngamma\r\n"));

    fs::write(e.p("bom.txt"), b"\xEF\xBB\xBFkey=1\n").unwrap();
    e.read("bom.txt").await;
    assert_ok(&e.call("Edit", edit(&e, "bom.txt", "key=1", "key=2")).await);
    assert_eq!(fs::read(e.p("bom.txt")).unwrap(), b"\xEF\xBB\xBFkey=2\n");
}

// ---------------------------------------------------------------------------------------------
// MultiEdit

#[tokio::test]
async fn multi_edit_applies_in_order() {
    let e = env();
    fs::write(e.p("c.py"), "a = 1\nb = 2\n").unwrap();
    e.read("c.py").await;
    let out = e
        .call(
            "MultiEdit",
            json!({"file_path": e.ps("c.py"), "edits": [
                {"old_string": "a = 1", "new_string": "alpha = 1"},
                {"old_string": "alpha = 1\nb", "new_string": "alpha = 1\nbeta"},
                {"old_string": "= ", "new_string": "=", "replace_all": true}
            ]}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(out.text(), format!("Applied 3 edits to {}.", e.ps("c.py")));
    assert_eq!(
        fs::read_to_string(e.p("c.py")).unwrap(),
        "alpha =1\nbeta =2\n"
    );
    assert_eq!(out.structured.unwrap()["type"], "update");
}

#[tokio::test]
async fn multi_edit_is_all_or_nothing() {
    let e = env();
    fs::write(e.p("c.py"), "a = 1\nb = 2\n").unwrap();
    e.read("c.py").await;
    let before = mtime(&e.p("c.py"));
    let out = e
        .call(
            "MultiEdit",
            json!({"file_path": e.ps("c.py"), "edits": [
                {"old_string": "a = 1", "new_string": "a = 10"},
                {"old_string": "zzz", "new_string": "y"},
                {"old_string": "b", "new_string": "c"}
            ]}),
        )
        .await;
    assert_tool_error(
        &out,
        "Edit 2 of 3: String to replace not found in file.\nString: zzz",
    );
    assert_eq!(fs::read_to_string(e.p("c.py")).unwrap(), "a = 1\nb = 2\n");
    assert_eq!(mtime(&e.p("c.py")), before);

    let out = e
        .call(
            "MultiEdit",
            json!({"file_path": e.ps("c.py"), "edits": [
                {"old_string": "a", "new_string": "b"},
                {"old_string": "b", "new_string": "c"}
            ]}),
        )
        .await;
    assert!(
        out.text()
            .starts_with("<tool_use_error>Edit 2 of 2: Found 2 matches"),
        "{}",
        out.text()
    );
    let out = e
        .call(
            "MultiEdit",
            json!({"file_path": e.ps("c.py"), "edits": [
                {"old_string": "a", "new_string": "x"},
                {"old_string": "q", "new_string": "q"}
            ]}),
        )
        .await;
    assert_tool_error(
        &out,
        "Edit 2 of 2: No changes to make: old_string and new_string are exactly the same.",
    );
    assert_eq!(fs::read_to_string(e.p("c.py")).unwrap(), "a = 1\nb = 2\n");
}

#[tokio::test]
async fn multi_edit_creates_file() {
    let e = env();
    let out = e
        .call(
            "MultiEdit",
            json!({"file_path": e.ps("n.txt"), "edits": [
                {"old_string": "", "new_string": "hello world\n"},
                {"old_string": "world", "new_string": "there"}
            ]}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(fs::read_to_string(e.p("n.txt")).unwrap(), "hello there\n");
    assert_eq!(out.structured.unwrap()["type"], "create");
}

#[tokio::test]
async fn multi_edit_requires_read() {
    let e = env();
    fs::write(e.p("c.py"), "a\n").unwrap();
    let out = e
        .call(
            "MultiEdit",
            json!({"file_path": e.ps("c.py"), "edits": [{"old_string": "a", "new_string": "b"}]}),
        )
        .await;
    assert_tool_error(
        &out,
        "File has not been read yet. Read it first before writing to it.",
    );
}

// ---------------------------------------------------------------------------------------------
// NotebookEdit

async fn nb_edit(e: &Env, input: Value) -> ToolOutput {
    let mut input = input;
    input["notebook_path"] = json!(e.ps("nb.ipynb"));
    e.call("NotebookEdit", input).await
}

fn load_nb(e: &Env) -> Value {
    serde_json::from_slice(&fs::read(e.p("nb.ipynb")).unwrap()).unwrap()
}

#[tokio::test]
async fn notebook_replace_clears_outputs_and_keeps_the_rest() {
    let e = env();
    write_nb(&e.p("nb.ipynb"), &sample_notebook());
    let out = nb_edit(&e, json!({"cell_id": "calc", "new_source": "x = 1\ny = 2"})).await;
    assert_tool_error(
        &out,
        "File has not been read yet. Read it first before writing to it.",
    );
    e.read("nb.ipynb").await;
    let out = nb_edit(&e, json!({"cell_id": "calc", "new_source": "x = 1\ny = 2"})).await;
    assert_ok(&out);
    assert_eq!(out.text(), "Updated cell calc.");
    let nb = load_nb(&e);
    let c = &nb["cells"][1];
    // The cell's source was a string: it stays one.
    assert_eq!(c["source"], "x = 1\ny = 2");
    assert_eq!(c["outputs"], json!([]));
    assert_eq!(c["execution_count"], Value::Null);
    assert_eq!(c["id"], "calc");
    // Everything else untouched.
    assert_eq!(nb["metadata"], sample_notebook()["metadata"]);
    assert_eq!(nb["cells"][0], sample_notebook()["cells"][0]);
    assert_eq!(nb["nbformat_minor"], 5);
    // Jupyter's layout.
    let raw = fs::read_to_string(e.p("nb.ipynb")).unwrap();
    assert!(raw.starts_with("{\n \"cells\": [\n  {\n"), "{raw}");
    assert!(raw.ends_with("}\n"));

    // Markdown cell by cell-N, array source kept as array, type change.
    let out = nb_edit(
        &e,
        json!({"cell_id": "cell-0", "new_source": "# New\nbody"}),
    )
    .await;
    assert_ok(&out);
    let nb = load_nb(&e);
    assert_eq!(nb["cells"][0]["source"], json!(["# New\n", "body"]));
    assert_eq!(nb["cells"][0]["metadata"], json!({"tags": ["t"]}));
    let out = nb_edit(
        &e,
        json!({"cell_id": "intro", "new_source": "print()", "cell_type": "code"}),
    )
    .await;
    assert_ok(&out);
    let nb = load_nb(&e);
    assert_eq!(nb["cells"][0]["cell_type"], "code");
    assert_eq!(nb["cells"][0]["outputs"], json!([]));
}

#[tokio::test]
async fn notebook_insert_and_delete() {
    let e = env();
    write_nb(&e.p("nb.ipynb"), &sample_notebook());
    e.read("nb.ipynb").await;
    let out = nb_edit(&e, json!({"edit_mode": "insert", "new_source": "x"})).await;
    assert_tool_error(&out, "Cell type is required when using edit_mode=insert.");

    let out = nb_edit(
        &e,
        json!({"edit_mode": "insert", "cell_id": "intro", "new_source": "a = 1\n", "cell_type": "code"}),
    )
    .await;
    assert_ok(&out);
    let nb = load_nb(&e);
    let cells = nb["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 3);
    let new = &cells[1];
    let id = new["id"].as_str().unwrap();
    assert_eq!(id.len(), 8);
    assert_eq!(
        out.text(),
        format!("Inserted code cell {id} after cell intro.")
    );
    assert_eq!(new["source"], json!(["a = 1\n"]));
    assert_eq!(new["outputs"], json!([]));
    assert_eq!(new["execution_count"], Value::Null);
    assert_eq!(out.structured.unwrap()["cell_id"], id);

    let out = nb_edit(
        &e,
        json!({"edit_mode": "insert", "new_source": "# Top", "cell_type": "markdown"}),
    )
    .await;
    assert_ok(&out);
    let nb = load_nb(&e);
    assert_eq!(nb["cells"][0]["cell_type"], "markdown");
    assert!(nb["cells"][0].get("outputs").is_none());
    assert_eq!(nb["cells"].as_array().unwrap().len(), 4);

    let out = nb_edit(
        &e,
        json!({"edit_mode": "delete", "cell_id": "calc", "new_source": ""}),
    )
    .await;
    assert_ok(&out);
    assert_eq!(out.text(), "Deleted cell calc.");
    let nb = load_nb(&e);
    assert!(
        nb["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "calc")
    );
    assert_eq!(nb["cells"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn notebook_errors() {
    let e = env();
    write_nb(&e.p("nb.ipynb"), &sample_notebook());
    e.read("nb.ipynb").await;
    let out = nb_edit(&e, json!({"cell_id": "nope", "new_source": "x"})).await;
    assert_tool_error(&out, "Cell with ID \"nope\" not found in notebook.");
    let out = nb_edit(&e, json!({"new_source": "x"})).await;
    assert_tool_error(
        &out,
        "Cell ID must be specified when not inserting a new cell.",
    );
    let out = e
        .call(
            "NotebookEdit",
            json!({"notebook_path": e.ps("x.py"), "new_source": "x"}),
        )
        .await;
    assert!(out.text().contains("must be a Jupyter notebook"));
    // Old notebooks without ids: new cells get none, cell-N still works.
    let mut old = sample_notebook();
    old["nbformat_minor"] = json!(2);
    for c in old["cells"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("id");
    }
    write_nb(&e.p("nb.ipynb"), &old);
    e.read("nb.ipynb").await;
    let out = nb_edit(
        &e,
        json!({"edit_mode": "insert", "cell_id": "cell-1", "new_source": "z", "cell_type": "code"}),
    )
    .await;
    assert_ok(&out);
    let nb = load_nb(&e);
    assert!(nb["cells"][2].get("id").is_none());
    assert_eq!(nb["cells"][2]["source"], json!(["z"]));
}

// ---------------------------------------------------------------------------------------------
// Preview

#[tokio::test]
async fn preview_diff_does_not_write() {
    let e = env();
    fs::write(e.p("f.txt"), "one\ntwo\n").unwrap();
    let d = preview_diff("Edit", &edit(&e, "f.txt", "two", "2"), &e.ctx).unwrap();
    assert!(d.contains("-two\n+2\n"), "{d}");
    let d = preview_diff(
        "MultiEdit",
        &json!({"file_path": e.ps("f.txt"), "edits": [
            {"old_string": "one", "new_string": "1"}, {"old_string": "1\ntwo", "new_string": "1\n2"}]}),
        &e.ctx,
    )
    .unwrap();
    assert!(d.contains("-one\n-two\n+1\n+2\n"), "{d}");
    let d = preview_diff(
        "Write",
        &json!({"file_path": e.ps("new.txt"), "content": "fresh\n"}),
        &e.ctx,
    )
    .unwrap();
    assert!(d.contains("+fresh"), "{d}");
    assert_eq!(fs::read_to_string(e.p("f.txt")).unwrap(), "one\ntwo\n");
    assert!(!e.p("new.txt").exists());
    assert!(preview_diff("Edit", &edit(&e, "f.txt", "absent", "x"), &e.ctx).is_none());
    assert!(preview_diff("Read", &json!({"file_path": e.ps("f.txt")}), &e.ctx).is_none());
}

#[tokio::test]
async fn preview_patch_is_the_patch_the_call_reports() {
    let e = env();
    fs::write(e.p("f.txt"), "a\nb\nc\nd\ne\nf\ng\nh\n").unwrap();
    e.read("f.txt").await;
    let input = edit(&e, "f.txt", "e\n", "E\nE2\n");
    let preview = preview_patch("Edit", &input, &e.ctx).unwrap();
    assert_eq!(
        fs::read_to_string(e.p("f.txt")).unwrap(),
        "a\nb\nc\nd\ne\nf\ng\nh\n"
    );
    let out = e.call("Edit", input).await;
    assert_ok(&out);
    assert_eq!(preview, out.structured.unwrap()["structuredPatch"]);
    let create = json!({"file_path": e.ps("new.txt"), "content": "one\ntwo\n"});
    assert_eq!(
        preview_patch("Write", &create, &e.ctx).unwrap(),
        json!([{"oldStart": 1, "oldLines": 0, "newStart": 1, "newLines": 2,
                "lines": ["+one", "+two"]}])
    );
    assert!(!e.p("new.txt").exists());
    assert!(preview_patch("Edit", &edit(&e, "f.txt", "absent", "x"), &e.ctx).is_none());
}

#[tokio::test]
async fn special_files_are_neither_read_whole_nor_replaced() {
    // Reading a FIFO blocks until a writer comes (forever here), /dev/zero never ends, and the
    // atomic write would rename a regular file over the node.
    let e = env();
    let mut paths = vec![e.ps("pipe"), e.ps("pipe.ipynb")];
    for p in &paths {
        if !std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .is_ok_and(|s| s.success())
        {
            eprintln!("NOTICE: mkfifo unavailable, skipping the special-file test");
            return;
        }
    }
    paths.push("/dev/zero".to_string());
    for p in &paths[..2] {
        let p = p.as_str();
        let write = json!({"file_path": p, "content": "x"});
        let edit = json!({"file_path": p, "old_string": "", "new_string": "x"});
        assert!(preview_diff("Write", &write, &e.ctx).is_none());
        assert!(preview_diff("Edit", &edit, &e.ctx).is_none());
        for (tool, input) in [("Write", write), ("Edit", edit)] {
            let out = e.call(tool, input).await;
            assert!(out.is_error, "{tool}");
            assert!(
                out.text().contains("is not a regular file"),
                "{}",
                out.text()
            );
        }
    }
    let out = e
        .call(
            "NotebookEdit",
            json!({"notebook_path": e.ps("pipe.ipynb"), "new_source": "x", "cell_id": "0"}),
        )
        .await;
    assert!(
        out.text().contains("is not a regular file"),
        "{}",
        out.text()
    );
    let edit = json!({"file_path": "/dev/zero", "old_string": "a", "new_string": "b"});
    assert!(preview_diff("Edit", &edit, &e.ctx).is_none());
    let out = e.call("Edit", edit).await;
    assert!(
        out.text().contains("is not a regular file"),
        "{}",
        out.text()
    );
    for p in &paths {
        assert!(!fs::metadata(p).unwrap().file_type().is_file(), "{p}");
    }
}
