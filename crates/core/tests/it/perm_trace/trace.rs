//! Runs a shell command under `strace -f` and reads back what really happened: every program
//! executed (execve) and every file opened (openat, with the path the kernel resolved).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A program that was executed.
#[derive(Clone, Debug)]
pub struct Exec {
    /// Its name as the program saw it (argv[0], last path component).
    pub name: String,
}

/// A file that was opened.
#[derive(Clone, Debug)]
pub struct Open {
    /// The path the kernel resolved (`strace -y`).
    pub path: PathBuf,
    pub write: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub execs: Vec<Exec>,
    pub opens: Vec<Open>,
}

/// strace's path.
fn strace() -> PathBuf {
    ["/usr/bin/strace", "/bin/strace", "/usr/local/bin/strace"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("strace"))
}

/// Is strace usable here (installed, and ptrace allowed)?
pub fn available() -> Result<(), String> {
    let out = Command::new(strace())
        .args(["-f", "-qq", "-e", "trace=execve", "-o", "/dev/null", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("strace cannot be run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "strace does not work here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs `shell -c script` in `cwd` with exactly `env`, traced, killing it after `timeout`.
pub fn run(
    shell: &Path,
    script: &str,
    cwd: &Path,
    env: &[(String, String)],
    log: &Path,
    timeout: Duration,
) -> Trace {
    let _ = std::fs::remove_file(log);
    let mut cmd = Command::new(strace());
    cmd.args(["-f", "-qq", "-y", "--seccomp-bpf", "-s", "4096"])
        .args(["-e", "trace=execve,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,link,linkat,symlink,symlinkat,truncate,utimensat", "-o"])
        .arg(log)
        .arg("--")
        .arg(shell)
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its own process group, so a timeout kills whatever it left running.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("strace cannot be started: {e}"),
    };
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2))
            }
            _ => {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                break;
            }
        }
    }
    parse(&std::fs::read_to_string(log).unwrap_or_default())
}

/// Reads strace's output (`-f -y`, possibly with `<unfinished ...>` / `<... resumed>` pairs).
pub fn parse(text: &str) -> Trace {
    let mut t = Trace::default();
    let mut pending: HashMap<String, String> = HashMap::new();
    let mut first_exec = true;
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let full = if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid.to_string(), head.to_string());
            continue;
        } else if let Some(tail) = rest.strip_prefix("<... ") {
            let Some(head) = pending.remove(pid) else {
                continue;
            };
            let tail = tail.split_once(" resumed>").map(|(_, t)| t).unwrap_or("");
            format!("{head}{tail}")
        } else {
            rest.to_string()
        };
        let Some((call, result)) = full.rsplit_once(") = ") else {
            continue;
        };
        if result.starts_with('-') {
            continue;
        }
        if let Some(args) = call.strip_prefix("execve(") {
            let strings = c_strings(args);
            if first_exec {
                // The traced shell itself.
                first_exec = false;
                continue;
            }
            if let Some(path) = strings.first() {
                let name = strings
                    .get(1)
                    .map(String::as_str)
                    .unwrap_or(path)
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string();
                t.execs.push(Exec { name });
            }
        } else if let Some(path) = [
            "mkdir",
            "rename",
            "unlink",
            "link",
            "symlink",
            "truncate",
            "utimensat",
        ]
        .iter()
        .find(|n| {
            call.starts_with(&format!("{n}("))
                || call.starts_with(&format!("{n}at("))
                || call.starts_with(&format!("{n}at2("))
        })
        .and_then(|_| written_path(call))
        {
            t.opens.push(Open { path, write: true });
        } else if call.starts_with("openat(")
            || call.starts_with("open(")
            || call.starts_with("creat(")
        {
            // `= 3</resolved/path>`
            let Some(resolved) = result
                .split_once('<')
                .and_then(|(_, r)| r.rsplit_once('>'))
                .map(|(p, _)| p)
            else {
                continue;
            };
            let write = call.starts_with("creat(")
                || ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"]
                    .iter()
                    .any(|f| call.contains(f));
            t.opens.push(Open {
                path: PathBuf::from(unescape(resolved)),
                write,
            });
        }
    }
    t
}

/// The path a file-changing call (mkdir, rename, unlink, …) changes: its last path argument,
/// made absolute with the directory strace shows for its descriptor (`AT_FDCWD</dir>`).
fn written_path(call: &str) -> Option<PathBuf> {
    let args = call.split_once('(')?.1;
    let strings = c_strings(args);
    let rel = PathBuf::from(strings.last()?);
    if rel.is_absolute() {
        return Some(rel);
    }
    // The last `<dir>` before the last string; without one the path stays relative.
    let before = &args[..args.rfind('"')?];
    match before.rsplit_once('<').and_then(|(_, d)| d.split_once('>')) {
        Some((dir, _)) => Some(Path::new(dir).join(rel)),
        None => Some(rel),
    }
}

/// The double-quoted strings of a syscall's arguments, unescaped.
fn c_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '"' {
            let mut cur = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    cur.push('\\');
                    cur.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                cur.push(chars[i]);
                i += 1;
            }
            out.push(unescape(&cur));
        }
        i += 1;
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let c = b[i + 1];
            let simple = match c {
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'v' => Some(0x0b),
                b'f' => Some(0x0c),
                b'\\' => Some(b'\\'),
                b'"' => Some(b'"'),
                _ => None,
            };
            if let Some(x) = simple {
                out.push(x);
                i += 2;
                continue;
            }
            if c == b'x'
                && i + 4 <= b.len()
                && let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16)
            {
                out.push(v);
                i += 4;
                continue;
            }
            if c.is_ascii_digit() {
                let mut j = i + 1;
                let mut v: u32 = 0;
                while j < b.len() && j < i + 4 && b[j].is_ascii_digit() {
                    v = v * 8 + u32::from(b[j] - b'0');
                    j += 1;
                }
                out.push(v as u8);
                i = j;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn parses_strace_lines() {
    let text = r#"100 execve("/bin/bash", ["bash", "-c", "x"], 0x7ffd /* 3 vars */) = 0
101 execve("/s/bin/rm", ["rm", "-rf", "a\nb"], 0x55 /* 3 vars */ <unfinished ...>
100 openat(AT_FDCWD</p>, ".env", O_RDONLY) = 3</p/.env>
101 <... execve resumed>) = 0
102 execve("/s/bin/ls", ["ls"], 0x55 /* 3 vars */) = -1 ENOENT (No such file or directory)
100 openat(AT_FDCWD</p>, "out", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</p/out>
"#;
    let t = parse(text);
    assert_eq!(t.execs.len(), 1);
    assert_eq!(t.execs[0].name, "rm");
    assert_eq!(t.opens.len(), 2);
    assert_eq!(t.opens[0].path, PathBuf::from("/p/.env"));
    assert!(!t.opens[0].write);
    assert!(t.opens[1].write);
}
