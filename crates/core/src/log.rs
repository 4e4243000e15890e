//! The debug log (`--debug [categories]`, `--debug-file <path>`): one global sink the front end
//! installs, lines filtered by category. Off, a call costs one atomic load; the message is not
//! even formatted ([`debug_log!`](crate::debug_log) checks first).
//!
//! Categories (Claude Code's filter syntax: `api,hooks` keeps those, `!api,!mcp` drops those):
//! `api` (requests, responses, retries), `permissions` (each decision, with the deciding rule
//! and its file when the engine names it), `tools` (each run), `session` (options, settings
//! files), `hooks` and `mcp` (for those subsystems). Part of the leaf layer.

use std::io::Write;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub const API: &str = "api";
pub const PERMISSIONS: &str = "permissions";
pub const TOOLS: &str = "tools";
pub const SESSION: &str = "session";
pub const HOOKS: &str = "hooks";
pub const MCP: &str = "mcp";

/// Which categories are written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these (empty = all).
    include: Vec<String>,
    /// Never these.
    exclude: Vec<String>,
}

impl Filter {
    /// Parses `api,hooks` / `!statsig,!file` (empty = everything). Names are case-insensitive.
    pub fn parse(spec: &str) -> Filter {
        let mut f = Filter::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.strip_prefix('!') {
                Some(name) => f.exclude.push(name.trim().to_ascii_lowercase()),
                None => f.include.push(part.to_ascii_lowercase()),
            }
        }
        f
    }

    pub fn allows(&self, category: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|c| c == category))
            && !self.exclude.iter().any(|c| c == category)
    }
}

/// Where the lines go.
pub enum Sink {
    Stderr,
    File(std::fs::File),
    /// Anything else (tests).
    Writer(Box<dyn Write + Send + Sync>),
}

impl Sink {
    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        // Each line in one write, unbuffered: a crash loses nothing that was logged.
        match self {
            Sink::Stderr => std::io::stderr().write_all(line),
            Sink::File(f) => f.write_all(line),
            Sink::Writer(w) => w.write_all(line).and_then(|()| w.flush()),
        }
    }
}

struct Logger {
    filter: Filter,
    out: Sink,
}

static ON: AtomicBool = AtomicBool::new(false);
static LOGGER: RwLock<Option<Logger>> = RwLock::new(None);

/// Starts writing the categories `filter` allows to `out` (replacing an earlier sink).
pub fn install(filter: Filter, out: Sink) {
    if let Ok(mut l) = LOGGER.write() {
        *l = Some(Logger { filter, out });
        ON.store(true, Ordering::Release);
    }
}

/// Stops logging (the sink is dropped, which closes a file).
pub fn uninstall() {
    ON.store(false, Ordering::Release);
    if let Ok(mut l) = LOGGER.write() {
        *l = None;
    }
}

/// True when a line of `category` would be written.
#[inline]
pub fn enabled(category: &str) -> bool {
    ON.load(Ordering::Acquire)
        && LOGGER
            .read()
            .is_ok_and(|l| l.as_ref().is_some_and(|l| l.filter.allows(category)))
}

/// Writes one line (use [`debug_log!`](crate::debug_log), which skips the formatting when the
/// category is off). A failing sink is dropped silently: the log must never stop a session.
pub fn write(category: &str, args: std::fmt::Arguments<'_>) {
    let line = format!(
        "{} [DEBUG] [{category}] {args}\n",
        crate::timeutil::now_iso()
    );
    if let Ok(mut l) = LOGGER.write()
        && let Some(logger) = l.as_mut()
        && logger.filter.allows(category)
        && logger.out.write_line(line.as_bytes()).is_err()
    {
        *l = None;
        ON.store(false, Ordering::Release);
    }
}

/// `debug_log!(log::API, "sent {} bytes", n)`: a line in the debug log when that category is on.
#[macro_export]
macro_rules! debug_log {
    ($category:expr, $($arg:tt)*) => {
        if $crate::log::enabled($category) {
            $crate::log::write($category, format_args!($($arg)*));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn filters_parse_like_claude_code() {
        let all = Filter::parse("");
        assert!(all.allows("api") && all.allows("mcp"));
        let some = Filter::parse("api, Hooks");
        assert!(some.allows("api") && some.allows("hooks") && !some.allows("mcp"));
        let not = Filter::parse("!api,!tools");
        assert!(!not.allows("api") && !not.allows("tools") && not.allows("permissions"));
        let mixed = Filter::parse("api,permissions,!permissions");
        assert!(mixed.allows("api") && !mixed.allows("permissions"));
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_carry_time_level_and_category_and_off_costs_nothing() {
        // Categories unique to this test: other tests may log meanwhile.
        let buf = Buf::default();
        install(
            Filter::parse("logtest-on"),
            Sink::Writer(Box::new(buf.clone())),
        );
        let mut formatted = false;
        let mut probe = || {
            formatted = true;
            "x"
        };
        crate::debug_log!("logtest-off", "never {}", probe());
        assert!(!formatted, "an off category must not format its message");
        crate::debug_log!("logtest-on", "hello {}", 42);
        assert!(enabled("logtest-on") && !enabled("logtest-off"));
        uninstall();
        assert!(!enabled("logtest-on"));
        crate::debug_log!("logtest-on", "after");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains("[logtest-on]"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.ends_with(" [DEBUG] [logtest-on] hello 42"), "{line}");
        assert!(line.starts_with("20") && line.contains('T'), "{line}");
        assert!(!text.contains("after"));
    }
}
