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
    match auth.source() {
        CredentialSource::StoredApiKey | CredentialSource::StoredOAuth => {
            // Read the store now so a permission fix is reported before the session starts.
            for w in auth.config().store.load()?.warnings {
                eprintln!("ccrs: warning: {w}");
            }
        }
        // A store that exists but cannot be read says why, rather than "no credentials".
        CredentialSource::None => {
            auth.config().store.load()?;
            return Err(AuthError::Missing.into());
        }
        _ => {}
    }
    Ok(Arc::new(auth))
}
