use super::*;
use std::fs;

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    cwd: PathBuf,
}

fn write(p: &Path, text: &str) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        let cwd = root.join("repo/a/b");
        fs::create_dir_all(&cwd).unwrap();
        fs::create_dir_all(home.join(".claude")).unwrap();
        World {
            _dir: dir,
            root,
            home,
            cwd,
        }
    }

    fn discovery(&self) -> Discovery {
        Discovery {
            cwd: self.cwd.clone(),
            claude_dir: self.home.join(".claude"),
            home: Some(self.home.clone()),
            managed_dir: self.root.join("managed"),
            user: true,
            project: true,
            local: true,
            today: "2026-12-07".into(),
            ..Default::default()
        }
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap().display().to_string()
    }

    fn names(&self, m: &Memory) -> Vec<String> {
        m.files().iter().map(|f| self.rel(&f.path)).collect()
    }
}

#[test]
fn order_follows_claude_code() {
    let w = World::new();
    write(&w.root.join("managed/CLAUDE.md"), "managed");
    write(&w.home.join(".claude/CLAUDE.md"), "user @~/extra.md");
    write(&w.home.join("extra.md"), "extra");
    write(&w.home.join(".claude/rules/z.md"), "user rule z");
    write(&w.home.join(".claude/rules/sub/a.md"), "user rule sub/a");
    write(&w.root.join("repo/CLAUDE.md"), "repo");
    write(&w.root.join("repo/a/CLAUDE.local.md"), "a local");
    write(&w.root.join("repo/a/.claude/CLAUDE.md"), "a dot");
    write(&w.root.join("repo/a/CLAUDE.md"), "a");
    write(&w.cwd.join("CLAUDE.md"), "b @one.md");
    write(&w.cwd.join("one.md"), "one");
    write(&w.cwd.join(".claude/rules/r.md"), "b rule");
    write(&w.cwd.join("CLAUDE.local.md"), "b local");
    let m = Memory::discover(w.discovery());
    assert_eq!(
        w.names(&m),
        [
            "managed/CLAUDE.md",
            "home/.claude/CLAUDE.md",
            "home/extra.md",
            "home/.claude/rules/sub/a.md",
            "home/.claude/rules/z.md",
            "repo/CLAUDE.md",
            "repo/a/CLAUDE.md",
            "repo/a/.claude/CLAUDE.md",
            "repo/a/CLAUDE.local.md",
            "repo/a/b/CLAUDE.md",
            "repo/a/b/one.md",
            "repo/a/b/.claude/rules/r.md",
            "repo/a/b/CLAUDE.local.md",
        ]
    );
    let kinds: Vec<&str> = m.files().iter().map(|f| f.kind.label()).collect();
    assert_eq!(
        kinds,
        [
            "managed", "user", "user", "user", "user", "project", "project", "project", "local",
            "project", "project", "project", "local"
        ]
    );
    assert_eq!(
        m.files()[2].parent.as_deref(),
        Some(w.home.join(".claude/CLAUDE.md").as_path())
    );
    let r = m.reminder();
    assert!(r.starts_with("<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# claudeMd\nCodebase and user instructions"));
    assert!(r.contains(&format!(
        "Contents of {} (organization-managed policy instructions):\n\nmanaged\n\nContents of",
        w.root.join("managed/CLAUDE.md").display()
    )));
    assert!(r.ends_with("b local\n# currentDate\nToday's date is 2026-12-07.\n\n      IMPORTANT: this context may or may not be relevant to your tasks. You should not respond to this context unless it is highly relevant to your task.\n</system-reminder>\n\n"));
}

#[test]
fn imports_stop_at_depth_and_cycles() {
    let w = World::new();
    write(&w.cwd.join("CLAUDE.md"), "@d/1.md\n@d/x.md");
    for i in 1..=6 {
        write(
            &w.cwd.join(format!("d/{i}.md")),
            &format!("level {i} @{}.md", i + 1),
        );
    }
    write(&w.cwd.join("d/x.md"), "x @y.md @x.md");
    write(&w.cwd.join("d/y.md"), "y @x.md @../CLAUDE.md");
    let m = Memory::discover(w.discovery());
    assert_eq!(
        w.names(&m),
        [
            "repo/a/b/CLAUDE.md",
            "repo/a/b/d/1.md",
            "repo/a/b/d/2.md",
            "repo/a/b/d/3.md",
            "repo/a/b/d/4.md",
            "repo/a/b/d/x.md",
            "repo/a/b/d/y.md",
        ]
    );
    assert!(
        m.problems()
            .iter()
            .any(|p| p.path.ends_with("d/5.md") && p.reason.contains("at most 4 levels")),
        "{:?}",
        m.problems()
    );
}

#[test]
fn project_files_import_only_inside_the_cwd() {
    let w = World::new();
    write(&w.home.join("secret.md"), "SECRET");
    write(&w.root.join("repo/up.md"), "UP");
    write(&w.root.join("repo/CLAUDE.md"), "root @up.md");
    write(
        &w.cwd.join("CLAUDE.md"),
        "@~/secret.md @../../up.md @inside.md",
    );
    write(&w.cwd.join("inside.md"), "IN");
    let m = Memory::discover(w.discovery());
    assert_eq!(
        w.names(&m),
        ["repo/CLAUDE.md", "repo/a/b/CLAUDE.md", "repo/a/b/inside.md"]
    );
    let outside: Vec<String> = m
        .problems()
        .iter()
        .filter(|p| p.reason.contains("outside the project"))
        .map(|p| w.rel(&p.path))
        .collect();
    assert_eq!(outside, ["repo/up.md", "home/secret.md"]);
    // Approved in Claude Code: followed.
    let mut d = w.discovery();
    d.include_external = true;
    let m = Memory::discover(d);
    assert_eq!(m.files().len(), 5);
}

#[test]
fn odd_files_and_sources() {
    let w = World::new();
    write(
        &w.cwd.join("CLAUDE.md"),
        "---\ntitle: x\n---\nbody @pic.png @gone.md\n<!-- hidden -->\n",
    );
    write(&w.cwd.join("pic.png"), "PNG");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        w.cwd.join("CLAUDE.local.md"),
        rustix::fs::Mode::from(0o600),
    )
    .unwrap();
    write(&w.root.join("repo/CLAUDE.md"), "   \n\n");
    let m = Memory::discover(w.discovery());
    assert_eq!(w.names(&m), ["repo/a/b/CLAUDE.md"]);
    assert_eq!(m.files()[0].content, "body @pic.png @gone.md\n");
    let reasons: Vec<(String, String, bool)> = m
        .problems()
        .iter()
        .map(|p| (w.rel(&p.path), p.reason.clone(), p.quiet))
        .collect();
    assert!(reasons.contains(&(
        "repo/a/b/pic.png".into(),
        "not imported: not a text file".into(),
        true
    )));
    assert!(reasons.contains(&(
        "repo/a/b/gone.md".into(),
        "not imported: no such file".into(),
        true
    )));
    assert!(reasons.contains(&(
        "repo/a/b/CLAUDE.local.md".into(),
        "not loaded: not a regular file".into(),
        false
    )));
    // Setting sources: no local, no project.
    let mut d = w.discovery();
    d.project = false;
    assert!(Memory::discover(d).files().is_empty());
    let mut d = w.discovery();
    d.disabled = true;
    let m = Memory::discover(d);
    assert!(m.files().is_empty());
    assert!(!m.reminder().contains("claudeMd"));
    assert!(m.reminder().contains("# currentDate"));
}

#[test]
fn nested_files_and_conditional_rules_come_with_reads() {
    let w = World::new();
    write(&w.cwd.join("CLAUDE.md"), "top");
    write(&w.cwd.join("src/CLAUDE.md"), "src memory");
    write(&w.cwd.join("src/deep/CLAUDE.local.md"), "deep local");
    write(
        &w.cwd.join(".claude/rules/rust.md"),
        "---\npaths: \"**/*.rs\"\n---\nRust rule",
    );
    write(
        &w.cwd.join(".claude/rules/all.md"),
        "---\npaths: \"**\"\n---\nEverywhere",
    );
    write(
        &w.home.join(".claude/rules/docs.md"),
        "---\npaths:\n  - docs/**\n---\nDocs rule",
    );
    let mut m = Memory::discover(w.discovery());
    assert_eq!(
        w.names(&m),
        ["repo/a/b/CLAUDE.md", "repo/a/b/.claude/rules/all.md"]
    );
    let got = m.on_file_read(&w.cwd.join("src/deep/main.rs"));
    let names: Vec<String> = got.iter().map(|f| w.rel(&f.path)).collect();
    assert_eq!(
        names,
        [
            "repo/a/b/src/CLAUDE.md",
            "repo/a/b/src/deep/CLAUDE.local.md",
            "repo/a/b/.claude/rules/rust.md"
        ]
    );
    assert_eq!(
        render_later(&got[0]),
        format!(
            "<system-reminder>\nContents of {}:\n\nsrc memory\n</system-reminder>",
            w.cwd.join("src/CLAUDE.md").display()
        )
    );
    // Once only; outside the cwd nothing nested.
    assert!(m.on_file_read(&w.cwd.join("src/other.rs")).is_empty());
    assert!(m.on_file_read(&w.root.join("elsewhere/x.rs")).is_empty());
    let docs = m.on_file_read(&w.cwd.join("docs/guide.md"));
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].content, "Docs rule");
    assert_eq!(m.later_files().len(), 4);
    // A reload starts over.
    m.reload();
    assert!(m.later_files().is_empty());
    assert_eq!(m.on_file_read(&w.cwd.join("src/x.txt")).len(), 1);
}

#[test]
fn symlink_loops_and_large_files_do_not_hang() {
    let w = World::new();
    fs::create_dir_all(w.cwd.join(".claude/rules")).unwrap();
    std::os::unix::fs::symlink(
        w.cwd.join(".claude/rules"),
        w.cwd.join(".claude/rules/loop"),
    )
    .unwrap();
    write(&w.cwd.join(".claude/rules/r.md"), "rule");
    std::os::unix::fs::symlink(w.cwd.join("CLAUDE.md"), w.cwd.join("alias.md")).unwrap();
    write(&w.cwd.join("CLAUDE.md"), "main @alias.md @big.md");
    let big = fs::File::create(w.cwd.join("big.md")).unwrap();
    big.set_len(read::MAX_BYTES + 10).unwrap();
    write(&w.cwd.join("CLAUDE.local.md"), &"x".repeat(LARGE_CHARS + 1));
    let m = Memory::discover(w.discovery());
    assert_eq!(
        w.names(&m),
        [
            "repo/a/b/CLAUDE.md",
            "repo/a/b/.claude/rules/r.md",
            "repo/a/b/CLAUDE.local.md"
        ]
    );
    let loud: Vec<&Problem> = m.problems().iter().filter(|p| !p.quiet).collect();
    assert_eq!(loud.len(), 2, "{loud:?}");
    assert!(loud[0].reason.contains("over the 4 MiB limit"));
    assert!(loud[1].reason.starts_with("large: 40001 characters"));
}
