//! Finds the next hole before a user does: generated command lines (`grammar`) run in real bash
//! and dash under an execve/open trace (`trace`), exactly as the Bash tool runs them (with
//! ccrs's EXIT trap), and the analysis and the verdict are compared with what really ran:
//!
//! - every program the shell executed must be in ccrs's analysis, unless ccrs said it did not
//!   understand the line;
//! - a program a deny rule names (`rm`) that ran must have been denied (or asked about, when
//!   the line was not understood);
//! - a line ccrs allowed may only have run allowed programs, written no file and read no
//!   denied file or file outside the project.
//!
//! In CI it runs a fixed number of commands from a fixed seed (a few tens of seconds); longer:
//! `PERM_TRACE_COUNT=20000 PERM_TRACE_SECS=1800 PERM_TRACE_SEED=7 cargo test -p ccrs-core
//! --test it perm_trace -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod grammar;
mod trace;

use ccrs_core::permissions::bash::{self, CommandCheck, Kind};
use ccrs_core::permissions::{
    Decision, Dialect, Mode, PermissionConfig, PermissionEngine, RuleBehavior, RuleSource,
    SourcedRule, Subject,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Programs that are real in the sandbox (they only read; wrappers run their command).
const REAL: &[&str] = &[
    "bash", "dash", "env", "timeout", "nice", "nohup", "xargs", "find", "cat", "head", "wc", "ls",
    "grep", "printf", "echo", "true", "false", "touch", "mkdir",
];
/// Programs a line ccrs allows may run.
/// (`touch` and `mkdir` are real: what they write shows in the trace.)
const ALLOWED: &[&str] = &[
    "bash", "dash", "sh", "env", "timeout", "nice", "nohup", "xargs", "find", "cat", "head", "wc",
    "ls", "grep", "printf", "echo", "true", "false", "touch", "mkdir", "git",
];
/// Stubs: they exit 0 and do nothing.
const STUBS: &[&str] = &["rm", "curl", "python3", "git", "nosuchcommand_"];

const RULES: &[(RuleBehavior, &str)] = &[
    (RuleBehavior::Deny, "Bash(rm:*)"),
    (RuleBehavior::Deny, "Read(.env)"),
    (RuleBehavior::Ask, "Bash(curl:*)"),
    (RuleBehavior::Allow, "Bash(echo:*)"),
    (RuleBehavior::Allow, "Bash(printf:*)"),
    (RuleBehavior::Allow, "Bash(true)"),
];

fn which(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// A fresh project for one command: files, a denied `.env`, a symlink leaving the project, a
/// directory outside it, a home, and `bin/` with the real programs and the stubs.
struct Sandbox {
    /// A command may have changed the files since the last reset.
    dirty: std::cell::Cell<bool>,
    _dir: tempfile::TempDir,
    root: PathBuf,
    proj: PathBuf,
    bin: PathBuf,
    home: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        // Deep inside the temporary directory: a generated `cd ..; cd ..` stays in it.
        let root = dir.path().canonicalize().unwrap().join("a/b/c");
        let proj = root.join("proj");
        let bin = root.join("bin");
        let sb = Sandbox {
            dirty: std::cell::Cell::new(true),
            home: root.join("home"),
            _dir: dir,
            root,
            proj,
            bin,
        };
        sb.reset();
        sb
    }

    /// `bin/`: copies (never links: a generated `> bin/rm` must not reach the real program)
    /// of the real programs, and stubs that exit 0.
    fn fill_bin(&self) {
        let _ = std::fs::remove_dir_all(&self.bin);
        std::fs::create_dir_all(&self.bin).unwrap();
        let copy = |from: &Path, name: &str| {
            std::fs::copy(from, self.bin.join(name)).unwrap();
        };
        for name in REAL {
            if let Some(p) = which(name) {
                copy(&p, name);
            }
        }
        if let Some(dash) = which("dash") {
            copy(&dash, "sh");
        }
        let stub = which("true").unwrap();
        for name in STUBS {
            copy(&stub, name);
        }
    }

    /// Puts the project, the outside directory and the home back as they were.
    fn reset(&self) {
        if !self.dirty.replace(false) {
            return;
        }
        let root = &self.root;
        for d in ["proj", "outside", "home", "tmp"] {
            let _ = std::fs::remove_dir_all(root.join(d));
        }
        self.fill_bin();
        for d in [
            "proj/src",
            "proj/docs",
            "proj/sub/deep",
            "outside",
            "home",
            "tmp",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for (f, text) in [
            ("proj/src/main.rs", "fn main() {}\n"),
            ("proj/docs/readme.md", "# x\n"),
            ("proj/.env", "SECRET=1\n"),
            ("proj/sub/.env", "SECRET=2\n"),
            ("proj/x", "x\n"),
            ("outside/secret.txt", "secret\n"),
            ("home/.bashrc", "\n"),
        ] {
            std::fs::write(root.join(f), text).unwrap();
        }
        std::os::unix::fs::symlink(root.join("outside"), self.proj.join("link_out")).unwrap();
    }

    fn engine(&self) -> PermissionEngine {
        PermissionEngine::new(PermissionConfig {
            mode: Mode::Default,
            rules: RULES
                .iter()
                .map(|(b, r)| SourcedRule {
                    behavior: *b,
                    rule: r.to_string(),
                    source: RuleSource::ProjectSettings,
                    file: Some(self.proj.join(".claude/settings.json")),
                })
                .collect(),
            cwd: self.proj.clone(),
            home: Some(self.home.clone()),
            ..Default::default()
        })
    }
}

/// What went wrong with one command.
struct Finding {
    what: String,
    command: String,
    dialect: &'static str,
    index: usize,
}

/// Runs one command in `sb` (put back as it was first) and compares.
fn check_one(
    sb: &Sandbox,
    engine: &PermissionEngine,
    cmd: &str,
    posix: bool,
    index: usize,
) -> Result<Option<Finding>, String> {
    sb.reset();
    let cmd = cmd.replace("{BIN}", &sb.bin.display().to_string());
    let dialect = if posix { Dialect::Posix } else { Dialect::Bash };
    let cwd_file = sb.root.join("tmp/cwd");
    let script = ccrs_core::tools::bash::command::build_script(&cmd, Some(&cwd_file), None);
    let shell = sb.bin.join(if posix { "dash" } else { "bash" });
    let env = vec![
        ("PATH".to_string(), sb.bin.display().to_string()),
        ("HOME".to_string(), sb.home.display().to_string()),
        ("LC_ALL".to_string(), "C".to_string()),
    ];
    let t = trace::run(
        &shell,
        &script,
        &sb.proj,
        &env,
        &sb.root.join("tmp/trace"),
        Duration::from_secs(10),
    );
    let verdict = engine.check(
        "Bash",
        &Subject::Shell {
            command: cmd.clone(),
            cwd: sb.proj.clone(),
            dialect: dialect.clone(),
        },
    );
    if t.opens.iter().any(|o| o.write) {
        sb.dirty.set(true);
    }
    for o in t.opens.iter().filter(|o| o.write && o.path.is_absolute()) {
        // The sandbox holds everything a generated command may change (a path through
        // `/proc/self/cwd` is in the shell's directory, which generated commands never leave).
        assert!(
            o.path.starts_with(sb.root.ancestors().nth(3).unwrap())
                || o.path.starts_with("/dev")
                || through_cwd_link(&o.path),
            "{cmd:?} wrote {} outside the sandbox",
            o.path.display()
        );
    }
    let analysis = bash::analyze_in(&cmd, &sb.proj, Some(&sb.home), &dialect);
    let understood = analysis.as_ref().is_ok_and(|cs| {
        !cs.iter()
            .any(|c| matches!(c.kind, Kind::Dynamic(_) | Kind::Opaque(_)))
    });
    let programs: Vec<String> = analysis
        .as_ref()
        .map(|cs: &Vec<CommandCheck>| cs.iter().flat_map(|c| c.programs.clone()).collect())
        .unwrap_or_default();
    let ran: Vec<&str> = t.execs.iter().map(|e| e.name.as_str()).collect();
    let found = |what: String| {
        Ok(Some(Finding {
            what,
            command: cmd.clone(),
            dialect: if posix { "dash" } else { "bash" },
            index,
        }))
    };
    // 1. Every program that ran is in the analysis (unless ccrs said it did not understand).
    if understood
        && let Some(p) = ran.iter().find(|p| {
            !(programs.iter().any(|q| q == *p)
                || (**p == "sh" && programs.iter().any(|q| q == "dash")))
        })
    {
        return found(format!(
            "{p} ran but the analysis ({programs:?}) missed it; verdict {}",
            verdict.verdict()
        ));
    }
    // 2. A program a deny rule names was denied.
    if ran.contains(&"rm") {
        let ok = verdict.is_deny() || (!understood && verdict.is_ask());
        if !ok {
            return found(format!(
                "rm ran and the verdict was {} ({})",
                verdict.verdict(),
                verdict.why()
            ));
        }
    }
    // 3. What ccrs allowed did only what is allowed.
    if let Decision::Allow { why } = &verdict {
        if let Some(p) = ran.iter().find(|p| !ALLOWED.contains(p)) {
            return found(format!("allowed ({why}) but {p} ran"));
        }
        for o in &t.opens {
            if o.write && (o.path.is_relative() || through_cwd_link(&o.path)) {
                return found(format!(
                    "allowed ({why}) but {} was written",
                    o.path.display()
                ));
            }
            if !o.path.starts_with(&sb.root) || o.path.starts_with(sb.root.join("tmp")) {
                continue;
            }
            if o.write {
                return found(format!(
                    "allowed ({why}) but {} was written",
                    o.path.display()
                ));
            }
            if o.path.file_name().is_some_and(|n| n == ".env") {
                return found(format!(
                    "allowed ({why}) but the denied {} was read",
                    o.path.display()
                ));
            }
            if !o.path.starts_with(&sb.proj) && !o.path.starts_with(&sb.bin) {
                return found(format!(
                    "allowed ({why}) but {}, outside the project, was read",
                    o.path.display()
                ));
            }
        }
    }
    Ok(None)
}

/// A number from the environment (decimal or `0x` hex); a value that is not one fails the
/// test rather than quietly running the default.
/// `/proc/self/cwd/…`, `/proc/thread-self/cwd/…`, `/proc/<pid>/cwd/…`: strace shows such a
/// path as the program wrote it, not where it leads (the process's directory).
fn through_cwd_link(p: &Path) -> bool {
    let parts: Vec<_> = p.components().take(4).collect();
    matches!(parts.as_slice(), [std::path::Component::RootDir, a, b, c]
        if a.as_os_str() == "proc"
            && (b.as_os_str() == "self"
                || b.as_os_str() == "thread-self"
                || b.as_os_str().to_string_lossy().bytes().all(|x| x.is_ascii_digit()))
            && c.as_os_str() == "cwd")
}

#[test]
fn paths_through_the_cwd_link_are_recognised() {
    assert!(through_cwd_link(Path::new("/proc/self/cwd/.env")));
    assert!(through_cwd_link(Path::new("/proc/1234/cwd/x")));
    assert!(through_cwd_link(Path::new("/proc/thread-self/cwd")));
    assert!(!through_cwd_link(Path::new("/proc/self/root/x")));
    assert!(!through_cwd_link(Path::new("/tmp/proc/self/cwd/x")));
}

fn env_num(name: &str, default: u64) -> u64 {
    let Ok(v) = std::env::var(name) else {
        return default;
    };
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => v.replace('_', "").parse(),
    };
    parsed.unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}"))
}

fn seed_of(seed: u64, i: usize) -> u64 {
    let mut r = grammar::Rng::new(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    r.next()
}

/// The generated command number `i` (a quarter of them for dash).
pub fn generated(seed: u64, i: usize) -> (String, bool) {
    let posix = i % 4 == 3;
    let mut g = grammar::Gen::new(seed_of(seed, i), posix);
    (g.command(), posix)
}

#[test]
fn generated_commands_agree_with_what_bash_and_dash_run() {
    if let Err(why) = trace::available() {
        assert!(
            std::env::var_os("CCRS_REQUIRE_STRACE").is_none(),
            "CCRS_REQUIRE_STRACE is set but {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    if which("dash").is_none() || which("bash").is_none() {
        assert!(
            std::env::var_os("CCRS_REQUIRE_STRACE").is_none(),
            "CCRS_REQUIRE_STRACE is set but bash or dash is missing"
        );
        eprintln!("skipped: bash and dash are both needed");
        return;
    }
    let seed = env_num("PERM_TRACE_SEED", 0x00cc_5014);
    let count = env_num("PERM_TRACE_COUNT", 800) as usize;
    let budget = Duration::from_secs(env_num("PERM_TRACE_SECS", 40));
    let started = Instant::now();
    // The harness sees what the shells run (else this test could not fail).
    let sb = Sandbox::new();
    let t = trace::run(
        &sb.bin.join("bash"),
        "echo $(rm x) < .env",
        &sb.proj,
        &[("PATH".into(), sb.bin.display().to_string())],
        &sb.root.join("tmp/probe"),
        Duration::from_secs(10),
    );
    assert!(
        t.execs.iter().any(|e| e.name == "rm") && t.opens.iter().any(|o| o.path.ends_with(".env")),
        "the trace does not see what bash runs: {t:?}"
    );
    let next = AtomicUsize::new(0);
    let ran = AtomicUsize::new(0);
    let findings: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let sb = Sandbox::new();
                let engine = sb.engine();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count || started.elapsed() > budget {
                        break;
                    }
                    let (cmd, posix) = generated(seed, i);
                    match check_one(&sb, &engine, &cmd, posix, i) {
                        Ok(Some(f)) => findings.lock().unwrap().push(f),
                        Ok(None) => {}
                        Err(e) => panic!("harness failure on {cmd:?}: {e}"),
                    }
                    ran.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let ran = ran.into_inner();
    let mut findings = findings.into_inner().unwrap();
    findings.sort_by_key(|f| f.index);
    eprintln!(
        "perm_trace: {ran} generated commands (seed {seed:#x}) in {:.1}s, {} disagreements",
        started.elapsed().as_secs_f64(),
        findings.len()
    );
    let report: Vec<String> = findings
        .iter()
        .take(25)
        .map(|f| {
            format!(
                "#{} ({}): {}\n    {:?}",
                f.index, f.dialect, f.what, f.command
            )
        })
        .collect();
    assert!(
        findings.is_empty(),
        "{} of {ran} generated commands disagree with the trace:\n{}",
        findings.len(),
        report.join("\n")
    );
    assert!(
        ran >= 50 || count < 50,
        "only {ran} commands ran in the time budget"
    );
}

#[test]
#[ignore]
fn print_samples() {
    let seed = env_num("PERM_TRACE_SEED", 0x00cc_5014);
    for i in 0..env_num("PERM_TRACE_COUNT", 40) as usize {
        let (c, posix) = generated(seed, i);
        let sb = Sandbox::new();
        let e = sb.engine();
        let d = e.check(
            "Bash",
            &Subject::Shell {
                command: c.clone(),
                cwd: sb.proj.clone(),
                dialect: if posix { Dialect::Posix } else { Dialect::Bash },
            },
        );
        println!(
            "--- #{i} {} {}\n{c}\n    => {}",
            if posix { "dash" } else { "bash" },
            d.verdict(),
            d.why().to_string().replace('\n', "\n       ")
        );
    }
}

#[test]
#[ignore]
fn time_parts() {
    let sb = Sandbox::new();
    let t0 = Instant::now();
    for _ in 0..50 {
        sb.dirty.set(true);
        sb.reset();
    }
    let t1 = Instant::now();
    for _ in 0..50 {
        let _ = sb.engine();
    }
    let t2 = Instant::now();
    let e = sb.engine();
    for i in 0..50 {
        let (c, _) = generated(1, i);
        let _ = e.check("Bash", &Subject::bash(c, sb.proj.clone()));
    }
    let t3 = Instant::now();
    let env = vec![
        ("PATH".to_string(), sb.bin.display().to_string()),
        ("LC_ALL".to_string(), "C".to_string()),
    ];
    for _ in 0..50 {
        let _ = trace::run(
            &sb.bin.join("bash"),
            "echo hi",
            &sb.proj,
            &env,
            &sb.root.join("tmp/t"),
            Duration::from_secs(5),
        );
    }
    let t4 = Instant::now();
    println!(
        "sandbox {:?} engine {:?} check {:?} trace {:?}",
        (t1 - t0) / 50,
        (t2 - t1) / 50,
        (t3 - t2) / 50,
        (t4 - t3) / 50
    );
}

#[test]
#[ignore]
fn debug_one() {
    let cmd = std::env::var("PERM_TRACE_CMD").unwrap_or("echo ${x:-{}; rm -rf x; echo }".into());
    let sb = Sandbox::new();
    let cwd_file = sb.root.join("tmp/cwd");
    let script = ccrs_core::tools::bash::command::build_script(&cmd, Some(&cwd_file), None);
    let env = vec![
        ("PATH".to_string(), sb.bin.display().to_string()),
        ("HOME".to_string(), sb.home.display().to_string()),
        ("LC_ALL".to_string(), "C".to_string()),
    ];
    let t = trace::run(
        &sb.bin.join("bash"),
        &script,
        &sb.proj,
        &env,
        &sb.root.join("tmp/trace"),
        Duration::from_secs(10),
    );
    println!(
        "{}",
        std::fs::read_to_string(sb.root.join("tmp/trace"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("execve"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{t:?}");
    println!(
        "{:?}",
        check_one(&sb, &sb.engine(), &cmd, false, 0)
            .unwrap()
            .map(|f| f.what)
    );
}
