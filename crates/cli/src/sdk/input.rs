//! Reads stream-json input on a thread of its own: lines of any length (images and PDFs make
//! lines of many MB), each parsed as it arrives. Answers to ccrs's own requests go straight to
//! the waiting request (they must get through while a turn runs); the rest goes to the loop.

use super::host::Host;
use serde_json::Value;
use std::io::BufRead;
use std::sync::Arc;
use tokio::sync::mpsc;

pub enum Incoming {
    /// A `user` message: one turn.
    User(Value),
    /// A `control_request` from the host.
    Control { id: String, request: Value },
}

/// What one input line is, if anything for the loop.
fn route(line: &[u8], host: &Host) -> Option<Incoming> {
    let v: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("ccrs: warning: stream-json input: skipped a line that is not JSON ({e})");
            return None;
        }
    };
    match v.get("type").and_then(Value::as_str) {
        Some("user") => Some(Incoming::User(v)),
        Some("control_request") => {
            let id = v.get("request_id").and_then(Value::as_str)?.to_string();
            let request = v.get("request").cloned().unwrap_or(Value::Null);
            Some(Incoming::Control { id, request })
        }
        Some("control_response") => {
            if let Some(r) = v.get("response") {
                host.resolve(r);
            }
            None
        }
        // The host withdrawing a request: ccrs answers its requests at once, nothing to stop.
        Some("control_cancel_request" | "keep_alive") => None,
        other => {
            eprintln!(
                "ccrs: warning: stream-json input: ignored a message of type {}",
                other.unwrap_or("(none)")
            );
            None
        }
    }
}

/// Starts the reader; the channel closes at EOF (after which every request to the host fails).
pub fn spawn(host: Arc<Host>) -> mpsc::UnboundedReceiver<Incoming> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match lock.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            if let Some(m) = route(line, &host)
                && tx.send(m).is_err()
            {
                break;
            }
        }
        host.close();
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_routed() {
        let host = Host::default();
        assert!(matches!(
            route(br#"{"type":"user","message":{"content":"x"}}"#, &host),
            Some(Incoming::User(_))
        ));
        assert!(matches!(
            route(br#"{"type":"control_request","request_id":"r1","request":{"subtype":"interrupt"}}"#, &host),
            Some(Incoming::Control { id, .. }) if id == "r1"
        ));
        assert!(route(b"not json", &host).is_none());
        assert!(
            route(
                br#"{"type":"control_response","response":{"request_id":"none"}}"#,
                &host
            )
            .is_none()
        );
    }
}
