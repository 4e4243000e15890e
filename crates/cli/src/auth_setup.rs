//! Chooses the credential provider for a session.

use anyhow::Result;
use ccrs_core::auth::{AuthError, AuthProvider, StaticAuth};
use ccrs_core::settings::Settings;
use std::sync::Arc;

/// The provider for this session. Fails with an actionable message when there is no credential.
pub fn provider(_settings: &Settings) -> Result<Arc<dyn AuthProvider>> {
    if let Some(c) = ccrs_core::auth::from_env().or_else(ccrs_core::auth::oauth_token_from_env) {
        return Ok(Arc::new(StaticAuth(c)));
    }
    Err(AuthError::Missing.into())
}
