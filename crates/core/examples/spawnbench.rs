//! The start-up cost of a Bash call's process: `bash -c true` spawned directly, under the exec
//! helper, and under the helper with the session sandbox (Landlock + socket filter + the
//! protected-path mounts of a git project). Prints the median and mean of each, in ms.
//!
//! ```text
//! cargo build --release -p ccrs --example spawnbench
//! target/release/examples/spawnbench target/release/ccrs [runs]
//! ```

use ccrs_core::process::{Exit, Spawn};
use ccrs_core::sandbox::Sandbox;
use ccrs_core::settings::SandboxSettings;
use std::process::Stdio;
use std::time::{Duration, Instant};

async fn once(helper: bool, confine: Option<&Sandbox>, dir: &std::path::Path) -> Duration {
    let started = Instant::now();
    let mut s = Spawn::new("bash")
        .args(["-c", "true"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .die_with_parent(helper);
    if let Some(sb) = confine {
        let parts = sb.spawn_parts();
        s = s.envs(parts.env).confine(Some(parts.confine));
    }
    let mut child = match s.spawn().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("spawn failed: {e}");
            std::process::exit(1);
        }
    };
    let exit = child.wait().await;
    let elapsed = started.elapsed();
    if !matches!(exit, Ok(Exit::Code(0))) {
        eprintln!("unexpected exit: {exit:?}");
        std::process::exit(1);
    }
    elapsed
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    println!(
        "{name:<28} median {:.2} ms  mean {:.2} ms  (n={})",
        ms(v[v.len() / 2]),
        mean,
        v.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(ccrs) = args.get(1) else {
        eprintln!("usage: spawnbench <path to ccrs> [runs]");
        std::process::exit(2);
    };
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(200);
    ccrs_core::process::set_helper(ccrs);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("spawnbench-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join(".git/hooks"));
        let _ = std::fs::write(dir.join(".git/config"), "");
        let settings = SandboxSettings {
            enabled: true,
            ..SandboxSettings::default()
        };
        let sb = match Sandbox::new(settings, &dir, &[]) {
            Ok(Some(sb)) => sb,
            other => {
                eprintln!("no sandbox: {other:?}");
                std::process::exit(1);
            }
        };
        let mut direct = Vec::new();
        let mut helper = Vec::new();
        let mut sandboxed = Vec::new();
        for _ in 0..runs {
            direct.push(once(false, None, &dir).await);
            helper.push(once(true, None, &dir).await);
            sandboxed.push(once(true, Some(&sb), &dir).await);
        }
        stats("direct spawn", direct);
        stats("exec helper", helper);
        stats("exec helper + sandbox", sandboxed);
        let _ = std::fs::remove_dir_all(&dir);
    });
}
