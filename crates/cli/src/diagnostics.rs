//! `--debug [categories]` and `--debug-file <path>`: installs core's debug log. Print mode
//! writes it to stderr unless a file is named; the interactive UI (whose stderr is the screen)
//! writes `<claude dir>/debug/<session id>.txt`, as Claude Code does.

use crate::args::Args;
use anyhow::{Context, Result};
use ccrs_core::log::{self, Filter, Sink};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Where the debug log goes when it is on.
pub enum Destination {
    Stderr,
    File(PathBuf),
}

/// Where `args` ask the log to go, if anywhere. `--debug-file` alone turns it on.
pub fn destination(args: &Args, session_id: &str) -> Option<Destination> {
    match (&args.debug, &args.debug_file) {
        (_, Some(f)) => Some(Destination::File(PathBuf::from(f))),
        (Some(_), None) if args.print => Some(Destination::Stderr),
        (Some(_), None) => Some(Destination::File(
            ccrs_core::paths::claude_dir()
                .join("debug")
                .join(format!("{session_id}.txt")),
        )),
        (None, None) => None,
    }
}

/// Installs the log; returns the file it writes, if any.
pub fn install(args: &Args, session_id: &str) -> Result<Option<PathBuf>> {
    let Some(dest) = destination(args, session_id) else {
        return Ok(None);
    };
    let filter = Filter::parse(args.debug.as_deref().unwrap_or(""));
    let (out, path) = match dest {
        Destination::Stderr => (Sink::Stderr, None),
        Destination::File(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("--debug-file: cannot create {}", dir.display()))?;
            }
            // The log names files and commands: private to the user.
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("--debug-file: cannot open {}", path.display()))?;
            (Sink::File(file), Some(path))
        }
    };
    log::install(filter, out);
    // Not the command line: `--settings` JSON may carry secrets.
    ccrs_core::debug_log!(
        log::SESSION,
        "ccrs {} started ({}), debug filter \"{}\"",
        ccrs_core::VERSION,
        if args.print {
            "print mode"
        } else {
            "interactive"
        },
        args.debug.as_deref().unwrap_or("")
    );
    Ok(path)
}
