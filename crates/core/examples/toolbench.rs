//! Benchmark helper for the search tools: calls Glob and Grep directly (no agent, no API) and
//! prints elapsed time and result counts; also generates the benchmark tree.
//!
//! ```text
//! toolbench grep <dir> <pattern> [--mode files|content|count] [--runs N] [-i] [--glob G]
//!                [--type T] [--head-limit N] [--print]
//! toolbench glob <dir> <pattern> [--runs N] [--print]
//! toolbench gen <dir> [--files N]
//! ```
//!
//! The search runs with `<dir>` as the working directory, so paths print relative to it, as
//! `rg` run inside `<dir>` prints them. `head_limit` defaults to 0 (everything), so the work
//! matches an `rg` run that prints every result.

use ccrs_core::tools::glob::GlobTool;
use ccrs_core::tools::grep::GrepTool;
use ccrs_core::tools::{Tool, ToolContext, ToolOutput};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  toolbench grep <dir> <pattern> [--mode files|content|count] [--runs N] [-i] \
         [--glob G] [--type T] [--head-limit N] [--print]\n  toolbench glob <dir> <pattern> \
         [--runs N] [--print]\n  toolbench gen <dir> [--files N]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first().map(String::as_str) else {
        return usage();
    };
    match cmd {
        "gen" => {
            let Some(dir) = args.get(1) else {
                return usage();
            };
            let files = flag(&args, "--files")
                .and_then(|v| v.parse().ok())
                .unwrap_or(50_000);
            match generate(Path::new(dir), files) {
                Ok(n) => {
                    println!("generated {n} files in {dir}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("toolbench gen: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        "grep" | "glob" => {
            let (Some(dir), Some(pattern)) = (args.get(1), args.get(2)) else {
                return usage();
            };
            let dir = match std::fs::canonicalize(dir) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("toolbench: {dir}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let runs: usize = flag(&args, "--runs")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            let print = args.iter().any(|a| a == "--print");
            let (tool, input, mode): (&dyn Tool, Value, String) = if cmd == "grep" {
                let mode = flag(&args, "--mode").unwrap_or_else(|| "files".into());
                let output_mode = match mode.as_str() {
                    "files" => "files_with_matches",
                    "content" => "content",
                    "count" => "count",
                    _ => return usage(),
                };
                let mut input = json!({
                    "pattern": pattern,
                    "output_mode": output_mode,
                    "head_limit": flag(&args, "--head-limit").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
                });
                if args.iter().any(|a| a == "-i") {
                    input["-i"] = json!(true);
                }
                if let Some(g) = flag(&args, "--glob") {
                    input["glob"] = json!(g);
                }
                if let Some(t) = flag(&args, "--type") {
                    input["type"] = json!(t);
                }
                (&GrepTool, input, mode)
            } else {
                (&GlobTool, json!({"pattern": pattern}), "glob".into())
            };
            run(tool, &dir, input, &mode, runs, print)
        }
        _ => usage(),
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn run(
    tool: &dyn Tool,
    dir: &Path,
    input: Value,
    mode: &str,
    runs: usize,
    print: bool,
) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("toolbench: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = ToolContext::for_tests(dir);
    let mut times = Vec::with_capacity(runs);
    let mut last: Option<ToolOutput> = None;
    for _ in 0..runs {
        let started = Instant::now();
        let out = rt.block_on(tool.call(input.clone(), &ctx));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(out);
    }
    let Some(out) = last else {
        return ExitCode::FAILURE;
    };
    if out.is_error {
        eprintln!("toolbench: {}", out.text());
        return ExitCode::FAILURE;
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let s = out.structured.clone().unwrap_or(Value::Null);
    let results = match mode {
        "content" => s["numLines"].as_u64().unwrap_or(0),
        "count" => s["numMatches"].as_u64().unwrap_or(0),
        _ => s["numFiles"].as_u64().unwrap_or(0),
    };
    let files = s["numFiles"].as_u64().unwrap_or(0);
    println!(
        "{} mode={mode} runs={runs} median_ms={median:.2} min_ms={:.2} results={results} files={files}",
        tool.name(),
        times[0]
    );
    if print {
        println!("{}", out.text());
    }
    ExitCode::SUCCESS
}

/// A deterministic pseudo-random sequence (an LCG), so every run builds the same tree.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "value", "buffer", "index", "count", "state", "error",
    "config", "parse", "render", "client", "server", "request", "response", "handler", "token",
    "stream", "reader", "writer", "cache", "queue", "node", "tree", "graph", "path", "file",
    "line", "result", "option", "update", "event", "signal", "batch", "chunk", "frame", "layer",
];

const EXTS: &[&str] = &["rs", "py", "js", "ts", "go", "md", "txt", "c"];

/// Writes `files` small source files under `dir` (50 × 10 directories), plus a `.git` marker
/// and a `.gitignore` that hides a `build/` directory of extra files. About one file in 20
/// contains `TODO`; `needle_handler` appears in about one in 100.
fn generate(dir: &Path, files: usize) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir.join(".git"))?;
    std::fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n")?;
    std::fs::write(dir.join(".gitignore"), "build/\n*.tmp\n")?;
    let mut rng = Lcg(0x5eed);
    let mut written = 0;
    for i in 0..files {
        let top = i % 50;
        let sub = (i / 50) % 10;
        let ext = EXTS[i % EXTS.len()];
        let path: PathBuf = dir
            .join(format!("pkg{top:02}"))
            .join(format!("mod{sub}"))
            .join(format!("file{i:05}.{ext}"));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let lines = 20 + rng.below(40);
        let mut body = String::with_capacity(lines as usize * 48);
        for l in 0..lines {
            let indent = "    ".repeat(rng.below(3) as usize);
            let a = WORDS[rng.below(WORDS.len() as u64) as usize];
            let b = WORDS[rng.below(WORDS.len() as u64) as usize];
            let c = WORDS[rng.below(WORDS.len() as u64) as usize];
            let n = rng.below(1000);
            body.push_str(&indent);
            match rng.below(6) {
                0 => body.push_str(&format!("fn {a}_{b}(x: u32) -> u32 {{ x + {n} }}\n")),
                1 => body.push_str(&format!("let {a} = {b}.{c}({n});\n")),
                2 => body.push_str(&format!("// {a} {b} {c} {n}\n")),
                3 => body.push_str(&format!("if {a} > {n} {{ return {b}; }}\n")),
                4 => body.push_str(&format!("{a}.{b} = \"{c} {n}\";\n")),
                _ => body.push_str(&format!("call({a}, {b}, {c});\n")),
            }
            if l == lines / 2 && i % 20 == 7 {
                body.push_str("// TODO: revisit this\n");
            }
            if l == 3 && i % 100 == 42 {
                body.push_str("fn needle_handler() {}\n");
            }
        }
        std::fs::write(&path, body)?;
        written += 1;
    }
    // Ignored noise: searched by neither tool.
    for i in 0..200 {
        let p = dir.join("build").join(format!("out{i}.js"));
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, "// TODO generated\n")?;
    }
    Ok(written)
}
