//! Credentials for the API: where they come from and how they are sent.
//!
//! Precedence (as in Claude Code): `ANTHROPIC_AUTH_TOKEN` (Bearer), `ANTHROPIC_API_KEY`, the
//! `apiKeyHelper` setting, `CLAUDE_CODE_OAUTH_TOKEN`, then ccrs's credential store (OAuth login or
//! a pasted API key). The API client asks an [`AuthProvider`] for the credential before every
//! request and tells it about a 401 so an OAuth token can be refreshed once.
//!
//! [`DefaultAuth`] implements that precedence; [`oauth`] runs the Claude-account login (PKCE),
//! [`store`] keeps what `ccrs login` saved, [`helper`] runs `apiKeyHelper`.

pub mod helper;
pub mod oauth;
pub mod pkce;
mod provider;
pub mod refresher;
pub mod store;

pub use provider::{AuthConfig, DefaultAuth, REFRESH_MARGIN};
pub use refresher::Refresher;
pub use store::{CredentialStore, MovedAside, OAuthTokens, StoredCredential};

use crate::BoxFuture;
use std::fmt;

/// How the credential goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthHeader {
    /// `x-api-key: <key>`.
    ApiKey(String),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// Both headers with the same value (what `apiKeyHelper` output is sent as).
    Both(String),
}

impl fmt::Debug for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        match self {
            AuthHeader::ApiKey(_) => f.write_str("ApiKey(***)"),
            AuthHeader::Bearer(_) => f.write_str("Bearer(***)"),
            AuthHeader::Both(_) => f.write_str("Both(***)"),
        }
    }
}

/// Where the credential came from (reported as `apiKeySource` and in `/status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    AuthTokenEnv,
    ApiKeyEnv,
    ApiKeyHelper,
    OAuthTokenEnv,
    StoredApiKey,
    StoredOAuth,
    None,
}

impl CredentialSource {
    /// The stream-json `apiKeySource` value.
    pub fn api_key_source(self) -> &'static str {
        match self {
            CredentialSource::ApiKeyEnv => "ANTHROPIC_API_KEY",
            CredentialSource::AuthTokenEnv => "ANTHROPIC_AUTH_TOKEN",
            CredentialSource::ApiKeyHelper => "apiKeyHelper",
            CredentialSource::StoredApiKey => "/login managed key",
            CredentialSource::OAuthTokenEnv
            | CredentialSource::StoredOAuth
            | CredentialSource::None => "none",
        }
    }

    /// A human description for `/status`.
    pub fn describe(self) -> &'static str {
        match self {
            CredentialSource::AuthTokenEnv => "ANTHROPIC_AUTH_TOKEN environment variable",
            CredentialSource::ApiKeyEnv => "ANTHROPIC_API_KEY environment variable",
            CredentialSource::ApiKeyHelper => "apiKeyHelper command from settings",
            CredentialSource::OAuthTokenEnv => "CLAUDE_CODE_OAUTH_TOKEN environment variable",
            CredentialSource::StoredApiKey => "API key stored by `ccrs login`",
            CredentialSource::StoredOAuth => "Claude account (OAuth) stored by `ccrs login`",
            CredentialSource::None => "none",
        }
    }
}

/// A credential ready to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub header: AuthHeader,
    pub source: CredentialSource,
    /// True for Claude-account OAuth tokens: requests need the `oauth-2025-04-20` beta and the
    /// system block the API requires for such tokens.
    pub is_oauth: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "no credentials: set ANTHROPIC_API_KEY (recommended) or run `ccrs login` (or `/login` in an interactive session)"
    )]
    Missing,
    #[error("your login has expired or was revoked: run `ccrs login` to log in again ({0})")]
    LoginExpired(String),
    #[error("apiKeyHelper failed: {0}")]
    Helper(String),
    #[error("credential store {path}: {message}")]
    Store { path: String, message: String },
    /// The store could not be parsed; it was kept under another name. The front end offers a
    /// new login.
    #[error(
        "the credential store {} could not be read ({}); it was moved to {} (kept, not deleted) — run `ccrs login` to log in again",
        .0.path.display(), .0.reason, .0.moved_to.display()
    )]
    StoreMovedAside(MovedAside),
    #[error("OAuth error: {0}")]
    OAuth(String),
}

/// Supplies credentials to the API client.
pub trait AuthProvider: Send + Sync {
    /// The credential for the next request.
    fn credential(&self) -> BoxFuture<'_, Result<Credential, AuthError>>;

    /// Called after a 401 with the credential that failed. Returns `Ok(true)` when a fresh
    /// credential is now available and the request should be retried (once).
    fn refresh_after_unauthorized<'a>(
        &'a self,
        _failed: &'a Credential,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async { Ok(false) })
    }

    /// Where the current credential comes from, without fetching it.
    fn source(&self) -> CredentialSource;
}

/// A fixed credential (environment variables, tests).
pub struct StaticAuth(pub Credential);

impl AuthProvider for StaticAuth {
    fn credential(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        let c = self.0.clone();
        Box::pin(async move { Ok(c) })
    }

    fn source(&self) -> CredentialSource {
        self.0.source
    }
}

/// Checks the shape of an Anthropic API key before storing it: `sk-ant-` followed by key
/// characters, no whitespace. The error says what is expected (and never echoes the key).
pub fn validate_api_key(key: &str) -> Result<(), String> {
    let key = key.trim();
    if key.is_empty() {
        return Err("no key was entered".into());
    }
    if !key.starts_with("sk-ant-") {
        return Err(
            "that is not an Anthropic API key: keys start with `sk-ant-` (create one at \
             https://console.anthropic.com/settings/keys)"
                .into(),
        );
    }
    if key.chars().any(char::is_whitespace) {
        return Err("the key contains spaces or line breaks: paste it as one piece".into());
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(
            "the key contains characters keys never have: only letters, digits, `-` and `_`".into(),
        );
    }
    if key.len() < 20 {
        return Err("the key is too short: paste the whole key".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_format() {
        assert!(validate_api_key("sk-ant-api03-abcdefghijklmnop_QRS-tuv").is_ok());
        assert!(validate_api_key("  sk-ant-api03-abcdefghijklmnop \n").is_ok());
        for bad in [
            "",
            "sk-proj-abcdefghijklmnopqrstuvwxyz",
            "sk-ant-api03-abc def-ghijklmnopqrst",
            "sk-ant-api03-abcdefghijkl\"mnopq",
            "sk-ant-x",
        ] {
            let e = validate_api_key(bad).unwrap_err();
            assert!(!e.contains("abcdefghijkl"), "echoes the key: {e}");
        }
        assert!(
            validate_api_key("sk-proj-1234567890abcdefghij")
                .unwrap_err()
                .contains("sk-ant-")
        );
    }

    #[test]
    fn credential_debug_hides_secrets() {
        let c = Credential {
            header: AuthHeader::Both("sk-ant-SECRET".into()),
            source: CredentialSource::ApiKeyHelper,
            is_oauth: false,
        };
        assert!(!format!("{c:?}").contains("SECRET"));
    }
}
