//! Link-time size optimisation for the `ccrs` binary.
//!
//! A position-independent executable carries one 24-byte relocation per pointer in its data
//! (~450 KB for ccrs). Linkers and glibc ≥ 2.36 support packed relative relocations
//! (`DT_RELR`), which shrink that table to a few KB while keeping the binary position-independent
//! (ASLR intact). The flag is used only when a probe program linked with it also runs here, so
//! older toolchains or C libraries simply get the larger binary. `CCRS_NO_RELR=1` turns it off.
//!
//! With `panic = "abort"` (the release profile) nothing unwinds, so the unwind tables
//! (`.eh_frame`, ~590 KB) serve only backtraces, which a size-budgeted release does without: a
//! linker-script fragment discards them (INSERT keeps the default script). Debug and test builds
//! unwind and keep them. Probed the same way; `CCRS_KEEP_UNWIND=1` keeps them.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-env-changed=CCRS_NO_RELR");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    println!("cargo:rerun-if-env-changed=CCRS_KEEP_UNWIND");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.contains("linux-gnu") {
        return;
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    if std::env::var_os("CCRS_NO_RELR").is_none()
        && probe(&out_dir, "relr", &["-Wl,-z,pack-relative-relocs"])
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    // Cargo does not tell build scripts the profile's panic strategy; the release profile
    // (Cargo.toml) aborts.
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    if release && std::env::var_os("CCRS_KEEP_UNWIND").is_none() {
        let script = out_dir.join("discard_unwind.ld");
        let text = "SECTIONS { /DISCARD/ : { *(.eh_frame) } } INSERT AFTER .rodata;\n";
        let (t, h) = (
            format!("-Wl,-T,{}", script.display()),
            "-Wl,--no-eh-frame-hdr",
        );
        if std::fs::write(&script, text).is_ok() && probe(&out_dir, "unwind", &[&t, h]) {
            println!("cargo:rustc-link-arg-bins={t}");
            println!("cargo:rustc-link-arg-bins={h}");
        }
    }
}

/// Links and runs a trivial C program with the flags.
fn probe(out_dir: &std::path::Path, name: &str, flags: &[&str]) -> bool {
    let src = out_dir.join(format!("{name}_probe.c"));
    let exe = out_dir.join(format!("{name}_probe"));
    if std::fs::write(&src, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    let linked = Command::new(&linker)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg("-pie")
        .arg("-fPIE")
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    linked
        && Command::new(&exe)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}
