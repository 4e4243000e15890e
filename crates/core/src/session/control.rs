//! Changes a front end makes while a turn runs. [`Session::run`](super::Session::run) holds the
//! session mutably for the whole turn, so what must act during it goes through this cheap,
//! cloneable handle instead (the SDK's `interrupt`, `set_model`, `set_permission_mode` control
//! requests arrive on stdin while the turn streams):
//!
//! - [`SessionControl::interrupt`] cancels the running turn (the token `run` was given);
//! - [`SessionControl::set_model`] applies from the next API request on, also mid-turn;
//! - [`SessionControl::set_permission_mode`] applies to the next permission decision.
//!
//! Between turns the same calls work; `Session`'s own setters use them too, so both paths
//! behave alike.

use crate::agent::ModelSwitch;
use crate::cancel::CancelToken;
use crate::permissions::{Mode, PermissionEngine};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SessionControl {
    inner: Arc<Inner>,
}

struct Inner {
    model: ModelSwitch,
    permissions: Arc<PermissionEngine>,
    bypass_allowed: bool,
    disable_bypass: bool,
    /// The running turn's token.
    turn: Mutex<Option<CancelToken>>,
}

impl SessionControl {
    pub(super) fn new(
        model: ModelSwitch,
        permissions: Arc<PermissionEngine>,
        bypass_allowed: bool,
        disable_bypass: bool,
    ) -> Self {
        SessionControl {
            inner: Arc::new(Inner {
                model,
                permissions,
                bypass_allowed,
                disable_bypass,
                turn: Mutex::new(None),
            }),
        }
    }

    /// Records the token of the turn that starts (`None` when it ended).
    pub(super) fn set_turn(&self, token: Option<CancelToken>) {
        if let Ok(mut t) = self.inner.turn.lock() {
            *t = token;
        }
    }

    /// Cancels the running turn; false when none runs.
    pub fn interrupt(&self) -> bool {
        match self.inner.turn.lock().ok().and_then(|t| t.clone()) {
            Some(t) => {
                crate::debug_log!(crate::log::SESSION, "turn interrupted");
                t.cancel();
                true
            }
            None => false,
        }
    }

    /// True while a turn runs.
    pub fn turn_running(&self) -> bool {
        self.inner.turn.lock().is_ok_and(|t| t.is_some())
    }

    /// Uses `name` (an alias or an id) from the next request on; returns the id.
    pub fn set_model(&self, name: &str) -> String {
        let id = crate::models::resolve_alias(name);
        crate::debug_log!(crate::log::SESSION, "model set to {id}");
        self.inner.model.set(id.clone());
        id
    }

    /// A model set and not yet used by a request.
    pub fn pending_model(&self) -> Option<String> {
        self.inner.model.pending()
    }

    pub fn permission_mode(&self) -> Mode {
        self.inner.permissions.mode()
    }

    /// Switches the permission mode; bypass only when the session may use it.
    pub fn set_permission_mode(&self, mode: Mode) -> Result<(), String> {
        if mode == Mode::BypassPermissions && !self.inner.bypass_allowed {
            return Err(crate::permissions::bypass_refusal(self.inner.disable_bypass)
                .unwrap_or_else(|| {
                    "bypassPermissions mode needs --dangerously-skip-permissions or --allow-dangerously-skip-permissions".to_string()
                }));
        }
        crate::debug_log!(crate::log::SESSION, "permission mode set to {mode}");
        self.inner.permissions.try_set_mode(mode)
    }
}
