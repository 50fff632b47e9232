//! What the app remembers between commands: the signed-in session, the current connection and
//! the sandbox it may be talking to. No secrets are readable from here except through
//! `cmek_setup::Connection` and the session's keychain.

use cmek_core::{Error, ErrorCode, Result};
use cmek_setup::{ApplyControl, Connection};
use std::sync::Arc;
use tokio::sync::{Mutex, RwLock};

/// Managed by Tauri (`tauri::State<AppState>`).
pub struct AppState {
    /// Credentials: Google sign-in or existing credentials, the CockroachDB API key, the keychain.
    pub session: crate::session::Session,
    /// The connection every command uses; `None` until the user connects.
    connection: RwLock<Option<Arc<Connection>>>,
    /// The in-process sandbox, kept alive while the app talks to it.
    pub sandbox: crate::sandbox::Slot,
    /// The control of the latest apply, so "Stop" can cancel it.
    apply_control: Mutex<Option<ApplyControl>>,
}

impl Default for AppState {
    /// Settings from the environment and the OS keychain in this build's namespace.
    fn default() -> Self {
        let settings = crate::settings::Settings::from_environment();
        let namespace = settings.keychain_namespace();
        Self::new(crate::session::Session::new(
            settings,
            crate::session::Keychain::Os(namespace),
        ))
    }
}

impl AppState {
    /// With a given session (tests: settings and an `InMemoryStore`).
    pub fn new(session: crate::session::Session) -> Self {
        Self {
            session,
            connection: RwLock::new(None),
            sandbox: Default::default(),
            apply_control: Mutex::new(None),
        }
    }

    /// Forgets the current connection (after signing out).
    pub async fn clear_live_connection(&self) {
        let mut connection = self.connection.write().await;
        if connection
            .as_ref()
            .is_some_and(|c| c.info.mode == cmek_core::plan::ConnectionMode::Live)
        {
            *connection = None;
        }
    }
    /// The current connection, or `UNAUTHENTICATED` when the user has not connected yet.
    /// Returns a clone of the `Arc` so no lock is held during long calls (apply).
    pub async fn connection(&self) -> Result<Arc<Connection>> {
        self.connection.read().await.clone().ok_or_else(|| {
            Error::new(
                ErrorCode::Unauthenticated,
                "Not connected. Choose Sandbox or a Google account first.",
            )
        })
    }

    /// Replaces the current connection.
    pub async fn set_connection(&self, connection: Connection) {
        *self.connection.write().await = Some(Arc::new(connection));
    }

    /// A fresh control for a new apply, remembered so [`AppState::cancel_apply`] reaches it.
    pub async fn start_apply(&self) -> ApplyControl {
        let control = ApplyControl::default();
        *self.apply_control.lock().await = Some(control.clone());
        control
    }

    /// Asks the latest apply to stop before its next step or poll (no-op when none runs).
    pub async fn cancel_apply(&self) {
        if let Some(control) = self.apply_control.lock().await.as_ref() {
            control.cancel();
        }
    }
}
