//! stdout, in one place. Rust ignores SIGPIPE, so a closed stdout (`ccrs -p … | head -1`)
//! shows up as a write error: the first one cancels the running session (nobody reads what it
//! would print, and it must not keep spending) and every later write is skipped; the process
//! then exits with 141, the status a shell shows for a program ended by SIGPIPE.

use ccrs_core::cancel::CancelToken;
use serde_json::Value;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit status after stdout was closed (128 + SIGPIPE).
pub const BROKEN_PIPE_STATUS: i32 = 141;

static BROKEN: AtomicBool = AtomicBool::new(false);
static CANCEL: Mutex<Option<CancelToken>> = Mutex::new(None);

/// Cancels `token` when stdout turns out to be closed (at once if it already did).
pub fn cancel_on_broken_pipe(token: &CancelToken) {
    if let Ok(mut c) = CANCEL.lock() {
        *c = Some(token.clone());
    }
    if broken() {
        token.cancel();
    }
}

/// True once a write found stdout closed.
pub fn broken() -> bool {
    BROKEN.load(Ordering::Relaxed)
}

/// Writes and flushes `bytes`; false when stdout is closed (now or before).
pub fn write(bytes: &[u8]) -> bool {
    if broken() {
        return false;
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(_) => {
            // Closed, full disk, …: nothing more can be shown either way.
            BROKEN.store(true, Ordering::Relaxed);
            if let Ok(c) = CANCEL.lock()
                && let Some(t) = c.as_ref()
            {
                t.cancel();
            }
            false
        }
    }
}

/// `text` and a newline unless it ends with one.
pub fn text(text: &str) -> bool {
    if text.ends_with('\n') {
        write(text.as_bytes())
    } else {
        write(format!("{text}\n").as_bytes())
    }
}

/// One JSON value on a line of its own.
pub fn json_line(v: &Value) -> bool {
    match serde_json::to_vec(v) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            write(&bytes)
        }
        Err(_) => false,
    }
}
