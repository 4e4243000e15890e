//! A forward proxy for tests of `HTTPS_PROXY`/`HTTP_PROXY`: `CONNECT host:port` tunnels (what
//! clients use for `https://` URLs) and absolute-form requests (`GET http://host/path`, what
//! they use for `http://` URLs), optionally requiring Basic proxy authentication. Every request
//! is recorded. Only for 127.0.0.1 test servers: it connects wherever it is asked to.

use crate::http;
use base64::Engine;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

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
    port: u16,
    log: Log,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockProxy {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start(opts: ProxyOptions) -> io::Result<MockProxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let log = Log::default();
        let (tx, rx) = watch::channel(false);
        tokio::spawn(run(listener, opts, log.clone(), rx));
        Ok(MockProxy {
            port,
            log,
            stop: Some(tx),
            thread: None,
        })
    }

    /// Serves on a runtime thread of its own (for tests that spawn the `ccrs` binary).
    pub fn start_blocking(opts: ProxyOptions) -> io::Result<MockProxy> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _guard = rt.enter();
            TcpListener::from_std(std_listener)?
        };
        let log = Log::default();
        let (tx, rx) = watch::channel(false);
        let task_log = log.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ccrs-mock-proxy-{port}"))
            .spawn(move || rt.block_on(run(listener, opts, task_log, rx)))?;
        Ok(MockProxy {
            port,
            log,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://user:password@127.0.0.1:PORT`.
    pub fn url_with_auth(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for MockProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn run(listener: TcpListener, opts: ProxyOptions, log: Log, rx: watch::Receiver<bool>) {
    let opts = Arc::new(opts);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(rx.clone()) => return,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (opts, log, rx) = (opts.clone(), log.clone(), rx.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = serve(stream, &opts, &log) => {}
                _ = stopped(rx) => {}
            }
        });
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
