//! Link-time size optimisation for the `ccrs` binary.
//!
//! A position-independent executable carries one 24-byte relocation per pointer in its data
//! (~450 KB for ccrs). Linkers and glibc ≥ 2.36 support packed relative relocations
//! (`DT_RELR`), which shrink that table to a few KB while keeping the binary position-independent
//! (ASLR intact). The flag is used only when a probe program linked with it also runs here, so
//! older toolchains or C libraries simply get the larger binary. `CCRS_NO_RELR=1` turns it off.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-env-changed=CCRS_NO_RELR");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if std::env::var_os("CCRS_NO_RELR").is_some() || target != host || !target.contains("linux-gnu")
    {
        return;
    }
    if probe_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Links and runs a trivial C program with the flag.
fn probe_relr() -> bool {
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let src = out_dir.join("relr_probe.c");
    let exe = out_dir.join("relr_probe");
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
        .arg("-Wl,-z,pack-relative-relocs")
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
