//! What the app remembers between commands: the current connection and the sandbox it may
//! be talking to. No secrets are readable from here except through `cmek_setup::Connection`.

use cmek_core::{Error, ErrorCode, Result};
use cmek_setup::{ApplyControl, Connection};
use std::sync::Arc;
use tokio::sync::{Mutex, RwLock};

/// Managed by Tauri (`tauri::State<AppState>`).
#[derive(Default)]
pub struct AppState {
    /// The connection every command uses; `None` until the user connects.
    connection: RwLock<Option<Arc<Connection>>>,
    /// The in-process sandbox, kept alive while the app talks to it.
    pub sandbox: crate::sandbox::Slot,
    /// The control of the latest apply, so "Stop" can cancel it.
    apply_control: Mutex<Option<ApplyControl>>,
}

impl AppState {
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
