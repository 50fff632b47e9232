//! Connecting to the built-in sandbox (the live connection is in `session`), disconnecting,
//! and opening the CockroachDB documentation the screens cite.

use crate::state::AppState;
use cmek_core::plan::ConnectionInfo;
use cmek_core::Result;
use tauri::State;

/// Starts (or reuses) the in-process sandbox on 127.0.0.1 and connects to it.
#[tauri::command]
pub async fn connect_sandbox(state: State<'_, AppState>) -> Result<ConnectionInfo> {
    super::logged("connect_sandbox", state.connect_sandbox().await)
}

/// Forgets the current connection (Disconnect / Switch connection); the keychain keeps the
/// credentials.
#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>) -> Result<()> {
    state.disconnect().await;
    super::logged("disconnect", Ok(()))
}

/// Opens a page of the CockroachDB documentation in the system browser (other links refused).
#[tauri::command]
pub async fn open_docs(url: String, state: State<'_, AppState>) -> Result<()> {
    super::logged("open_docs", state.open_docs(&url))
}
