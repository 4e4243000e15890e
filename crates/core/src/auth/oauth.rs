//! Claude-account OAuth: the authorize URL, the code exchange and token refresh.
//!
//! The flow is the official CLI's manual ("paste the code") flow: PKCE S256, the user opens the
//! authorize URL in any browser (on any machine), authorizes, and pastes back `code#state` or
//! the callback URL. No local listener, so it works the same over SSH.

use super::AuthError;
use super::pkce::{self, Pkce};
use super::store::OAuthTokens;
use serde_json::{Value, json};
use std::time::Duration;

pub const DEFAULT_CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
pub const DEFAULT_AUTHORIZE_URL: &str = "https://claude.ai/oauth/authorize";
pub const DEFAULT_TOKEN_URL: &str = "https://console.anthropic.com/v1/oauth/token";
pub const DEFAULT_REDIRECT_URI: &str = "https://console.anthropic.com/oauth/code/callback";
pub const DEFAULT_SCOPES: &[&str] = &["org:create_api_key", "user:profile", "user:inference"];

/// Where and how to run the OAuth flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthConfig {
    pub client_id: String,
    pub authorize_url: String,
    pub token_url: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// Per request to the token endpoint.
    pub timeout: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: DEFAULT_CLIENT_ID.into(),
            authorize_url: DEFAULT_AUTHORIZE_URL.into(),
            token_url: DEFAULT_TOKEN_URL.into(),
            redirect_uri: DEFAULT_REDIRECT_URI.into(),
            scopes: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            timeout: Duration::from_secs(20),
        }
    }
}

impl OAuthConfig {
    /// The defaults, overridden by `CCRS_OAUTH_CLIENT_ID`, `CCRS_OAUTH_AUTHORIZE_URL`,
    /// `CCRS_OAUTH_TOKEN_URL` and `CCRS_OAUTH_REDIRECT_URI`.
    pub fn from_env() -> Self {
        let mut c = OAuthConfig::default();
        let env = |k: &str| crate::env::nonempty(k).map(|v| v.trim().to_string());
        if let Some(v) = env("CCRS_OAUTH_CLIENT_ID") {
            c.client_id = v;
        }
        if let Some(v) = env("CCRS_OAUTH_AUTHORIZE_URL") {
            c.authorize_url = v;
        }
        if let Some(v) = env("CCRS_OAUTH_TOKEN_URL") {
            c.token_url = v;
        }
        if let Some(v) = env("CCRS_OAUTH_REDIRECT_URI") {
            c.redirect_uri = v;
        }
        c
    }
}

/// A login in progress: the URL to open and the secrets to finish it with.
pub struct LoginSession {
    /// The authorize URL; show it plainly, open it in a browser if possible.
    pub url: String,
    state: String,
    pkce: Pkce,
}

impl std::fmt::Debug for LoginSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSession")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl LoginSession {
    /// Starts a login: fresh PKCE verifier and state, and the authorize URL.
    pub fn begin(cfg: &OAuthConfig) -> Result<Self, AuthError> {
        let pkce = Pkce::new()?;
        let state = pkce::random_urlsafe(32)?;
        let scope = cfg.scopes.join(" ");
        let url = reqwest::Url::parse_with_params(
            &cfg.authorize_url,
            [
                ("code", "true"),
                ("client_id", cfg.client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", cfg.redirect_uri.as_str()),
                ("scope", scope.as_str()),
                ("code_challenge", pkce.challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("state", state.as_str()),
            ],
        )
        .map_err(|e| AuthError::OAuth(format!("bad authorize URL {:?}: {e}", cfg.authorize_url)))?;
        Ok(LoginSession {
            url: url.into(),
            state,
            pkce,
        })
    }

    /// The `state` this login expects back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// Parses what the user pasted and checks its `state` against this login's. An error here
    /// is worth another paste; nothing was sent anywhere.
    pub fn check_paste(&self, pasted: &str) -> Result<pkce::Pasted, AuthError> {
        let p = pkce::parse_pasted(pasted)?;
        if !pkce::constant_time_eq(&p.state, &self.state) {
            return Err(AuthError::OAuth(
                "the pasted code belongs to a different login attempt (state mismatch); \
                 nothing was saved. Paste the code from the page this login opened, or start \
                 `ccrs login` again"
                    .into(),
            ));
        }
        Ok(p)
    }

    /// Exchanges a checked code for tokens (codes are single-use: a failure here needs a new
    /// login).
    pub async fn exchange(
        &self,
        cfg: &OAuthConfig,
        pasted: &pkce::Pasted,
    ) -> Result<OAuthTokens, AuthError> {
        exchange_code(cfg, &pasted.code, &pasted.state, &self.pkce.verifier).await
    }

    /// [`check_paste`](Self::check_paste), then [`exchange`](Self::exchange).
    pub async fn finish(&self, cfg: &OAuthConfig, pasted: &str) -> Result<OAuthTokens, AuthError> {
        let p = self.check_paste(pasted)?;
        self.exchange(cfg, &p).await
    }
}

/// Why a call to the token endpoint failed.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// `invalid_grant`: the code or refresh token is expired, used, revoked or rotated away.
    InvalidGrant(String),
    /// The network, a timeout, a 5xx or 429: worth another try later.
    Transient(String),
    /// Any other refusal (bad client id, malformed request, unexpected answer).
    Rejected(String),
}

fn http_client(
    cfg: &OAuthConfig,
    net: &crate::net::NetConfig,
) -> Result<reqwest::Client, TokenError> {
    net.builder()
        .connect_timeout(cfg.timeout)
        .timeout(cfg.timeout)
        .user_agent(format!("ccrs/{}", crate::VERSION))
        .build()
        .map_err(|e| TokenError::Transient(format!("cannot create an HTTP client: {e}")))
}

/// POSTs a JSON body to the token endpoint and parses the token response.
pub(crate) async fn token_request(
    cfg: &OAuthConfig,
    body: &Value,
    previous_refresh: Option<&str>,
) -> Result<OAuthTokens, TokenError> {
    let net = crate::net::NetConfig::from_env();
    let http = http_client(cfg, &net)?;
    let bytes = serde_json::to_vec(body)
        .map_err(|e| TokenError::Rejected(format!("cannot encode the request: {e}")))?;
    let resp = http
        .post(&cfg.token_url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(bytes)
        .send()
        .await
        .map_err(|e| {
            let x = crate::net::explain(&e, &cfg.token_url, &net);
            let msg = format!(
                "cannot reach the token endpoint {}: {}",
                cfg.token_url, x.message
            );
            match x.failure {
                // Retrying cannot fix a certificate or a proxy setting.
                crate::net::Failure::Tls | crate::net::Failure::Proxy => TokenError::Rejected(msg),
                _ => TokenError::Transient(msg),
            }
        })?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| {
        TokenError::Transient(format!(
            "the token endpoint's answer was cut off: {}",
            crate::error::error_chain(&e)
        ))
    })?;
    let json: Option<Value> = serde_json::from_str(&text).ok();
    if !(200..300).contains(&status) {
        let (code, detail) = error_fields(json.as_ref(), &text);
        let msg = format!("token endpoint answered HTTP {status}: {detail}");
        return Err(if code.as_deref() == Some("invalid_grant") {
            TokenError::InvalidGrant(msg)
        } else if status == 429 || status == 408 || status >= 500 {
            TokenError::Transient(msg)
        } else {
            TokenError::Rejected(msg)
        });
    }
    let json = json.ok_or_else(|| {
        TokenError::Rejected(format!(
            "the token endpoint's answer is not JSON (HTTP {status})"
        ))
    })?;
    parse_token_response(&json, previous_refresh, &cfg.scopes)
}

/// The error code and a short description from an OAuth error body (never the raw body if it
/// is JSON, which could echo a token back).
fn error_fields(json: Option<&Value>, text: &str) -> (Option<String>, String) {
    if let Some(v) = json {
        let err = v.get("error");
        // OAuth style `{"error":"invalid_grant","error_description":".."}` or the API style
        // `{"error":{"type":"..","message":".."}}`.
        let code = err
            .and_then(Value::as_str)
            .or_else(|| err.and_then(|e| e.get("type")).and_then(Value::as_str))
            .map(str::to_string);
        let desc = v
            .get("error_description")
            .and_then(Value::as_str)
            .or_else(|| err.and_then(|e| e.get("message")).and_then(Value::as_str))
            .map(str::to_string);
        let detail = match (&code, desc) {
            (Some(c), Some(d)) => format!("{c}: {d}"),
            (Some(c), None) => c.clone(),
            (None, Some(d)) => d,
            (None, None) => "(no details)".into(),
        };
        return (code, detail);
    }
    let t: String = text.trim().chars().take(200).collect();
    (
        None,
        if t.is_empty() {
            "(no details)".into()
        } else {
            t
        },
    )
}

fn parse_token_response(
    v: &Value,
    previous_refresh: Option<&str>,
    requested_scopes: &[String],
) -> Result<OAuthTokens, TokenError> {
    let access_token = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            TokenError::Rejected("the token endpoint's answer has no access_token".into())
        })?
        .to_string();
    // A refresh answer without a new refresh token means the old one stays valid.
    let refresh_token = v
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| previous_refresh.map(str::to_string));
    let expires_at = v
        .get("expires_in")
        .and_then(Value::as_f64)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| crate::timeutil::now_ms().saturating_add((s * 1000.0) as u64));
    let scopes = v
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_else(|| requested_scopes.to_vec());
    Ok(OAuthTokens {
        access_token,
        refresh_token,
        expires_at,
        scopes,
    })
}

/// Exchanges an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    cfg: &OAuthConfig,
    code: &str,
    state: &str,
    verifier: &str,
) -> Result<OAuthTokens, AuthError> {
    let body = json!({
        "grant_type": "authorization_code",
        "code": code,
        "state": state,
        "client_id": cfg.client_id,
        "redirect_uri": cfg.redirect_uri,
        "code_verifier": verifier,
    });
    token_request(cfg, &body, None).await.map_err(|e| match e {
        TokenError::InvalidGrant(m) => AuthError::OAuth(format!(
            "the authorization code was refused (expired, already used, or from another \
             login attempt); run `ccrs login` again ({m})"
        )),
        TokenError::Transient(m) | TokenError::Rejected(m) => {
            AuthError::OAuth(format!("login failed: {m}"))
        }
    })
}

/// One refresh: trades a refresh token for new tokens (the refresh token usually rotates).
pub(crate) async fn refresh(
    cfg: &OAuthConfig,
    refresh_token: &str,
) -> Result<OAuthTokens, TokenError> {
    let body = json!({
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": cfg.client_id,
    });
    token_request(cfg, &body, Some(refresh_token)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_has_every_parameter() {
        let cfg = OAuthConfig::default();
        let s = LoginSession::begin(&cfg).unwrap();
        let url = reqwest::Url::parse(&s.url).unwrap();
        assert_eq!(url.host_str(), Some("claude.ai"));
        assert_eq!(url.path(), "/oauth/authorize");
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code"], "true");
        assert_eq!(q["client_id"], DEFAULT_CLIENT_ID);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], DEFAULT_REDIRECT_URI);
        assert_eq!(q["scope"], "org:create_api_key user:profile user:inference");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], s.state());
        assert_eq!(q["code_challenge"], pkce::challenge_for(&s.pkce.verifier));
        assert_eq!(q.len(), 8);
        // The URL is one plain line that survives copy and paste.
        assert!(!s.url.contains(char::is_whitespace));
        let s2 = LoginSession::begin(&cfg).unwrap();
        assert_ne!(s.state(), s2.state());
        assert!(!format!("{s:?}").contains(&s.pkce.verifier));
    }

    #[test]
    fn bad_authorize_url_is_an_error() {
        let cfg = OAuthConfig {
            authorize_url: "not a url".into(),
            ..OAuthConfig::default()
        };
        assert!(LoginSession::begin(&cfg).is_err());
    }

    #[tokio::test]
    async fn state_mismatch_is_refused_before_any_request() {
        // The token URL points nowhere: a mismatch must be refused without contacting it.
        let cfg = OAuthConfig {
            token_url: "http://127.0.0.1:9/never".into(),
            ..OAuthConfig::default()
        };
        let s = LoginSession::begin(&cfg).unwrap();
        let e = s.finish(&cfg, "somecode#otherstate").await.unwrap_err();
        assert!(e.to_string().contains("state mismatch"), "{e}");
    }

    #[test]
    fn token_response_parsing() {
        let before = crate::timeutil::now_ms();
        let t = parse_token_response(
            &json!({"access_token":"a","refresh_token":"r2","expires_in":3600,"scope":"x y"}),
            Some("r1"),
            &[],
        )
        .unwrap();
        assert_eq!(t.access_token, "a");
        assert_eq!(t.refresh_token.as_deref(), Some("r2"));
        let exp = t.expires_at.unwrap();
        assert!(exp >= before + 3_600_000 && exp <= crate::timeutil::now_ms() + 3_600_000);
        assert_eq!(t.scopes, vec!["x", "y"]);

        // No rotation: the old refresh token is kept; no scope: the requested ones.
        let t =
            parse_token_response(&json!({"access_token":"a"}), Some("r1"), &["s".into()]).unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("r1"));
        assert_eq!(t.expires_at, None);
        assert_eq!(t.scopes, vec!["s"]);

        assert!(parse_token_response(&json!({"refresh_token":"r"}), None, &[]).is_err());
        assert!(parse_token_response(&json!({"access_token":""}), None, &[]).is_err());
    }

    #[test]
    fn error_bodies_are_summarised_without_echoing_json() {
        let v = json!({"error":"invalid_grant","error_description":"Refresh token revoked","refresh_token":"sk-ant-ort01-secret"});
        let (code, detail) = error_fields(Some(&v), "ignored");
        assert_eq!(code.as_deref(), Some("invalid_grant"));
        assert_eq!(detail, "invalid_grant: Refresh token revoked");
        assert!(!detail.contains("secret"));
        let v = json!({"type":"error","error":{"type":"invalid_grant","message":"gone"}});
        assert_eq!(
            error_fields(Some(&v), "").0.as_deref(),
            Some("invalid_grant")
        );
        assert_eq!(
            error_fields(None, "  <html>bad gateway</html> ").1,
            "<html>bad gateway</html>"
        );
        assert_eq!(error_fields(None, "").1, "(no details)");
    }
}
