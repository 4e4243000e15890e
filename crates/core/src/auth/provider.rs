//! [`DefaultAuth`]: the environment, `apiKeyHelper` and the credential store, with Claude Code's
//! precedence, helper caching and single-flight OAuth refresh across tasks and processes.

use super::oauth::{self, OAuthConfig, TokenError};
use super::refresher::{Refreshed, Refresher};
use super::store::{CredentialStore, LOCK_WAIT, MovedAside, OAuthTokens, StoredCredential};
use super::{AuthError, AuthHeader, AuthProvider, Credential, CredentialSource, helper};
use crate::BoxFuture;
use std::sync::Mutex as StdMutex;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Refresh an OAuth access token this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Everything [`DefaultAuth`] reads, gathered once (tests build it by hand instead of touching
/// the process environment).
#[derive(Clone)]
pub struct AuthConfig {
    /// `ANTHROPIC_AUTH_TOKEN`.
    pub auth_token: Option<String>,
    /// `ANTHROPIC_API_KEY`.
    pub api_key: Option<String>,
    /// The `apiKeyHelper` setting.
    pub api_key_helper: Option<String>,
    /// `CLAUDE_CODE_API_KEY_HELPER_TTL_MS`, default 5 minutes.
    pub helper_ttl: Duration,
    pub helper_timeout: Duration,
    /// `CLAUDE_CODE_OAUTH_TOKEN`.
    pub oauth_token: Option<String>,
    pub store: CredentialStore,
    pub oauth: OAuthConfig,
    pub refresh_margin: Duration,
    /// Where OAuth refreshes run (the `ccrs` binary: a detached child, see
    /// [`super::refresher`]).
    pub refresher: Refresher,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| o.as_ref().map(|_| "***");
        f.debug_struct("AuthConfig")
            .field("auth_token", &set(&self.auth_token))
            .field("api_key", &set(&self.api_key))
            .field("api_key_helper", &self.api_key_helper)
            .field("helper_ttl", &self.helper_ttl)
            .field("oauth_token", &set(&self.oauth_token))
            .field("store", &self.store.path())
            .field("oauth", &self.oauth)
            .field("refresher", &self.refresher)
            .finish()
    }
}

/// Settings `env` entries count as environment variables (see [`crate::env`]).
fn env_nonempty(k: &str) -> Option<String> {
    crate::env::nonempty(k).map(|v| v.trim().to_string())
}

impl AuthConfig {
    /// From the process environment, the given `apiKeyHelper` setting and the default store.
    /// OAuth refreshes run in a detached copy of this executable, which must hand
    /// [`super::refresher::CHILD_ARG`] to [`super::refresher::run_child`] as `ccrs`'s `main`
    /// does (any other executable makes the refresh fall back to in-process).
    pub fn from_env(api_key_helper: Option<String>) -> Self {
        AuthConfig {
            auth_token: env_nonempty("ANTHROPIC_AUTH_TOKEN"),
            api_key: env_nonempty("ANTHROPIC_API_KEY"),
            api_key_helper: api_key_helper.filter(|h| !h.trim().is_empty()),
            helper_ttl: helper::ttl_from_env(),
            helper_timeout: helper::DEFAULT_TIMEOUT,
            oauth_token: env_nonempty("CLAUDE_CODE_OAUTH_TOKEN"),
            store: CredentialStore::at_default(),
            oauth: OAuthConfig::from_env(),
            refresh_margin: REFRESH_MARGIN,
            refresher: Refresher::this_binary(),
        }
    }

    /// A config with nothing set but the store (for tests and `ccrs login`).
    pub fn with_store(store: CredentialStore) -> Self {
        AuthConfig {
            auth_token: None,
            api_key: None,
            api_key_helper: None,
            helper_ttl: helper::DEFAULT_TTL,
            helper_timeout: helper::DEFAULT_TIMEOUT,
            oauth_token: None,
            store,
            oauth: OAuthConfig::default(),
            refresh_margin: REFRESH_MARGIN,
            refresher: Refresher::InProcess,
        }
    }

    /// Which source wins, without running the helper or touching the network (reads the small
    /// store file only when nothing else is set).
    pub fn source(&self) -> CredentialSource {
        if self.auth_token.is_some() {
            CredentialSource::AuthTokenEnv
        } else if self.api_key.is_some() {
            CredentialSource::ApiKeyEnv
        } else if self.api_key_helper.is_some() {
            CredentialSource::ApiKeyHelper
        } else if self.oauth_token.is_some() {
            CredentialSource::OAuthTokenEnv
        } else {
            self.store.peek()
        }
    }
}

/// The provider ccrs uses: see the module docs of [`crate::auth`] for the precedence.
pub struct DefaultAuth {
    cfg: AuthConfig,
    /// Set when an environment variable decides the credential.
    fixed: Option<Credential>,
    /// The helper's last output and when it was produced; the mutex makes runs single-flight.
    helper_cache: Mutex<Option<(String, Instant)>>,
    /// The stored credential in memory (`None`: read the store). Held across a refresh, so
    /// concurrent requests wait for one refresh instead of starting their own.
    stored: Mutex<Option<StoredCredential>>,
    source: StdMutex<CredentialSource>,
    warnings: StdMutex<Vec<String>>,
    /// The store was corrupt and has been moved aside (reported instead of "no credentials").
    moved_aside: StdMutex<Option<MovedAside>>,
}

impl DefaultAuth {
    pub fn new(cfg: AuthConfig) -> Self {
        let fixed = if let Some(t) = &cfg.auth_token {
            Some(Credential {
                header: AuthHeader::Bearer(t.clone()),
                source: CredentialSource::AuthTokenEnv,
                is_oauth: false,
            })
        } else if let Some(k) = &cfg.api_key {
            Some(Credential {
                header: AuthHeader::ApiKey(k.clone()),
                source: CredentialSource::ApiKeyEnv,
                is_oauth: false,
            })
        } else if cfg.api_key_helper.is_some() {
            None
        } else {
            cfg.oauth_token.as_ref().map(|t| Credential {
                header: AuthHeader::Bearer(t.clone()),
                source: CredentialSource::OAuthTokenEnv,
                is_oauth: true,
            })
        };
        let source = cfg.source();
        DefaultAuth {
            cfg,
            fixed,
            helper_cache: Mutex::new(None),
            stored: Mutex::new(None),
            source: StdMutex::new(source),
            warnings: StdMutex::new(Vec::new()),
            moved_aside: StdMutex::new(None),
        }
    }

    /// From the process environment, the `apiKeyHelper` setting and the default store.
    pub fn from_env(api_key_helper: Option<String>) -> Self {
        DefaultAuth::new(AuthConfig::from_env(api_key_helper))
    }

    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    /// Warnings gathered so far (e.g. store permissions fixed, a refreshed login that could not
    /// be saved); the front end prints them.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Forgets cached credentials so the next request reads the store (or runs the helper)
    /// again: the interactive UI calls this after `/login` and `/logout`, so a new login takes
    /// effect at once instead of after a 401.
    pub async fn reload(&self) {
        *self.stored.lock().await = None;
        *self.helper_cache.lock().await = None;
        if self.fixed.is_none() && self.cfg.api_key_helper.is_none() {
            self.set_source(self.cfg.store.peek());
        }
    }

    /// The corrupt store this process moved aside, if any: the front end offers a new login
    /// (and [`AuthProvider::credential`] reports [`AuthError::StoreMovedAside`] until then).
    pub fn moved_aside(&self) -> Option<MovedAside> {
        self.moved_aside
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads the store now (at start-up, so a problem with it shows before the session starts);
    /// the first request uses what was read instead of reading it again. Warnings go to
    /// [`take_warnings`](Self::take_warnings).
    pub fn preload_store(&self) -> Result<(), AuthError> {
        let loaded = self.load_store()?;
        if let Ok(mut stored) = self.stored.try_lock() {
            *stored = loaded;
        }
        Ok(())
    }

    fn warn(&self, w: impl IntoIterator<Item = String>) {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(w);
    }

    fn set_source(&self, s: CredentialSource) {
        *self.source.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    async fn helper_credential(&self, command: &str) -> Result<Credential, AuthError> {
        let mut cache = self.helper_cache.lock().await;
        let fresh = cache
            .as_ref()
            .filter(|(_, at)| at.elapsed() < self.cfg.helper_ttl)
            .map(|(v, _)| v.clone());
        let value = match fresh {
            Some(v) => v,
            None => {
                let v = helper::run(command, self.cfg.helper_timeout).await?;
                *cache = Some((v.clone(), Instant::now()));
                v
            }
        };
        Ok(Credential {
            header: AuthHeader::Both(value),
            source: CredentialSource::ApiKeyHelper,
            is_oauth: false,
        })
    }

    fn load_store(&self) -> Result<Option<StoredCredential>, AuthError> {
        let loaded = self.cfg.store.load()?;
        self.warn(loaded.warnings);
        if let Some(m) = loaded.moved_aside {
            *self.moved_aside.lock().unwrap_or_else(|p| p.into_inner()) = Some(m);
        }
        let c = loaded.credential;
        self.set_source(c.as_ref().map_or(CredentialSource::None, |c| c.source()));
        Ok(c)
    }

    /// No credential: the store that was moved aside, if that is why.
    fn missing(&self) -> AuthError {
        match self.moved_aside() {
            Some(m) => AuthError::StoreMovedAside(m),
            None => AuthError::Missing,
        }
    }

    async fn stored_credential(&self) -> Result<Credential, AuthError> {
        let mut guard = self.stored.lock().await;
        if guard.is_none() {
            *guard = self.load_store()?;
        }
        let Some(current) = guard.clone() else {
            return Err(self.missing());
        };
        if let StoredCredential::OAuth(t) = &current {
            let now = crate::timeutil::now_ms();
            if t.refresh_token.is_some() && t.expires_within(self.cfg.refresh_margin, now) {
                match self
                    .refresh_locked(&mut guard, &t.access_token, false)
                    .await
                {
                    Ok(()) => {}
                    // Still valid for a few minutes: use it and try again next time.
                    Err(AuthError::OAuth(_)) if !t.expires_within(Duration::ZERO, now) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        guard
            .as_ref()
            .map(to_credential)
            .ok_or_else(|| self.missing())
    }

    /// Refreshes the stored OAuth login, single-flight across processes (see
    /// [`refresh_store`]), in a detached refresher when there is one so that the exchange
    /// survives this process; `mem` gets what the store holds afterwards. `stale` is the access
    /// token we consider spent; `force` (after a 401) refreshes even if the store says it is
    /// still valid. The store is never changed when the refresh fails.
    async fn refresh_locked(
        &self,
        mem: &mut Option<StoredCredential>,
        stale: &str,
        force: bool,
    ) -> Result<(), AuthError> {
        let cfg = &self.cfg;
        let detached = match &cfg.refresher {
            Refresher::Detached { program, args } => {
                super::refresher::refresh_detached(
                    program,
                    args,
                    &cfg.store,
                    &cfg.oauth,
                    cfg.refresh_margin,
                    stale,
                    force,
                )
                .await?
            }
            Refresher::InProcess => None,
        };
        let refreshed = match detached {
            Some(r) => r,
            None => {
                // Refresh and save in a task of their own: if this request is dropped midway,
                // the rotated tokens are still saved (the old refresh token is spent once the
                // server answered), and the lock is released only after that.
                let (store, oauth) = (cfg.store.clone(), cfg.oauth.clone());
                let (margin, stale) = (cfg.refresh_margin, stale.to_string());
                tokio::spawn(async move {
                    refresh_store(&store, &oauth, margin, &stale, force, LOCK_WAIT).await
                })
                .await
                .map_err(|e| AuthError::OAuth(format!("the refresh was interrupted ({e})")))??
            }
        };
        self.warn(refreshed.warnings);
        let Some(c) = refreshed.credential else {
            *mem = None;
            return Err(self.missing());
        };
        self.set_source(c.source());
        *mem = Some(c);
        Ok(())
    }

    async fn after_unauthorized(&self, failed: &Credential) -> Result<bool, AuthError> {
        match failed.source {
            CredentialSource::ApiKeyHelper => {
                // Run the helper again on the retry, unless a concurrent request already did.
                let mut cache = self.helper_cache.lock().await;
                let failed_value = header_value(&failed.header);
                if cache.as_ref().is_some_and(|(v, _)| v == failed_value) {
                    *cache = None;
                }
                Ok(true)
            }
            CredentialSource::StoredOAuth => {
                let failed_token = header_value(&failed.header);
                let mut guard = self.stored.lock().await;
                let replaced = match &*guard {
                    Some(StoredCredential::OAuth(t)) => t.access_token != failed_token,
                    Some(StoredCredential::ApiKey(_)) => true,
                    None => false,
                };
                if replaced {
                    return Ok(true);
                }
                self.refresh_locked(&mut guard, failed_token, true).await?;
                Ok(true)
            }
            CredentialSource::StoredApiKey => {
                // A new `ccrs login` in another terminal may have replaced the key.
                let mut guard = self.stored.lock().await;
                let latest = self.load_store()?;
                let changed = latest.as_ref().is_some_and(|c| to_credential(c) != *failed);
                *guard = latest;
                Ok(changed)
            }
            _ => Ok(false),
        }
    }
}

/// The refresh itself, in whichever process runs it: under the store lock (waiting up to
/// `lock_wait`), re-reads the store and adopts a token another process already refreshed;
/// otherwise exchanges the refresh token and saves the rotated tokens durably the moment they
/// arrive. The store is never changed when the exchange fails.
pub(crate) async fn refresh_store(
    store: &CredentialStore,
    oauth_cfg: &OAuthConfig,
    margin: Duration,
    stale: &str,
    force: bool,
    lock_wait: Duration,
) -> Result<Refreshed, AuthError> {
    let lock = store.lock(lock_wait).await?;
    let loaded = store.load_locked(&lock)?;
    let mut warnings = loaded.warnings;
    let tokens = match loaded.credential {
        None => {
            return Err(match loaded.moved_aside {
                Some(m) => AuthError::StoreMovedAside(m),
                None => AuthError::Missing,
            });
        }
        Some(StoredCredential::OAuth(t)) => t,
        // Someone logged in with an API key meanwhile: use it.
        Some(c @ StoredCredential::ApiKey(_)) => {
            return Ok(Refreshed {
                credential: Some(c),
                warnings,
            });
        }
    };
    let now = crate::timeutil::now_ms();
    if !tokens.expires_within(margin, now) && (!force || tokens.access_token != stale) {
        return Ok(Refreshed {
            credential: Some(StoredCredential::OAuth(tokens)),
            warnings,
        });
    }
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return Err(AuthError::LoginExpired(
            "the access token expired and there is no refresh token".into(),
        ));
    };
    let fresh = refresh_with_retries(oauth_cfg, &refresh_token).await?;
    let cred = StoredCredential::OAuth(fresh);
    match store.save(&lock, &cred) {
        Ok(saved) => warnings.extend(saved.warnings),
        // The old refresh token is spent: keep going with the new one in memory, and say
        // that other processes may need a new login.
        Err(e) => warnings.push(format!(
            "the refreshed login could not be saved ({e}); other ccrs processes may need \
             `ccrs login`"
        )),
    }
    drop(lock);
    Ok(Refreshed {
        credential: Some(cred),
        warnings,
    })
}

/// One refresh with up to 3 attempts on transient failures; `invalid_grant` means log in again.
async fn refresh_with_retries(
    cfg: &OAuthConfig,
    refresh_token: &str,
) -> Result<OAuthTokens, AuthError> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match oauth::refresh(cfg, refresh_token).await {
            Ok(t) => return Ok(t),
            Err(TokenError::InvalidGrant(m)) => return Err(AuthError::LoginExpired(m)),
            Err(TokenError::Rejected(m)) => {
                return Err(AuthError::OAuth(format!(
                    "could not refresh the login: {m}"
                )));
            }
            Err(TokenError::Transient(m)) if attempt >= 3 => {
                return Err(AuthError::OAuth(format!(
                    "could not refresh the login after {attempt} attempts (the stored login is \
                     unchanged; try again): {m}"
                )));
            }
            Err(TokenError::Transient(_)) => {
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
        }
    }
}

fn header_value(h: &AuthHeader) -> &str {
    match h {
        AuthHeader::ApiKey(v) | AuthHeader::Bearer(v) | AuthHeader::Both(v) => v,
    }
}

fn to_credential(c: &StoredCredential) -> Credential {
    match c {
        StoredCredential::ApiKey(k) => Credential {
            header: AuthHeader::ApiKey(k.clone()),
            source: CredentialSource::StoredApiKey,
            is_oauth: false,
        },
        StoredCredential::OAuth(t) => Credential {
            header: AuthHeader::Bearer(t.access_token.clone()),
            source: CredentialSource::StoredOAuth,
            is_oauth: true,
        },
    }
}

impl AuthProvider for DefaultAuth {
    fn credential(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        Box::pin(async move {
            if let Some(c) = &self.fixed {
                return Ok(c.clone());
            }
            if let Some(cmd) = &self.cfg.api_key_helper {
                return self.helper_credential(cmd).await;
            }
            self.stored_credential().await
        })
    }

    fn refresh_after_unauthorized<'a>(
        &'a self,
        failed: &'a Credential,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(self.after_unauthorized(failed))
    }

    fn source(&self) -> CredentialSource {
        *self.source.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn store_in(d: &Path) -> CredentialStore {
        CredentialStore::new(d.join("claude-code-rs/credentials.json"))
    }

    fn oauth_tokens(access: &str, expires_at: Option<u64>) -> OAuthTokens {
        OAuthTokens {
            access_token: access.into(),
            refresh_token: Some("sk-ant-ort01-r".into()),
            expires_at,
            scopes: vec!["user:inference".into()],
        }
    }

    /// A helper script that counts its runs in `count` and prints `key`.
    fn counting_helper(d: &Path, key: &str) -> (String, std::path::PathBuf) {
        let count = d.join("helper-runs");
        (
            format!("echo run >> '{}'; echo '{key}'", count.display()),
            count,
        )
    }

    fn runs(count: &Path) -> usize {
        std::fs::read_to_string(count)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn precedence_follows_claude_code() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        store
            .login_save(&StoredCredential::ApiKey("sk-ant-stored-key-000000".into()))
            .unwrap();
        let (helper, count) = counting_helper(d.path(), "sk-ant-helper");
        let mut cfg = AuthConfig {
            auth_token: Some("gateway-token".into()),
            api_key: Some("sk-ant-env".into()),
            api_key_helper: Some(helper),
            oauth_token: Some("sk-ant-oat01-env".into()),
            ..AuthConfig::with_store(store)
        };
        let expect = [
            (
                AuthHeader::Bearer("gateway-token".into()),
                CredentialSource::AuthTokenEnv,
                false,
            ),
            (
                AuthHeader::ApiKey("sk-ant-env".into()),
                CredentialSource::ApiKeyEnv,
                false,
            ),
            (
                AuthHeader::Both("sk-ant-helper".into()),
                CredentialSource::ApiKeyHelper,
                false,
            ),
            (
                AuthHeader::Bearer("sk-ant-oat01-env".into()),
                CredentialSource::OAuthTokenEnv,
                true,
            ),
            (
                AuthHeader::ApiKey("sk-ant-stored-key-000000".into()),
                CredentialSource::StoredApiKey,
                false,
            ),
        ];
        for (i, (header, source, is_oauth)) in expect.into_iter().enumerate() {
            assert_eq!(cfg.source(), source, "step {i}");
            let auth = DefaultAuth::new(cfg.clone());
            assert_eq!(auth.source(), source, "step {i}");
            let c = auth.credential().await.unwrap();
            assert_eq!(
                c,
                Credential {
                    header,
                    source,
                    is_oauth
                },
                "step {i}"
            );
            match i {
                0 => cfg.auth_token = None,
                1 => cfg.api_key = None,
                2 => cfg.api_key_helper = None,
                3 => cfg.oauth_token = None,
                _ => {}
            }
        }
        // Only the step where the helper won ran it.
        assert_eq!(runs(&count), 1);
    }

    #[tokio::test]
    async fn detecting_the_source_never_runs_the_helper() {
        let d = tempfile::tempdir().unwrap();
        let (helper, count) = counting_helper(d.path(), "k");
        let cfg = AuthConfig {
            api_key_helper: Some(helper),
            ..AuthConfig::with_store(store_in(d.path()))
        };
        assert_eq!(cfg.source(), CredentialSource::ApiKeyHelper);
        assert_eq!(
            DefaultAuth::new(cfg).source(),
            CredentialSource::ApiKeyHelper
        );
        assert_eq!(runs(&count), 0);
    }

    #[tokio::test]
    async fn nothing_configured_is_missing() {
        let d = tempfile::tempdir().unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store_in(d.path())));
        assert_eq!(auth.source(), CredentialSource::None);
        let e = auth.credential().await.unwrap_err();
        assert!(matches!(e, AuthError::Missing));
        assert!(e.to_string().contains("ccrs login"));
    }

    #[tokio::test]
    async fn helper_output_is_cached_and_rerun_after_401() {
        let d = tempfile::tempdir().unwrap();
        let (helper, count) = counting_helper(d.path(), "sk-ant-from-helper");
        let auth = DefaultAuth::new(AuthConfig {
            api_key_helper: Some(helper),
            ..AuthConfig::with_store(store_in(d.path()))
        });
        // Concurrent first requests share one run.
        let (a, b, c) = tokio::join!(auth.credential(), auth.credential(), auth.credential());
        for r in [a, b, c] {
            assert_eq!(
                r.unwrap().header,
                AuthHeader::Both("sk-ant-from-helper".into())
            );
        }
        assert_eq!(runs(&count), 1);
        let cred = auth.credential().await.unwrap();
        assert_eq!(runs(&count), 1);
        // A 401 drops the cached value: the retry runs the helper again, once.
        assert!(auth.refresh_after_unauthorized(&cred).await.unwrap());
        auth.credential().await.unwrap();
        auth.credential().await.unwrap();
        assert_eq!(runs(&count), 2);
    }

    #[tokio::test]
    async fn helper_ttl_expires_the_cache() {
        let d = tempfile::tempdir().unwrap();
        let (helper, count) = counting_helper(d.path(), "k1");
        let auth = DefaultAuth::new(AuthConfig {
            api_key_helper: Some(helper),
            helper_ttl: Duration::from_millis(100),
            ..AuthConfig::with_store(store_in(d.path()))
        });
        auth.credential().await.unwrap();
        auth.credential().await.unwrap();
        assert_eq!(runs(&count), 1);
        tokio::time::sleep(Duration::from_millis(150)).await;
        auth.credential().await.unwrap();
        assert_eq!(runs(&count), 2);
    }

    #[tokio::test]
    async fn failing_helper_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let auth = DefaultAuth::new(AuthConfig {
            api_key_helper: Some("echo 'op: not signed in' >&2; exit 1".into()),
            ..AuthConfig::with_store(store_in(d.path()))
        });
        let e = auth.credential().await.unwrap_err();
        assert!(matches!(e, AuthError::Helper(_)));
        assert!(e.to_string().contains("op: not signed in"), "{e}");
    }

    #[tokio::test]
    async fn env_credentials_are_not_refreshed() {
        let d = tempfile::tempdir().unwrap();
        let auth = DefaultAuth::new(AuthConfig {
            api_key: Some("sk-ant-env".into()),
            ..AuthConfig::with_store(store_in(d.path()))
        });
        let c = auth.credential().await.unwrap();
        assert!(!auth.refresh_after_unauthorized(&c).await.unwrap());
    }

    #[tokio::test]
    async fn stored_api_key_is_picked_up_again_after_a_401_if_it_changed() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        store
            .login_save(&StoredCredential::ApiKey("sk-ant-old-key-0000000".into()))
            .unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store.clone()));
        let c = auth.credential().await.unwrap();
        assert_eq!(c.source, CredentialSource::StoredApiKey);
        // Same key: nothing to retry with.
        assert!(!auth.refresh_after_unauthorized(&c).await.unwrap());
        // `ccrs login` in another terminal.
        store
            .login_save(&StoredCredential::ApiKey("sk-ant-new-key-0000000".into()))
            .unwrap();
        assert!(auth.refresh_after_unauthorized(&c).await.unwrap());
        assert_eq!(
            auth.credential().await.unwrap().header,
            AuthHeader::ApiKey("sk-ant-new-key-0000000".into())
        );
    }

    #[tokio::test]
    async fn reload_picks_up_a_new_login_and_a_logout() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        let auth = DefaultAuth::new(AuthConfig::with_store(store.clone()));
        assert!(matches!(auth.credential().await, Err(AuthError::Missing)));
        store
            .login_save(&StoredCredential::OAuth(oauth_tokens(
                "sk-ant-oat01-new",
                Some(crate::timeutil::now_ms() + 3_600_000),
            )))
            .unwrap();
        auth.reload().await;
        assert_eq!(auth.source(), CredentialSource::StoredOAuth);
        let c = auth.credential().await.unwrap();
        assert_eq!(c.header, AuthHeader::Bearer("sk-ant-oat01-new".into()));
        // Switching to an API key: the cached OAuth token is dropped at once.
        store
            .login_save(&StoredCredential::ApiKey("sk-ant-key-00000000000".into()))
            .unwrap();
        auth.reload().await;
        assert_eq!(auth.source(), CredentialSource::StoredApiKey);
        assert_eq!(
            auth.credential().await.unwrap().header,
            AuthHeader::ApiKey("sk-ant-key-00000000000".into())
        );
        store.logout().unwrap();
        auth.reload().await;
        assert_eq!(auth.source(), CredentialSource::None);
        assert!(matches!(auth.credential().await, Err(AuthError::Missing)));
    }

    #[tokio::test]
    async fn a_preloaded_store_is_not_read_again() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        store
            .login_save(&StoredCredential::ApiKey("sk-ant-key-00000000000".into()))
            .unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store.clone()));
        auth.preload_store().unwrap();
        std::fs::remove_file(store.path()).unwrap();
        assert_eq!(
            auth.credential().await.unwrap().header,
            AuthHeader::ApiKey("sk-ant-key-00000000000".into())
        );
        // A corrupt store is moved aside by the preload and reported as such.
        std::fs::write(store.path(), b"{oops").unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store.clone()));
        auth.preload_store().unwrap();
        let m = auth.moved_aside().unwrap();
        assert_eq!(std::fs::read(&m.moved_to).unwrap(), b"{oops");
        assert!(!store.path().exists());
    }

    #[tokio::test]
    async fn corrupt_store_is_reported_not_a_crash() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        std::fs::write(store.path(), b"\x00\x01garbage").unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store.clone()));
        assert_eq!(auth.source(), CredentialSource::None);
        let e = auth.credential().await.unwrap_err();
        let AuthError::StoreMovedAside(m) = &e else {
            panic!("{e}")
        };
        assert!(e.to_string().contains("ccrs login"), "{e}");
        assert!(e.to_string().contains("kept, not deleted"), "{e}");
        // Kept under another name, never deleted.
        assert_eq!(std::fs::read(&m.moved_to).unwrap(), b"\x00\x01garbage");
        assert!(!store.path().exists());
        // Asking again says the same (until a new login).
        assert!(matches!(
            auth.credential().await,
            Err(AuthError::StoreMovedAside(_))
        ));
    }

    #[tokio::test]
    async fn permission_fix_is_reported_as_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        store
            .login_save(&StoredCredential::ApiKey("sk-ant-key-00000000000".into()))
            .unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store.clone()));
        auth.credential().await.unwrap();
        let w = auth.take_warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("0600"));
        assert!(auth.take_warnings().is_empty());
    }

    #[tokio::test]
    async fn failed_refresh_keeps_the_store_and_uses_a_still_valid_token() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        let now = crate::timeutil::now_ms();
        // Inside the refresh margin but not yet expired.
        let tokens = oauth_tokens("sk-ant-oat01-still-valid", Some(now + 60_000));
        store
            .login_save(&StoredCredential::OAuth(tokens.clone()))
            .unwrap();
        let before = std::fs::read(store.path()).unwrap();
        let mut cfg = AuthConfig::with_store(store.clone());
        // Nothing listens there: every refresh attempt fails to connect.
        cfg.oauth.token_url = "http://127.0.0.1:1/v1/oauth/token".into();
        cfg.oauth.timeout = Duration::from_secs(2);
        let auth = DefaultAuth::new(cfg.clone());
        let c = auth.credential().await.unwrap();
        assert_eq!(
            c.header,
            AuthHeader::Bearer("sk-ant-oat01-still-valid".into())
        );
        assert!(c.is_oauth);
        assert_eq!(std::fs::read(store.path()).unwrap(), before);

        // Expired for real: the failure is reported, the store is still untouched.
        store
            .login_save(&StoredCredential::OAuth(oauth_tokens(
                "sk-ant-oat01-expired",
                Some(now - 1000),
            )))
            .unwrap();
        let before = std::fs::read(store.path()).unwrap();
        let auth = DefaultAuth::new(cfg);
        let e = auth.credential().await.unwrap_err();
        assert!(matches!(e, AuthError::OAuth(_)), "{e}");
        assert!(e.to_string().contains("unchanged"), "{e}");
        assert_eq!(std::fs::read(store.path()).unwrap(), before);
    }

    #[tokio::test]
    async fn expired_token_without_refresh_token_asks_for_login_after_401() {
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        let mut t = oauth_tokens("sk-ant-oat01-old", Some(1000));
        t.refresh_token = None;
        store.login_save(&StoredCredential::OAuth(t)).unwrap();
        let auth = DefaultAuth::new(AuthConfig::with_store(store));
        let c = auth.credential().await.unwrap();
        let e = auth.refresh_after_unauthorized(&c).await.unwrap_err();
        assert!(matches!(e, AuthError::LoginExpired(_)), "{e}");
        assert!(e.to_string().contains("ccrs login"), "{e}");
    }
}
