//! The session's network proxy: the only address a sandboxed command may connect to (Landlock
//! allows TCP connects to its port alone). HTTP CONNECT tunnels and plain-HTTP requests in
//! absolute form go through when their host is allowed (`network.allowedDomains`,
//! `WebFetch(domain:…)` allow rules, or the user's answer); a new host is asked about through
//! the permission prompter (print mode's prompter denies); denied ones get a 403 that names the
//! host.

use crate::permissions::{
    Basis, PermissionPrompter, PermissionRequest, PromptAnswer, Subject, Why,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest request head the proxy reads.
const MAX_HEAD: usize = 32 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `host` matches a domain pattern: `example.com` exactly, `*.example.com` any
/// subdomain (not the apex).
pub fn domain_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.len() > suffix.len() && host.ends_with(&format!(".{suffix}")),
        None => host == pattern,
    }
}

/// What the proxy lets through.
#[derive(Debug, Default)]
pub struct Policy {
    pub allowed: Mutex<Vec<String>>,
    pub denied: Vec<String>,
    /// Where "allow always" answers are saved (`.claude/settings.local.json`).
    pub local_settings: Option<PathBuf>,
}

impl Policy {
    fn verdict(&self, host: &str) -> Option<bool> {
        if self.denied.iter().any(|d| domain_matches(d, host)) {
            return Some(false);
        }
        let allowed = self.allowed.lock().unwrap_or_else(|e| e.into_inner());
        allowed
            .iter()
            .any(|d| domain_matches(d, host))
            .then_some(true)
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The prompter, set once the front end has one (the sandbox is built before).
#[derive(Clone, Default)]
pub struct PrompterSlot(Arc<OnceLock<Arc<dyn PermissionPrompter>>>);

impl PrompterSlot {
    pub fn set(&self, p: Arc<dyn PermissionPrompter>) {
        let _ = self.0.set(p);
    }

    fn get(&self) -> Option<&Arc<dyn PermissionPrompter>> {
        self.0.get()
    }
}

impl std::fmt::Debug for PrompterSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "PrompterSlot(set)"
        } else {
            "PrompterSlot(unset)"
        })
    }
}

impl Proxy {
    /// Listens on 127.0.0.1 (an ephemeral port). Needs a tokio runtime.
    pub fn start(policy: Arc<Policy>, prompter: PrompterSlot) -> std::io::Result<Proxy> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let handle = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        let _guard = handle.enter();
        let listener = TcpListener::from_std(std_listener)?;
        // One question per host at a time.
        let asking = Arc::new(tokio::sync::Mutex::new(()));
        let task = handle.spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    // Out of descriptors or similar: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let (policy, prompter, asking) = (policy.clone(), prompter.clone(), asking.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, &policy, &prompter, &asking).await;
                });
            }
        });
        Ok(Proxy { port, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The request head: method, target, the rest of the head (after the request line), and any
/// bytes read past it.
struct Head {
    method: String,
    target: String,
    version: String,
    rest: Vec<u8>,
    extra: Vec<u8>,
}

async fn read_head(conn: &mut TcpStream) -> std::io::Result<Option<Head>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let extra = buf.split_off(end);
    let line_end = buf.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
    let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    Ok(Some(Head {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        rest: buf[line_end + 2..].to_vec(),
        extra,
    }))
}

async fn refuse(conn: &mut TcpStream, status: &str, text: &str) -> std::io::Result<()> {
    let body = format!("ccrs sandbox: {text}\n");
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nX-Proxy-Error: blocked-by-allowlist\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(resp.as_bytes()).await
}

/// `host:port` (with `[v6]` brackets) split; `default` when no port is given.
fn host_port(s: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        _ => Some((s.to_string(), default)),
    }
    .filter(|(h, _)| !h.is_empty())
}

/// Decides `host`, asking the user when no list says.
async fn allowed(
    host: &str,
    port: u16,
    policy: &Policy,
    prompter: &PrompterSlot,
    asking: &tokio::sync::Mutex<()>,
) -> bool {
    if let Some(v) = policy.verdict(host) {
        return v;
    }
    let _one = asking.lock().await;
    // Answered while we waited?
    if let Some(v) = policy.verdict(host) {
        return v;
    }
    let Some(p) = prompter.get() else {
        return false;
    };
    let rule = format!("WebFetch(domain:{host})");
    let request = PermissionRequest {
        tool_name: "Bash".to_string(),
        tool_use_id: String::new(),
        // Shown like a Bash call by front ends that know no better.
        input: serde_json::json!({
            "command": format!("network access to {host}:{port}"),
            "description": "Network request outside of the sandbox",
            "host": host,
            "port": port,
        }),
        subject: Subject::Fetch(format!("https://{host}:{port}")),
        reason: format!(
            "A sandboxed command wants to connect to {host}:{port}, which is not an allowed domain"
        ),
        why: Why::one(
            format!("{host}:{port}"),
            Basis::NeedsApproval("the sandbox's network allows only listed domains".into()),
        ),
        suggestions: vec![rule.clone()],
    };
    match p.ask(&request).await {
        PromptAnswer::AllowOnce | PromptAnswer::AllowWithInput(_) => {
            policy
                .allowed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(host.to_string());
            true
        }
        PromptAnswer::AllowAlways => {
            policy
                .allowed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(host.to_string());
            if let Some(path) = &policy.local_settings {
                let _ = crate::settings::add_allow_rules(path, &[rule]);
            }
            true
        }
        PromptAnswer::Deny { .. } => false,
    }
}

async fn serve(
    mut conn: TcpStream,
    policy: &Policy,
    prompter: &PrompterSlot,
    asking: &tokio::sync::Mutex<()>,
) -> std::io::Result<()> {
    let Some(head) = read_head(&mut conn).await? else {
        return refuse(&mut conn, "400 Bad Request", "malformed proxy request").await;
    };
    if head.method.eq_ignore_ascii_case("CONNECT") {
        let Some((host, port)) = host_port(&head.target, 443) else {
            return refuse(&mut conn, "400 Bad Request", "bad CONNECT target").await;
        };
        if !allowed(&host, port, policy, prompter, asking).await {
            let text = format!("{host} is not an allowed domain (sandbox.network.allowedDomains)");
            return refuse(&mut conn, "403 Forbidden", &text).await;
        }
        let mut up =
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port)))
                .await
            {
                Ok(Ok(s)) => s,
                _ => {
                    return refuse(
                        &mut conn,
                        "502 Bad Gateway",
                        &format!("cannot reach {host}:{port}"),
                    )
                    .await;
                }
            };
        conn.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        up.write_all(&head.extra).await?;
        tokio::io::copy_bidirectional(&mut conn, &mut up).await?;
        return Ok(());
    }
    // Plain HTTP through a proxy: an absolute URI.
    let Some(rest) = head.target.strip_prefix("http://") else {
        return refuse(
            &mut conn,
            "400 Bad Request",
            "only CONNECT and http:// requests are proxied",
        )
        .await;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let Some((host, port)) = host_port(authority, 80) else {
        return refuse(&mut conn, "400 Bad Request", "bad request target").await;
    };
    if !allowed(&host, port, policy, prompter, asking).await {
        let text = format!("{host} is not an allowed domain (sandbox.network.allowedDomains)");
        return refuse(&mut conn, "403 Forbidden", &text).await;
    }
    let mut up = match tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(s)) => s,
        _ => {
            return refuse(
                &mut conn,
                "502 Bad Gateway",
                &format!("cannot reach {host}:{port}"),
            )
            .await;
        }
    };
    // Origin form, without the hop-by-hop proxy headers. Everything that follows on this
    // connection goes to this same (allowed) host.
    let mut out = format!("{} {} {}\r\n", head.method, path, head.version).into_bytes();
    for line in head.rest.split(|b| *b == b'\n') {
        let l = String::from_utf8_lossy(line);
        let lower = l.to_ascii_lowercase();
        if lower.starts_with("proxy-connection:") || lower.starts_with("proxy-authorization:") {
            continue;
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.truncate(out.len() - 1);
    up.write_all(&out).await?;
    up.write_all(&head.extra).await?;
    tokio::io::copy_bidirectional(&mut conn, &mut up).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert!(domain_matches("github.com", "GitHub.com"));
        assert!(!domain_matches("github.com", "api.github.com"));
        assert!(domain_matches("*.github.com", "api.github.com"));
        assert!(!domain_matches("*.github.com", "github.com"));
        assert!(!domain_matches("*.github.com", "evilgithub.com"));
    }

    #[test]
    fn targets() {
        assert_eq!(host_port("a.com:8443", 443), Some(("a.com".into(), 8443)));
        assert_eq!(host_port("a.com", 80), Some(("a.com".into(), 80)));
        assert_eq!(host_port("[::1]:99", 80), Some(("::1".into(), 99)));
        assert_eq!(host_port(":80", 80), None);
    }
}

#[cfg(test)]
mod serve_tests {
    use super::*;
    use crate::BoxFuture;

    struct Answer(PromptAnswer, Mutex<Vec<String>>);

    impl PermissionPrompter for Answer {
        fn ask<'a>(&'a self, r: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
            self.1
                .lock()
                .unwrap()
                .push(format!("{} {:?}", r.reason, r.suggestions));
            Box::pin(async { self.0.clone() })
        }
    }

    async fn upstream() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut c, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut b = [0u8; 1024];
                    let _ = c.read(&mut b).await;
                    let _ = c
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .await;
                });
            }
        });
        port
    }

    async fn through(proxy: u16, target: u16) -> String {
        let mut c = TcpStream::connect(("127.0.0.1", proxy)).await.unwrap();
        c.write_all(
            format!("GET http://localhost:{target}/x HTTP/1.1\r\nHost: localhost\r\nProxy-Connection: keep-alive\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        let _ = c.read_to_string(&mut out).await;
        out
    }

    #[tokio::test]
    async fn unknown_hosts_are_asked_about_once() {
        let target = upstream().await;
        for (answer, expect_ok) in [
            (PromptAnswer::AllowOnce, true),
            (
                PromptAnswer::Deny {
                    message: String::new(),
                },
                false,
            ),
        ] {
            let prompter = Arc::new(Answer(answer, Mutex::new(Vec::new())));
            let slot = PrompterSlot::default();
            slot.set(prompter.clone());
            let d = tempfile::tempdir().unwrap();
            let policy = Arc::new(Policy {
                local_settings: Some(d.path().join("settings.local.json")),
                ..Policy::default()
            });
            let proxy = Proxy::start(policy.clone(), slot).unwrap();
            let first = through(proxy.port(), target).await;
            let second = through(proxy.port(), target).await;
            assert_eq!(first.ends_with("ok"), expect_ok, "{first}");
            assert_eq!(second.ends_with("ok"), expect_ok, "{second}");
            if !expect_ok {
                assert!(
                    first.contains("403") && first.contains("localhost is not an allowed domain"),
                    "{first}"
                );
            }
            let asked = prompter.1.lock().unwrap().clone();
            // Allowed once: remembered for the session. Denied: asked again next time.
            assert_eq!(asked.len(), if expect_ok { 1 } else { 2 }, "{asked:?}");
            assert!(
                asked[0].contains("localhost") && asked[0].contains("WebFetch(domain:localhost)")
            );
        }
    }

    #[tokio::test]
    async fn denied_domains_win_and_nothing_is_asked() {
        let slot = PrompterSlot::default();
        let prompter = Arc::new(Answer(PromptAnswer::AllowOnce, Mutex::new(Vec::new())));
        slot.set(prompter.clone());
        let policy = Arc::new(Policy {
            allowed: Mutex::new(vec!["*.example.com".into(), "localhost".into()]),
            denied: vec!["localhost".into()],
            local_settings: None,
        });
        let proxy = Proxy::start(policy, slot).unwrap();
        let out = through(proxy.port(), upstream().await).await;
        assert!(out.starts_with("HTTP/1.1 403"), "{out}");
        assert!(prompter.1.lock().unwrap().is_empty());
    }
}
