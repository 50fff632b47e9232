//! Connecting to the built-in sandbox (the live connection is in `session`).

use crate::state::AppState;
use cmek_core::plan::ConnectionInfo;
use cmek_core::Result;
use tauri::State;

/// Starts (or reuses) the in-process sandbox on 127.0.0.1 and connects to it.
#[tauri::command]
pub async fn connect_sandbox(state: State<'_, AppState>) -> Result<ConnectionInfo> {
    super::logged("connect_sandbox", state.connect_sandbox().await)
}
