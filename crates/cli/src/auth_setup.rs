//! Chooses the credential provider for a session.

use anyhow::Result;
use ccrs_core::auth::{AuthError, AuthProvider, CredentialSource, DefaultAuth};
use ccrs_core::settings::Settings;
use std::sync::Arc;

/// The provider for this session: environment, `apiKeyHelper`, then `ccrs login`'s store. Fails
/// with an actionable message when there is no credential.
pub fn provider(settings: &Settings) -> Result<Arc<dyn AuthProvider>> {
    Ok(default_provider(settings)?)
}

/// [`provider`] as its concrete type, for the interactive UI (it calls
/// [`DefaultAuth::reload`] after `/login` and `/logout`).
pub fn default_provider(settings: &Settings) -> Result<Arc<DefaultAuth>> {
    let auth = DefaultAuth::from_env(settings.api_key_helper());
    if matches!(
        auth.source(),
        CredentialSource::StoredApiKey | CredentialSource::StoredOAuth | CredentialSource::None
    ) {
        // Read the store now: a store that exists but cannot be read says why (rather than "no
        // credentials"), and a permission fix is reported before the session starts.
        auth.preload_store()?;
        if auth.source() == CredentialSource::None {
            // A corrupt store was moved aside: a typed error, so the front end can offer a
            // login instead of just failing.
            return Err(match auth.moved_aside() {
                Some(m) => AuthError::StoreMovedAside(m).into(),
                None => AuthError::Missing.into(),
            });
        }
        for w in auth.take_warnings() {
            eprintln!("ccrs: warning: {w}");
        }
    }
    Ok(Arc::new(auth))
}
