//! Claude Code's OAuth flow, served locally: `GET /oauth/authorize` (PKCE, S256) and
//! `POST /v1/oauth/token` (authorization_code and refresh_token grants, with rotation).
//! All state sits behind one lock, so concurrent refreshes of one token have exactly one winner.

use crate::http::{parse_query, percent_encode};
use crate::scenario::OAuthConfig;
use crate::sse::hex_id;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One answered token request, for tests that count refreshes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// `authorization_code`, `refresh_token`, or what the client sent.
    pub grant_type: String,
    pub ok: bool,
    /// `error_description` of a refusal.
    pub error: Option<String>,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    state: String,
    scope: Option<String>,
}

#[derive(Default)]
struct State {
    codes: HashMap<String, PendingCode>,
    /// Access token → expiry.
    access: HashMap<String, Instant>,
    /// Refresh tokens that still work.
    refresh: HashSet<String>,
    grants: Vec<TokenGrant>,
}

pub(crate) struct OAuth {
    pub(crate) cfg: OAuthConfig,
    state: Mutex<State>,
}

/// A response the server writes as is.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(status: u16, v: &Value) -> Self {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
        }
    }

    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Answer {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }
}

/// base64url-no-pad(SHA-256(verifier)), the S256 code challenge.
pub fn s256_challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn field<'a>(fields: &'a HashMap<String, String>, k: &str) -> &'a str {
    fields.get(k).map(String::as_str).unwrap_or("")
}

fn oauth_error(kind: &str, description: impl Into<String>) -> (Answer, String) {
    let d = description.into();
    (
        Answer::json(400, &json!({"error": kind, "error_description": d})),
        d,
    )
}

impl OAuth {
    pub fn new(cfg: OAuthConfig) -> Self {
        OAuth {
            cfg,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps inconsistent in a way that
        // matters for a test server.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `GET /oauth/authorize?...`: remembers the challenge and redirects with a one-time code.
    pub fn authorize(&self, query: &str) -> Answer {
        let q: HashMap<String, String> = parse_query(query).into_iter().collect();
        let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
        let problem = if get("response_type") != "code" {
            Some("response_type must be code")
        } else if get("client_id") != self.cfg.client_id {
            Some("unknown client_id")
        } else if get("code_challenge_method") != "S256" {
            Some("code_challenge_method must be S256")
        } else if get("code_challenge").is_empty() {
            Some("code_challenge is missing")
        } else if get("redirect_uri").is_empty() {
            Some("redirect_uri is missing")
        } else {
            None
        };
        if let Some(p) = problem {
            return Answer::text(400, format!("invalid authorization request: {p}"));
        }
        let code = format!("mock-code-{}", hex_id(32));
        let state = get("state").to_string();
        let redirect_uri = get("redirect_uri").to_string();
        self.lock().codes.insert(
            code.clone(),
            PendingCode {
                client_id: get("client_id").to_string(),
                redirect_uri: redirect_uri.clone(),
                challenge: get("code_challenge").to_string(),
                state: state.clone(),
                scope: q.get("scope").cloned().filter(|s| !s.is_empty()),
            },
        );
        let sep = if redirect_uri.contains('?') { '&' } else { '?' };
        let location = format!(
            "{redirect_uri}{sep}code={}&state={}",
            percent_encode(&code),
            percent_encode(&state)
        );
        let mut a = Answer::text(302, format!("{code}#{state}"));
        a.headers.push(("location".into(), location));
        a
    }

    /// `POST /v1/oauth/token` with a JSON (or form-encoded) body.
    pub fn token(&self, body: &[u8], content_type: Option<&str>) -> Answer {
        let fields: HashMap<String, String> = if content_type
            .is_some_and(|c| c.contains("application/x-www-form-urlencoded"))
        {
            parse_query(&String::from_utf8_lossy(body))
                .into_iter()
                .collect()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => m
                    .into_iter()
                    .map(|(k, v)| {
                        let s = match v {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, s)
                    })
                    .collect(),
                _ => {
                    let (a, d) = oauth_error("invalid_request", "the body must be a JSON object");
                    self.lock().grants.push(TokenGrant {
                        grant_type: String::new(),
                        ok: false,
                        error: Some(d),
                    });
                    return a;
                }
            }
        };
        let grant_type = field(&fields, "grant_type").to_string();
        let ttl = fields
            .get("expires_in")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(self.cfg.access_token_ttl_secs);
        let mut st = self.lock();
        let result = match grant_type.as_str() {
            "authorization_code" => self.exchange_code(&mut st, &fields),
            "refresh_token" => self.refresh(&mut st, &fields),
            _ => Err(oauth_error(
                "unsupported_grant_type",
                format!("unsupported grant_type '{grant_type}'"),
            )),
        };
        match result {
            Ok((refresh, scope)) => {
                let access = format!("sk-ant-oat01-mock-{}", hex_id(32));
                st.access
                    .insert(access.clone(), Instant::now() + Duration::from_secs(ttl));
                st.refresh.insert(refresh.clone());
                st.grants.push(TokenGrant {
                    grant_type,
                    ok: true,
                    error: None,
                });
                Answer::json(
                    200,
                    &json!({
                        "token_type": "Bearer",
                        "access_token": access,
                        "refresh_token": refresh,
                        "expires_in": ttl,
                        "scope": scope,
                        "account": {"uuid": self.cfg.account_uuid, "email_address": self.cfg.email},
                        "organization": {"uuid": self.cfg.organization_uuid},
                    }),
                )
            }
            Err((answer, description)) => {
                st.grants.push(TokenGrant {
                    grant_type,
                    ok: false,
                    error: Some(description),
                });
                answer
            }
        }
    }

    /// Checks an authorization code exchange; returns the new refresh token and the scope.
    fn exchange_code(
        &self,
        st: &mut State,
        fields: &HashMap<String, String>,
    ) -> Result<(String, String), (Answer, String)> {
        let get = |k: &str| field(fields, k);
        // One-time: the code is gone whatever the outcome.
        let Some(pending) = st.codes.remove(get("code")) else {
            return Err(oauth_error(
                "invalid_grant",
                "Invalid authorization code (unknown or already used)",
            ));
        };
        if get("client_id") != pending.client_id {
            return Err(oauth_error("invalid_grant", "client_id does not match"));
        }
        if get("redirect_uri") != pending.redirect_uri {
            return Err(oauth_error("invalid_grant", "redirect_uri does not match"));
        }
        if !get("state").is_empty() && get("state") != pending.state {
            return Err(oauth_error("invalid_grant", "state does not match"));
        }
        if get("code_verifier").is_empty()
            || s256_challenge(get("code_verifier")) != pending.challenge
        {
            return Err(oauth_error(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            ));
        }
        let scope = pending.scope.unwrap_or_else(|| self.cfg.scope.clone());
        Ok((format!("sk-ant-ort01-mock-{}", hex_id(32)), scope))
    }

    fn refresh(
        &self,
        st: &mut State,
        fields: &HashMap<String, String>,
    ) -> Result<(String, String), (Answer, String)> {
        let get = |k: &str| field(fields, k);
        let token = get("refresh_token");
        if get("client_id") != self.cfg.client_id {
            return Err(oauth_error("invalid_grant", "client_id does not match"));
        }
        if !st.refresh.contains(token) {
            return Err(oauth_error(
                "invalid_grant",
                "Refresh token not found or invalid",
            ));
        }
        let scope = Some(get("scope"))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.cfg.scope.clone());
        if self.cfg.rotate_refresh_tokens {
            st.refresh.remove(token);
            Ok((format!("sk-ant-ort01-mock-{}", hex_id(32)), scope))
        } else {
            Ok((token.to_string(), scope))
        }
    }

    /// Whether `token` is a live access token: `Err` carries the API's message.
    pub fn check_access(&self, token: Option<&str>) -> Result<(), &'static str> {
        let Some(token) = token else {
            return Err("Missing bearer token");
        };
        match self.lock().access.get(token) {
            Some(exp) if Instant::now() < *exp => Ok(()),
            Some(_) => Err("OAuth token has expired"),
            None => Err("Invalid bearer token"),
        }
    }

    pub fn seed(&self, access: &str, refresh: &str, expires_in_secs: u64) {
        let mut st = self.lock();
        if !access.is_empty() {
            st.access.insert(
                access.to_string(),
                Instant::now() + Duration::from_secs(expires_in_secs),
            );
        }
        if !refresh.is_empty() {
            st.refresh.insert(refresh.to_string());
        }
    }

    /// Forgets every code, token and grant.
    pub fn reset(&self) {
        *self.lock() = State::default();
    }

    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for exp in self.lock().access.values_mut() {
            *exp = now;
        }
    }

    pub fn revoke_refresh_token(&self, token: &str) -> bool {
        self.lock().refresh.remove(token)
    }

    pub fn current_refresh_tokens(&self) -> Vec<String> {
        let mut v: Vec<String> = self.lock().refresh.iter().cloned().collect();
        v.sort();
        v
    }

    pub fn live_access_tokens(&self) -> Vec<String> {
        let now = Instant::now();
        let mut v: Vec<String> = self
            .lock()
            .access
            .iter()
            .filter(|(_, exp)| now < **exp)
            .map(|(t, _)| t.clone())
            .collect();
        v.sort();
        v
    }

    pub fn grants(&self) -> Vec<TokenGrant> {
        self.lock().grants.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn seeded_tokens_expire_and_refresh_rotates() {
        let o = OAuth::new(OAuthConfig::default());
        o.seed("a1", "r1", 60);
        assert_eq!(o.check_access(Some("a1")), Ok(()));
        assert_eq!(o.check_access(Some("nope")), Err("Invalid bearer token"));
        o.expire_access_tokens();
        assert_eq!(o.check_access(Some("a1")), Err("OAuth token has expired"));
        let body = json!({"grant_type": "refresh_token", "refresh_token": "r1",
            "client_id": crate::scenario::CLAUDE_CODE_CLIENT_ID});
        let a = o.token(body.to_string().as_bytes(), Some("application/json"));
        assert_eq!(a.status, 200);
        let v: Value = serde_json::from_slice(&a.body).unwrap();
        let new_refresh = v["refresh_token"].as_str().unwrap();
        assert_ne!(new_refresh, "r1");
        assert_eq!(o.current_refresh_tokens(), vec![new_refresh.to_string()]);
        assert_eq!(
            o.check_access(v["access_token"].as_str()),
            Ok(()),
            "new access token works"
        );
        // The used token is dead now.
        let again = o.token(body.to_string().as_bytes(), None);
        assert_eq!(again.status, 400);
        let grants = o.grants();
        assert_eq!(grants.len(), 2);
        assert!(grants[0].ok && !grants[1].ok);
    }
}
