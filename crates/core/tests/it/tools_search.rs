//! Glob and Grep against a generated tree: ripgrep parity (when `rg` is installed), every output
//! mode, paging, ordering, errors and cancellation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::tools::glob::{GlobTool, MAX_RESULTS, TRUNCATED_NOTICE};
use ccrs_core::tools::grep::GrepTool;
use ccrs_core::tools::{Subject, Tool, ToolContext, ToolOutput, schema};
use serde_json::{Value, json};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------------------------------------
// Fixtures

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
}

fn set_mtime(path: &Path, secs: u64) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// A small project: nested dirs, ignore files, hidden files, a binary, a CRLF file, a long line,
/// several languages. Every file gets a distinct mtime (in creation order, oldest first).
fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    // A `.git` dir makes this a repository, so `.gitignore` applies (as in ripgrep).
    write(r, ".git/HEAD", "ref: refs/heads/main\n");
    write(r, ".git/config", "needle in git config\n");
    write(r, ".gitignore", "ignored_dir/\n*.log\nnode_modules/\n");
    write(r, ".ignore", "secret_notes.txt\n");
    write(
        r,
        "src/main.rs",
        "fn main() {\n    // needle one\n    println!(\"hi\");\n}\n",
    );
    write(
        r,
        "src/lib.rs",
        "pub mod a;\n\npub fn f() {}\n// NEEDLE upper\nconst X: u8 = 1;\nconst Y: u8 = 2;\n// needle lower\n",
    );
    write(
        r,
        "src/nested/deep/mod.rs",
        "start\nneedle middle\nend\nstart again\nno end here\n",
    );
    write(r, "src/app.ts", "export const needle = 1;\n");
    write(
        r,
        "src/comp.tsx",
        "export const C = () => <div>needle</div>;\n",
    );
    write(r, "web/index.js", "console.log('Needle');\n-dash option\n");
    write(r, "README.md", "# Title\n\nA needle in the readme.\n");
    write(r, "docs/guide.md", "guide\nneedle\nneedle again\n");
    write(r, "scripts/run.py", "def needle():\n    return 'needle'\n");
    write(r, ".hidden_file.txt", "hidden needle\n");
    write(r, ".config/settings.json", "{\"needle\": true}\n");
    write(r, "ignored_dir/x.rs", "needle in ignored dir\n");
    write(r, "debug.log", "needle in a log\n");
    write(r, "node_modules/pkg/index.js", "needle in deps\n");
    write(r, "secret_notes.txt", "needle but dot-ignored\n");
    write(r, "data.bin", b"needle\x00\x01\x02binary needle\n");
    write(r, "crlf.txt", "first\r\nneedle crlf\r\nlast\r\n");
    let long = format!("{}needle\nshort needle\n", "x".repeat(600));
    write(r, "long.txt", long);
    write(r, "empty.txt", "");
    let mut files = Vec::new();
    collect_files(r, &mut files);
    files.sort();
    for (i, f) in files.iter().enumerate() {
        set_mtime(f, 1_600_000_000 + i as u64 * 10);
    }
    d
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            collect_files(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

fn ctx(cwd: &Path) -> ToolContext {
    ToolContext::for_tests(cwd)
}

async fn call(tool: &dyn Tool, ctx: &ToolContext, input: Value) -> ToolOutput {
    let problems = schema::validate(&tool.input_schema(), &input);
    assert!(
        problems.is_empty(),
        "invalid test input {input}: {problems:?}"
    );
    tool.call(input, ctx).await
}

async fn ok_text(tool: &dyn Tool, ctx: &ToolContext, input: Value) -> String {
    let out = call(tool, ctx, input.clone()).await;
    assert!(!out.is_error, "{input} failed: {}", out.text());
    out.text()
}

// ---------------------------------------------------------------------------------------------
// ripgrep parity

const VCS_GLOBS: [&str; 6] = ["!.git", "!.svn", "!.hg", "!.bzr", "!.jj", "!.sl"];

/// Runs `rg` in `root` with `args`; `None` (after a notice) when rg is not installed.
fn rg(root: &Path, args: &[&str]) -> Option<Vec<String>> {
    let mut cmd = Command::new("rg");
    cmd.current_dir(root)
        .env_remove("RIPGREP_CONFIG_PATH")
        .args(["--no-config", "--no-messages", "--color", "never"])
        .args(args);
    let out = match cmd.output() {
        Ok(o) => o,
        Err(_) => {
            eprintln!("NOTICE: rg not installed, skipping ripgrep parity check {args:?}");
            return None;
        }
    };
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "rg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect();
    lines.sort();
    Some(lines)
}

fn rg_grep(root: &Path, flags: &[&str], globs: &[&str], pattern: &str) -> Option<Vec<String>> {
    let mut args: Vec<&str> = vec!["--hidden", "-H", "--no-heading", "--max-columns", "500"];
    args.extend_from_slice(flags);
    for g in globs.iter().chain(VCS_GLOBS.iter()) {
        args.push("--glob");
        args.push(g);
    }
    args.push("-e");
    args.push(pattern);
    rg(root, &args)
}

/// What Glob should list: files `rg --files --glob` lists that are not ignored (`rg --glob`
/// re-includes ignored files; Glob's pattern only filters).
fn rg_files(root: &Path, glob: &str) -> Option<Vec<String>> {
    let mut not_ignored = vec!["--files", "--hidden"];
    for g in VCS_GLOBS {
        not_ignored.push("--glob");
        not_ignored.push(g);
    }
    let mut matching = vec!["--files", "--hidden", "--glob", glob];
    matching.extend_from_slice(&not_ignored[2..]);
    let not_ignored = rg(root, &not_ignored)?;
    let matching = rg(root, &matching)?;
    Some(
        matching
            .into_iter()
            .filter(|f| not_ignored.contains(f))
            .collect(),
    )
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Grep's listing lines, without the `Found N files` header.
fn files_of(text: &str) -> Vec<String> {
    if text == "No files found" {
        return Vec::new();
    }
    let mut lines = text.lines();
    let head = lines.next().unwrap_or("");
    assert!(head.starts_with("Found "), "{text}");
    sorted(lines.map(str::to_string).collect())
}

/// The `path:count` lines of count mode.
fn counts_of(text: &str) -> Vec<String> {
    if text == "No matches found" {
        return Vec::new();
    }
    let (body, summary) = text.split_once("\n\n").expect("count summary");
    assert!(summary.starts_with("Found "), "{text}");
    sorted(body.lines().map(str::to_string).collect())
}

fn content_of(text: &str) -> Vec<String> {
    if text == "No matches found" {
        return Vec::new();
    }
    sorted(text.lines().map(str::to_string).collect())
}

#[tokio::test]
async fn glob_matches_rg_files() {
    let t = tree();
    let c = ctx(t.path());
    for pattern in [
        "**/*.rs",
        "*.rs",
        "*.md",
        "src/**/*.{ts,tsx}",
        "src/*",
        "**/*",
        "*.log",
        "**/index.js",
    ] {
        let got = ok_text(&GlobTool, &c, json!({"pattern": pattern})).await;
        let got = if got == "No files found" {
            Vec::new()
        } else {
            sorted(got.lines().map(str::to_string).collect())
        };
        if let Some(want) = rg_files(t.path(), pattern) {
            assert_eq!(got, want, "Glob {pattern}");
        }
        assert!(!got.iter().any(|p| p.starts_with(".git/")), "{got:?}");
    }
    // Spot checks that hold with or without rg.
    let all = ok_text(&GlobTool, &c, json!({"pattern": "**/*"})).await;
    assert!(all.contains(".hidden_file.txt") && all.contains(".config/settings.json"));
    assert!(!all.contains("ignored_dir/") && !all.contains("node_modules/"));
    assert!(!all.contains("secret_notes.txt") && !all.contains(".git/HEAD"));
    assert!(!all.contains("debug.log"), "{all}");
}

#[tokio::test]
async fn grep_files_with_matches_matches_rg_l() {
    let t = tree();
    let c = ctx(t.path());
    let cases: &[(Value, &[&str], &[&str], &str)] = &[
        (json!({"pattern": "needle"}), &["-l"], &[], "needle"),
        (
            json!({"pattern": "needle", "-i": true}),
            &["-l", "-i"],
            &[],
            "needle",
        ),
        (
            json!({"pattern": "needle", "type": "rust"}),
            &["-l", "--type", "rust"],
            &[],
            "needle",
        ),
        (
            json!({"pattern": "needle", "type": "py"}),
            &["-l", "--type", "py"],
            &[],
            "needle",
        ),
        (
            json!({"pattern": "needle", "glob": "*.md"}),
            &["-l"],
            &["*.md"],
            "needle",
        ),
        (
            json!({"pattern": "needle", "glob": "*.{ts,tsx}, *.py"}),
            &["-l"],
            &["*.{ts,tsx}", "*.py"],
            "needle",
        ),
        (
            json!({"pattern": "needle", "glob": "!src/**"}),
            &["-l"],
            &["!src/**"],
            "needle",
        ),
        // A glob overrides ignore files, as in ripgrep.
        (
            json!({"pattern": "needle", "glob": "*.log"}),
            &["-l"],
            &["*.log"],
            "needle",
        ),
        (json!({"pattern": "-dash"}), &["-l"], &[], "-dash"),
        (json!({"pattern": "^needle$"}), &["-l"], &[], "^needle$"),
        (
            json!({"pattern": "nothing-matches-this"}),
            &["-l"],
            &[],
            "nothing-matches-this",
        ),
    ];
    for (input, flags, globs, pattern) in cases {
        let mut input = input.clone();
        input["head_limit"] = json!(0);
        let got = files_of(&ok_text(&GrepTool, &c, input.clone()).await);
        if let Some(want) = rg_grep(t.path(), flags, globs, pattern) {
            assert_eq!(got, want, "Grep {input}");
        }
    }
    let got = files_of(&ok_text(&GrepTool, &c, json!({"pattern": "needle"})).await);
    assert!(got.contains(&"long.txt".to_string()) && got.contains(&".hidden_file.txt".into()));
    for absent in ["data.bin", "debug.log", "secret_notes.txt", ".git/config"] {
        assert!(!got.contains(&absent.to_string()), "{absent} in {got:?}");
    }
}

#[tokio::test]
async fn grep_content_matches_rg_n() {
    let t = tree();
    let c = ctx(t.path());
    let cases: &[(Value, &[&str])] = &[
        (json!({"pattern": "needle"}), &["-n"]),
        (json!({"pattern": "needle", "-n": false}), &[]),
        (json!({"pattern": "needle", "-i": true}), &["-n", "-i"]),
        (json!({"pattern": "needle", "-A": 1}), &["-n", "-A", "1"]),
        (json!({"pattern": "needle", "-B": 2}), &["-n", "-B", "2"]),
        (json!({"pattern": "needle", "-C": 1}), &["-n", "-C", "1"]),
        (
            json!({"pattern": "needle", "context": 3}),
            &["-n", "-C", "3"],
        ),
        (
            json!({"pattern": "upper|lower", "-C": 1, "-n": false}),
            &["-C", "1"],
        ),
        (
            json!({"pattern": "needle", "type": "rust"}),
            &["-n", "--type", "rust"],
        ),
        (
            json!({"pattern": "start.*?end", "multiline": true}),
            &["-n", "-U", "--multiline-dotall"],
        ),
        (
            json!({"pattern": "start\\n\\w+", "multiline": true, "-A": 1}),
            &["-n", "-U", "--multiline-dotall", "-A", "1"],
        ),
        (json!({"pattern": "crlf$"}), &["-n"]),
        (json!({"pattern": "-dash"}), &["-n"]),
    ];
    for (input, flags) in cases {
        let mut input = input.clone();
        input["output_mode"] = json!("content");
        input["head_limit"] = json!(0);
        let pattern = input["pattern"].as_str().unwrap().to_string();
        let got = content_of(&ok_text(&GrepTool, &c, input.clone()).await);
        if let Some(want) = rg_grep(t.path(), flags, &[], &pattern) {
            assert_eq!(got, want, "Grep {input}");
        }
    }
    // Without rg too: the long line is replaced, the short one is kept, CR is dropped.
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "needle", "output_mode": "content", "path": "long.txt"}),
    )
    .await;
    assert_eq!(
        got,
        "long.txt:1:[Omitted long matching line]\nlong.txt:2:short needle"
    );
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "needle", "output_mode": "content", "path": "crlf.txt"}),
    )
    .await;
    assert_eq!(got, "crlf.txt:2:needle crlf");
}

#[tokio::test]
async fn grep_count_matches_rg_c() {
    let t = tree();
    let c = ctx(t.path());
    let cases: &[(Value, &[&str])] = &[
        (json!({"pattern": "needle"}), &["-c"]),
        (json!({"pattern": "needle", "-i": true}), &["-c", "-i"]),
        (json!({"pattern": "e"}), &["-c"]),
        (
            json!({"pattern": "start.*?end", "multiline": true}),
            &["-c", "-U", "--multiline-dotall"],
        ),
    ];
    for (input, flags) in cases {
        let mut input = input.clone();
        input["output_mode"] = json!("count");
        input["head_limit"] = json!(0);
        let pattern = input["pattern"].as_str().unwrap().to_string();
        let got = counts_of(&ok_text(&GrepTool, &c, input.clone()).await);
        if let Some(want) = rg_grep(t.path(), flags, &[], &pattern) {
            assert_eq!(got, want, "Grep {input}");
        }
    }
}

#[tokio::test]
async fn explicit_binary_file_is_searched_like_rg() {
    let t = tree();
    let c = ctx(t.path());
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "needle", "path": "data.bin", "output_mode": "content"}),
    )
    .await;
    assert!(got.starts_with("data.bin: binary file matches"), "{got}");
    if let Some(want) = rg(t.path(), &["-H", "-n", "needle", "data.bin"]) {
        assert_eq!(content_of(&got), want);
    }
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "needle", "path": "data.bin"}),
    )
    .await;
    assert_eq!(got, "Found 1 file\ndata.bin");
}

// ---------------------------------------------------------------------------------------------
// Output modes, exact text

/// Three files with mtimes a (oldest) < b < c.
fn small() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "a.txt", "foo\nbar\nfoo bar\n");
    write(r, "b/b.txt", "nothing\nfoo\n");
    write(r, "c.txt", "x\ny\nfoo\nz\nw\nv\nfoo\n");
    set_mtime(&r.join("a.txt"), 1_000);
    set_mtime(&r.join("b/b.txt"), 2_000);
    set_mtime(&r.join("c.txt"), 3_000);
    d
}

#[tokio::test]
async fn files_mode_lists_newest_first_with_header() {
    let t = small();
    let c = ctx(t.path());
    let out = call(&GrepTool, &c, json!({"pattern": "foo"})).await;
    assert_eq!(out.text(), "Found 3 files\nc.txt\nb/b.txt\na.txt");
    let s = out.structured.unwrap();
    assert_eq!(s["mode"], "files_with_matches");
    assert_eq!(s["numFiles"], 3);
    let one = ok_text(&GrepTool, &c, json!({"pattern": "nothing"})).await;
    assert_eq!(one, "Found 1 file\nb/b.txt");
    // Equal mtimes: by path.
    set_mtime(&t.path().join("a.txt"), 3_000);
    let tie = ok_text(&GrepTool, &c, json!({"pattern": "foo"})).await;
    assert_eq!(tie, "Found 3 files\na.txt\nc.txt\nb/b.txt");
}

#[tokio::test]
async fn content_mode_formats_like_rg_in_path_order() {
    let t = small();
    let c = ctx(t.path());
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "content"}),
    )
    .await;
    assert_eq!(
        got,
        "a.txt:1:foo\na.txt:3:foo bar\nb/b.txt:2:foo\nc.txt:3:foo\nc.txt:7:foo"
    );
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "content", "-A": 1, "-n": false, "path": "c.txt"}),
    )
    .await;
    assert_eq!(got, "c.txt:foo\nc.txt-z\n--\nc.txt:foo");
    // -A/-B override their side of -C (ripgrep 14; rg 13 dropped -C entirely).
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "content", "-C": 1, "-A": 0, "path": "c.txt"}),
    )
    .await;
    assert_eq!(got, "c.txt-2-y\nc.txt:3:foo\n--\nc.txt-6-v\nc.txt:7:foo");
    // Outside the cwd, paths are absolute.
    let elsewhere = tempfile::tempdir().unwrap();
    let root = t.path().to_string_lossy().into_owned();
    let got = ok_text(
        &GrepTool,
        &ctx(elsewhere.path()),
        json!({"pattern": "nothing", "output_mode": "content", "path": root}),
    )
    .await;
    assert_eq!(got, format!("{root}/b/b.txt:1:nothing"));
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "^foo$", "output_mode": "content", "-B": 1}),
    )
    .await;
    assert_eq!(
        got,
        "a.txt:1:foo\n--\nb/b.txt-1-nothing\nb/b.txt:2:foo\n--\nc.txt-2-y\nc.txt:3:foo\n--\nc.txt-6-v\nc.txt:7:foo"
    );
}

#[tokio::test]
async fn count_mode_has_exact_totals() {
    let t = small();
    let c = ctx(t.path());
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "count"}),
    )
    .await;
    assert_eq!(
        got,
        "a.txt:2\nb/b.txt:1\nc.txt:2\n\nFound 5 total occurrences across 3 files."
    );
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "count", "head_limit": 1, "offset": 1}),
    )
    .await;
    assert_eq!(
        got,
        "b/b.txt:1\n\nFound 5 total occurrences across 3 files.\n\n[Showing results with pagination = limit: 1, offset: 1]"
    );
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "nothing", "output_mode": "count"}),
    )
    .await;
    assert_eq!(got, "b/b.txt:1\n\nFound 1 total occurrence across 1 file.");
}

#[tokio::test]
async fn empty_results() {
    let t = small();
    let c = ctx(t.path());
    for (mode, want) in [
        ("files_with_matches", "No files found"),
        ("content", "No matches found"),
        ("count", "No matches found"),
    ] {
        let got = ok_text(
            &GrepTool,
            &c,
            json!({"pattern": "zzz", "output_mode": mode}),
        )
        .await;
        assert_eq!(got, want);
    }
    let got = ok_text(&GlobTool, &c, json!({"pattern": "*.nope"})).await;
    assert_eq!(got, "No files found");
}

#[tokio::test]
async fn head_limit_and_offset_page_through_results() {
    let t = small();
    let c = ctx(t.path());
    let mut pages = Vec::new();
    for offset in [0, 2, 4] {
        let got = ok_text(
            &GrepTool,
            &c,
            json!({"pattern": "foo", "output_mode": "content", "head_limit": 2, "offset": offset}),
        )
        .await;
        pages.push(got);
    }
    assert_eq!(
        pages[0],
        "a.txt:1:foo\na.txt:3:foo bar\n\n[Showing results with pagination = limit: 2]"
    );
    assert_eq!(
        pages[1],
        "b/b.txt:2:foo\nc.txt:3:foo\n\n[Showing results with pagination = limit: 2, offset: 2]"
    );
    assert_eq!(
        pages[2],
        "c.txt:7:foo\n\n[Showing results with pagination = offset: 4]"
    );
    let past = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "content", "offset": 9}),
    )
    .await;
    assert_eq!(past, "No matches found at offset 9 (5 lines in total)");

    let got = ok_text(&GrepTool, &c, json!({"pattern": "foo", "head_limit": 1})).await;
    assert_eq!(
        got,
        "Found 1 file\nc.txt\n\n[Showing results with pagination = limit: 1]"
    );
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "head_limit": 1, "offset": 2}),
    )
    .await;
    assert_eq!(
        got,
        "Found 1 file\na.txt\n\n[Showing results with pagination = offset: 2]"
    );
    // 0 = unlimited; the default is 250.
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "foo", "output_mode": "content", "head_limit": 0}),
    )
    .await;
    assert_eq!(got.lines().count(), 5);
}

#[tokio::test]
async fn default_head_limit_is_250_lines() {
    let d = tempfile::tempdir().unwrap();
    let body: String = (0..300).map(|i| format!("hit {i}\n")).collect();
    write(d.path(), "many.txt", body);
    let c = ctx(d.path());
    let got = ok_text(
        &GrepTool,
        &c,
        json!({"pattern": "hit", "output_mode": "content"}),
    )
    .await;
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 252, "250 results, a blank line, the note");
    assert_eq!(lines[249], "many.txt:250:hit 249");
    assert_eq!(lines[251], "[Showing results with pagination = limit: 250]");
}

#[tokio::test]
async fn paging_many_files_with_bounded_collectors_is_consistent() {
    // More files than the page, searched in parallel: every page must be the matching slice
    // of the full, unlimited result.
    let d = tempfile::tempdir().unwrap();
    for i in 0..120 {
        let body: String = (0..(i % 4 + 1)).map(|j| format!("m {j}\n")).collect();
        write(d.path(), &format!("d{}/f{i:03}.txt", i % 7), body);
        set_mtime(
            &d.path().join(format!("d{}/f{i:03}.txt", i % 7)),
            5_000 + (i * 37 % 120) as u64,
        );
    }
    let c = ctx(d.path());
    for mode in ["content", "count", "files_with_matches"] {
        let full = ok_text(
            &GrepTool,
            &c,
            json!({"pattern": "m", "output_mode": mode, "head_limit": 0}),
        )
        .await;
        let full: Vec<String> = match mode {
            "content" => full.lines().map(str::to_string).collect(),
            "count" => full
                .split_once("\n\n")
                .unwrap()
                .0
                .lines()
                .map(str::to_string)
                .collect(),
            _ => full.lines().skip(1).map(str::to_string).collect(),
        };
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let got = ok_text(
                &GrepTool,
                &c,
                json!({"pattern": "m", "output_mode": mode, "head_limit": 17, "offset": offset}),
            )
            .await;
            if got.starts_with("No ") {
                break;
            }
            let body = got.split("\n\n[Showing").next().unwrap();
            let lines: Vec<String> = match mode {
                "content" => body.lines().map(str::to_string).collect(),
                "count" => body
                    .split_once("\n\n")
                    .unwrap()
                    .0
                    .lines()
                    .map(str::to_string)
                    .collect(),
                _ => body.lines().skip(1).map(str::to_string).collect(),
            };
            assert!(lines.len() <= 17);
            paged.extend(lines);
            offset += 17;
        }
        assert_eq!(paged, full, "{mode}");
    }
}

// ---------------------------------------------------------------------------------------------
// Glob specifics

#[tokio::test]
async fn glob_sorts_newest_first_and_truncates_at_100() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..150u64 {
        let name = format!("f{i:03}.txt");
        write(d.path(), &name, "x");
        // f149 is the oldest, f000 the newest; f000 and f001 tie.
        let age = if i == 0 { 1 } else { i };
        set_mtime(&d.path().join(&name), 10_000 - age);
    }
    let c = ctx(d.path());
    let out = call(&GlobTool, &c, json!({"pattern": "*.txt"})).await;
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), MAX_RESULTS + 1);
    assert_eq!(lines[0], "f000.txt");
    assert_eq!(lines[1], "f001.txt");
    assert_eq!(lines[2], "f002.txt");
    assert_eq!(lines[99], "f099.txt");
    assert_eq!(lines[100], TRUNCATED_NOTICE);
    let s = out.structured.unwrap();
    assert_eq!(s["truncated"], true);
    assert_eq!(s["numFiles"], 100);

    let exact = ok_text(&GlobTool, &c, json!({"pattern": "f14?.txt"})).await;
    assert_eq!(exact.lines().count(), 10);
    assert!(!exact.contains("truncated"));
    assert!(exact.starts_with("f140.txt\nf141.txt"), "{exact}");
}

#[tokio::test]
async fn glob_paths_outside_cwd_are_absolute_and_absolute_patterns_work() {
    let t = small();
    let elsewhere = tempfile::tempdir().unwrap();
    let c = ctx(elsewhere.path());
    let root = t.path().to_string_lossy().into_owned();
    let got = ok_text(&GlobTool, &c, json!({"pattern": "**/*.txt", "path": root})).await;
    assert_eq!(got, format!("{root}/c.txt\n{root}/b/b.txt\n{root}/a.txt"));
    let got = ok_text(&GlobTool, &c, json!({"pattern": format!("{root}/b/*.txt")})).await;
    assert_eq!(got, format!("{root}/b/b.txt"));
    let subject = GlobTool.subject(&json!({"pattern": format!("{root}/b/*.txt")}), &c);
    assert_eq!(subject, Subject::Read(vec![t.path().join("b")]));
}

#[tokio::test]
async fn glob_no_ignore_env_lists_ignored_files() {
    let t = tree();
    let mut c = ctx(t.path());
    let got = ok_text(&GlobTool, &c, json!({"pattern": "**/*.rs"})).await;
    assert!(!got.contains("ignored_dir/x.rs"));
    c.env = Arc::new(vec![(
        "CLAUDE_CODE_GLOB_NO_IGNORE".to_string(),
        "1".to_string(),
    )]);
    let got = ok_text(&GlobTool, &c, json!({"pattern": "**/*.rs"})).await;
    assert!(got.contains("ignored_dir/x.rs"), "{got}");
    assert!(!got.contains(".git/"));
    c.env = Arc::new(vec![(
        "CLAUDE_CODE_GLOB_HIDDEN".to_string(),
        "0".to_string(),
    )]);
    let got = ok_text(&GlobTool, &c, json!({"pattern": "**/*.json"})).await;
    assert_eq!(got, "No files found");
}

// ---------------------------------------------------------------------------------------------
// Errors, subjects, cancellation

#[tokio::test]
async fn invalid_inputs_are_clear_tool_use_errors() {
    let t = small();
    let c = ctx(t.path());
    let cases = [
        (
            &GrepTool as &dyn Tool,
            json!({"pattern": "(unclosed"}),
            "Invalid regex pattern",
        ),
        (&GrepTool, json!({"pattern": "a\\nb"}), "multiline"),
        (
            &GrepTool,
            json!({"pattern": "x", "type": "nosuchlang"}),
            "nosuchlang",
        ),
        (
            &GrepTool,
            json!({"pattern": "x", "glob": "src/{a,b"}),
            "Invalid glob",
        ),
        (
            &GrepTool,
            json!({"pattern": "x", "path": "missing/dir"}),
            "Path does not exist: missing/dir",
        ),
        (
            &GlobTool,
            json!({"pattern": "*", "path": "missing"}),
            "Directory does not exist: missing",
        ),
        (
            &GlobTool,
            json!({"pattern": "*", "path": "a.txt"}),
            "Path is not a directory",
        ),
        (&GlobTool, json!({"pattern": "src/{a,b"}), "Invalid glob"),
        (&GlobTool, json!({"pattern": " "}), "must not be empty"),
    ];
    for (tool, input, want) in cases {
        let out = call(tool, &c, input.clone()).await;
        assert!(out.is_error, "{input}");
        let text = out.text();
        assert!(
            text.starts_with("<tool_use_error>") && text.contains(want),
            "{input}: {text}"
        );
    }
}

#[tokio::test]
async fn subjects_name_the_searched_path() {
    let t = small();
    let c = ctx(t.path());
    assert_eq!(
        GrepTool.subject(&json!({"pattern": "x", "path": "b"}), &c),
        Subject::Read(vec![t.path().join("b")])
    );
    assert_eq!(
        GrepTool.subject(&json!({"pattern": "x"}), &c),
        Subject::Read(vec![t.path().to_path_buf()])
    );
    assert_eq!(
        GlobTool.subject(&json!({"pattern": "*.rs"}), &c),
        Subject::Read(vec![t.path().to_path_buf()])
    );
    assert!(GrepTool.is_read_only() && GlobTool.is_read_only());
}

#[tokio::test]
async fn cancelled_calls_stop_and_say_so() {
    let t = tree();
    let c = ctx(t.path());
    c.cancel.cancel();
    for (tool, input) in [
        (&GrepTool as &dyn Tool, json!({"pattern": "needle"})),
        (
            &GrepTool,
            json!({"pattern": "needle", "output_mode": "content"}),
        ),
        (&GlobTool, json!({"pattern": "**/*"})),
    ] {
        let out = call(tool, &c, input).await;
        assert!(out.is_error);
        assert_eq!(out.text(), ccrs_core::events::INTERRUPTED_TOOL_USE);
    }
}

#[tokio::test]
async fn cancel_stops_a_search_in_progress() {
    // A sparse file of 16 GB named as `path` is searched like rg does (NULs converted), which
    // takes far longer than the test: the cancellation lands mid-search.
    let d = tempfile::tempdir().unwrap();
    File::create(d.path().join("huge.bin"))
        .unwrap()
        .set_len(16 << 30)
        .unwrap();
    let c = ctx(d.path());
    let token = c.cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        token.cancel();
    });
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(4),
        GrepTool.call(
            json!({"pattern": "needle", "path": "huge.bin", "output_mode": "content"}),
            &c,
        ),
    )
    .await
    .expect("Grep kept reading after cancellation");
    assert!(out.is_error);
    assert_eq!(out.text(), ccrs_core::events::INTERRUPTED_TOOL_USE);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    canceller.join().unwrap();
}

#[test]
fn registered_after_bash_and_before_the_file_tools() {
    let names = ccrs_core::tools::ToolRegistry::builtin().names();
    let pos = |n: &str| names.iter().position(|x| x == n);
    let (glob, grep) = (pos("Glob").unwrap(), pos("Grep").unwrap());
    assert_eq!(grep, glob + 1, "{names:?}");
    if let Some(bash) = pos("Bash") {
        assert!(bash < glob, "{names:?}");
    }
    if let Some(read) = pos("Read") {
        assert!(grep < read, "{names:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Read deny rules (user-pains §2: a `Read(.env)` deny must not be bypassed through Grep/Glob)

fn ctx_with_read_deny(cwd: &Path, rules: &[&str]) -> ToolContext {
    use ccrs_core::permissions::{
        PermissionConfig, PermissionEngine, RuleBehavior, RuleSource, SourcedRule,
    };
    let mut c = ToolContext::for_tests(cwd);
    c.permissions = Some(Arc::new(PermissionEngine::new(PermissionConfig {
        rules: rules
            .iter()
            .map(|r| SourcedRule::new(RuleBehavior::Deny, *r, RuleSource::ProjectSettings))
            .collect(),
        cwd: cwd.to_path_buf(),
        home: Some(cwd.to_path_buf()),
        ..Default::default()
    })));
    c
}

#[tokio::test]
async fn read_deny_rules_hide_files_from_grep_and_glob() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("sub/secrets")).unwrap();
    fs::write(root.join(".env"), "API_TOKEN=hunter2\n").unwrap();
    fs::write(root.join("sub/.env"), "API_TOKEN=nested\n").unwrap();
    fs::write(root.join("sub/secrets/key.txt"), "API_TOKEN=deep\n").unwrap();
    fs::write(
        root.join("app.txt"),
        "API_TOKEN is read from the environment\n",
    )
    .unwrap();

    // Without rules every file is found.
    let open = ctx(root);
    let all = ok_text(&GrepTool, &open, json!({"pattern": "API_TOKEN"})).await;
    assert!(all.contains(".env") && all.contains("key.txt"), "{all}");

    let c = ctx_with_read_deny(root, &["Read(.env)", "Read(./sub/secrets/**)"]);
    for mode in ["files_with_matches", "content", "count"] {
        let out = ok_text(
            &GrepTool,
            &c,
            json!({"pattern": "API_TOKEN", "output_mode": mode}),
        )
        .await;
        assert!(!out.contains(".env"), "{mode}: {out}");
        assert!(
            !out.contains("hunter2") && !out.contains("nested"),
            "{mode}: {out}"
        );
        assert!(
            !out.contains("key.txt") && !out.contains("deep"),
            "{mode}: {out}"
        );
        assert!(out.contains("app.txt"), "{mode}: {out}");
    }
    let listed = ok_text(&GlobTool, &c, json!({"pattern": "**/*"})).await;
    assert!(
        !listed.contains(".env") && !listed.contains("key.txt"),
        "{listed}"
    );
    assert!(listed.contains("app.txt"), "{listed}");
}
