//! A scripted Anthropic Messages API (and OAuth) server on 127.0.0.1, for tests and offline use.
//!
//! ```no_run
//! use ccrs_mock::{MockServer, Reply, Scenario};
//! # async fn demo() -> std::io::Result<()> {
//! let server = MockServer::start(
//!     Scenario::new()
//!         .reply(Reply::tool_use("Bash", serde_json::json!({"command": "echo hi"})))
//!         .reply(Reply::text("Done.")),
//! )
//! .await?;
//! // point the client at server.base_url(), run, then inspect server.message_requests()
//! # Ok(()) }
//! ```
//!
//! The server is plain HTTP/1.1 on tokio (keep-alive, Content-Length and chunked request bodies,
//! chunked SSE responses flushed per event), or HTTPS with a [`TestCa`] made at run time. A
//! [`MockProxy`] stands in for a corporate proxy. See `README.md` for the scenario format.

mod background;
mod brain;
mod http;
pub mod models;
mod oauth;
mod proxy;
mod scenario;
mod server;
pub mod sse;
mod template;
mod tls;

pub use oauth::{TokenGrant, s256_challenge};
pub use proxy::{MockProxy, ProxyOptions, ProxyRequest};
pub use scenario::{
    CLAUDE_CODE_CLIENT_ID, ErrorSpec, Match, MessageReply, OAuthConfig, Reply, ReplyKind, Route,
    Scenario, UsageSpec, default_error_type,
};
pub use server::CapturedRequest;
pub use tls::TestCa;

use server::Shared;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running mock server. Dropping it shuts it down.
pub struct MockServer {
    shared: Arc<Shared>,
    /// Serves HTTPS (`base_url` is `https://…`).
    tls: bool,
    running: background::Running,
}

/// The per-connection work of a server sharing `shared`.
fn serving(
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> impl Fn(tokio::net::TcpStream) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
+ Send
+ 'static {
    move |stream| Box::pin(server::connection(stream, shared.clone(), tls.clone()))
}

impl MockServer {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start(scenario: Scenario) -> std::io::Result<MockServer> {
        Self::start_on(scenario, 0).await
    }

    /// Binds `127.0.0.1:port` (0: any free port) and serves on the current tokio runtime.
    pub async fn start_on(scenario: Scenario, port: u16) -> std::io::Result<MockServer> {
        Self::start_with(scenario, port, None).await
    }

    /// Serves HTTPS with `ca`'s server certificate (`base_url` is `https://127.0.0.1:PORT`).
    pub async fn start_tls(scenario: Scenario, ca: &TestCa) -> std::io::Result<MockServer> {
        Self::start_with(scenario, 0, Some(ca)).await
    }

    /// [`start_tls`](Self::start_tls) on `port` (0: any free port).
    pub async fn start_tls_on(
        scenario: Scenario,
        port: u16,
        ca: &TestCa,
    ) -> std::io::Result<MockServer> {
        Self::start_with(scenario, port, Some(ca)).await
    }

    async fn start_with(
        scenario: Scenario,
        port: u16,
        ca: Option<&TestCa>,
    ) -> std::io::Result<MockServer> {
        let acceptor = ca.map(TestCa::acceptor).transpose()?;
        let tls = acceptor.is_some();
        let shared = Arc::new(Shared::new(scenario));
        let running = background::start(port, serving(shared.clone(), acceptor)).await?;
        Ok(MockServer {
            shared,
            tls,
            running,
        })
    }

    /// Starts the server on its own runtime thread, for synchronous tests (e.g. ones that spawn
    /// the `ccrs` binary).
    pub fn start_blocking(scenario: Scenario) -> std::io::Result<MockServer> {
        Self::start_blocking_with(scenario, None)
    }

    /// [`start_blocking`](Self::start_blocking), serving HTTPS with `ca`'s server certificate.
    pub fn start_blocking_tls(scenario: Scenario, ca: &TestCa) -> std::io::Result<MockServer> {
        Self::start_blocking_with(scenario, Some(ca))
    }

    fn start_blocking_with(scenario: Scenario, ca: Option<&TestCa>) -> std::io::Result<MockServer> {
        let acceptor = ca.map(TestCa::acceptor).transpose()?;
        let tls = acceptor.is_some();
        let shared = Arc::new(Shared::new(scenario));
        let running = background::start_blocking("ccrs-mock", serving(shared.clone(), acceptor))?;
        Ok(MockServer {
            shared,
            tls,
            running,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS), without a trailing slash.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.running.port)
    }

    pub fn port(&self) -> u16 {
        self.running.port
    }

    /// Every request (control requests excepted), in arrival order.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.shared.requests()
    }

    /// Only the `POST /v1/messages` requests.
    pub fn message_requests(&self) -> Vec<CapturedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/v1/messages")
            .collect()
    }

    /// Queues a reply after the scripted ones.
    pub fn push_reply(&self, reply: Reply) {
        self.shared.push_reply(reply);
    }

    /// Replies still queued.
    pub fn remaining_replies(&self) -> usize {
        self.shared.remaining_replies()
    }

    /// Adds or replaces a route at runtime (`"/path"` or `"GET /path"`).
    pub fn set_route(&self, key: &str, route: Route) {
        self.shared.set_route(key, route);
    }

    /// Back to the state right after start (requests forgotten, scripted replies queued again,
    /// OAuth codes and tokens forgotten).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Polls (without blocking the runtime) until at least `n` requests arrived; false on
    /// timeout.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.shared.requests().len() < n {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Makes `access` a live access token for `expires_in_secs` and `refresh` a usable refresh
    /// token, as if the mock had issued them (empty strings are skipped).
    pub fn seed_oauth_tokens(&self, access: &str, refresh: &str, expires_in_secs: u64) {
        self.shared.oauth.seed(access, refresh, expires_in_secs);
    }

    /// Every access token issued or seeded so far expires now.
    pub fn expire_access_tokens(&self) {
        self.shared.oauth.expire_access_tokens();
    }

    /// Kills a refresh token; returns whether it was live.
    pub fn revoke_refresh_token(&self, token: &str) -> bool {
        self.shared.oauth.revoke_refresh_token(token)
    }

    /// Refresh tokens that still work, sorted.
    pub fn current_refresh_tokens(&self) -> Vec<String> {
        self.shared.oauth.current_refresh_tokens()
    }

    /// Access tokens that still work, sorted.
    pub fn live_access_tokens(&self) -> Vec<String> {
        self.shared.oauth.live_access_tokens()
    }

    /// Every answered `POST /v1/oauth/token`, in order, with its outcome.
    pub fn token_grants(&self) -> Vec<TokenGrant> {
        self.shared.oauth.grants()
    }

    /// The authorize URL a client would open for this server.
    pub fn authorize_url(&self, redirect_uri: &str, code_challenge: &str, state: &str) -> String {
        format!(
            "{}/oauth/authorize?code=true&client_id={}&response_type=code&redirect_uri={}&scope={}&code_challenge={}&code_challenge_method=S256&state={}",
            self.base_url(),
            http::percent_encode(&self.shared.oauth.cfg.client_id),
            http::percent_encode(redirect_uri),
            http::percent_encode("user:profile user:inference"),
            http::percent_encode(code_challenge),
            http::percent_encode(state),
        )
    }
}
