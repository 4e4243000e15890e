//! A forward proxy for tests of `HTTPS_PROXY`/`HTTP_PROXY`: `CONNECT host:port` tunnels (what
//! clients use for `https://` URLs) and absolute-form requests (`GET http://host/path`, what
//! they use for `http://` URLs), optionally requiring Basic proxy authentication. Every request
//! is recorded. Only for 127.0.0.1 test servers: it connects wherever it is asked to.

use crate::http;
use base64::Engine;
use std::io;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How the proxy behaves.
#[derive(Clone, Debug, Default)]
pub struct ProxyOptions {
    /// Require `Proxy-Authorization: Basic base64(user:password)`; others get 407.
    pub basic_auth: Option<(String, String)>,
    /// Refuse every request with 403 (a proxy that blocks the destination).
    pub refuse: bool,
}

/// One request the proxy received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRequest {
    /// `CONNECT`, or the method of a forwarded request.
    pub method: String,
    /// `host:port` of a CONNECT, the absolute URL of a forwarded request.
    pub target: String,
    pub proxy_authorization: Option<String>,
    /// The status the proxy answered (200 for a tunnel it opened).
    pub status: u16,
}

type Log = Arc<Mutex<Vec<ProxyRequest>>>;

/// A running proxy; dropping it stops it (open tunnels included).
pub struct MockProxy {
    log: Log,
    running: crate::background::Running,
}

/// The per-connection work of a proxy.
fn serving(
    opts: ProxyOptions,
    log: Log,
) -> impl Fn(TcpStream) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + 'static
{
    let opts = Arc::new(opts);
    move |stream| {
        let (opts, log) = (opts.clone(), log.clone());
        Box::pin(async move {
            let _ = serve(stream, &opts, &log).await;
        })
    }
}

impl MockProxy {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start(opts: ProxyOptions) -> io::Result<MockProxy> {
        let log = Log::default();
        let running = crate::background::start(0, serving(opts, log.clone())).await?;
        Ok(MockProxy { log, running })
    }

    /// Serves on a runtime thread of its own (for tests that spawn the `ccrs` binary).
    pub fn start_blocking(opts: ProxyOptions) -> io::Result<MockProxy> {
        let log = Log::default();
        let running =
            crate::background::start_blocking("ccrs-mock-proxy", serving(opts, log.clone()))?;
        Ok(MockProxy { log, running })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.running.port)
    }

    /// `http://user:password@127.0.0.1:PORT`.
    pub fn url_with_auth(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.running.port)
    }

    pub fn port(&self) -> u16 {
        self.running.port
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn authorized(opts: &ProxyOptions, header: Option<&str>) -> bool {
    let Some((user, password)) = &opts.basic_auth else {
        return true;
    };
    let want = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    header
        .and_then(|h| h.strip_prefix("Basic "))
        .is_some_and(|h| h.trim() == want)
}

async fn answer(stream: &mut TcpStream, status: u16, extra: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\n{extra}content-length: 0\r\nconnection: close\r\n\r\n",
        http::reason(status)
    );
    stream.write_all(head.as_bytes()).await
}

async fn serve(stream: TcpStream, opts: &ProxyOptions, log: &Log) -> io::Result<()> {
    let mut rd = BufReader::new(stream);
    let mut sink = Vec::new();
    let Some(req) = http::read_request(&mut rd, &mut sink).await? else {
        return Ok(());
    };
    // A CONNECT target is `host:port`; read_request split it as a path.
    let target = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    let auth = req.header("proxy-authorization").map(str::to_string);
    let status = if opts.refuse {
        403
    } else if !authorized(opts, auth.as_deref()) {
        407
    } else {
        200
    };
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(ProxyRequest {
            method: req.method.clone(),
            target: target.clone(),
            proxy_authorization: auth,
            status,
        });
    let buffered = rd.buffer().to_vec();
    let mut client = rd.into_inner();
    if status != 200 {
        let extra = if status == 407 {
            "proxy-authenticate: Basic realm=\"ccrs-mock\"\r\n"
        } else {
            ""
        };
        return answer(&mut client, status, extra).await;
    }
    if req.method == "CONNECT" {
        let Ok(mut upstream) = TcpStream::connect(target.as_str()).await else {
            return answer(&mut client, 502, "").await;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        upstream.write_all(&buffered).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // Absolute form: forward this one request in origin form, then close.
    let Some(rest) = target.strip_prefix("http://") else {
        return answer(&mut client, 400, "").await;
    };
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let Ok(mut upstream) = TcpStream::connect(host).await else {
        return answer(&mut client, 502, "").await;
    };
    let mut head = format!("{} {path} HTTP/1.1\r\n", req.method);
    for (k, v) in &req.headers {
        if matches!(
            k.as_str(),
            "proxy-authorization"
                | "proxy-connection"
                | "connection"
                | "content-length"
                | "transfer-encoding"
                | "keep-alive"
        ) {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        req.body.len()
    ));
    upstream.write_all(head.as_bytes()).await?;
    upstream.write_all(&req.body).await?;
    tokio::io::copy(&mut upstream, &mut client).await?;
    client.shutdown().await
}
