//! Connecting: today the built-in sandbox; Google sign-in arrives with the keychain work.

use crate::{sandbox, state::AppState};
use cmek_core::plan::{ConnectionInfo, ConnectionMode};
use cmek_core::{Result, Secret};
use cmek_setup::Connection;
use tauri::State;

/// Starts (or reuses) the in-process sandbox on 127.0.0.1 and connects to it with its
/// static demo credentials.
#[tauri::command]
pub async fn connect_sandbox(state: State<'_, AppState>) -> Result<ConnectionInfo> {
    tracing::info!("connecting to the sandbox");
    let connect = async {
        let endpoints = sandbox::ensure_started(&state.sandbox).await?;
        let google = Secret::new(sandbox::GOOGLE_TOKEN);
        let cockroach = Secret::new(sandbox::COCKROACH_KEY);
        Connection::with_static_tokens(endpoints, google, cockroach, ConnectionMode::Sandbox).await
    };
    let connection = super::logged("connect_sandbox", connect.await)?;
    let info = connection.info.clone();
    state.set_connection(connection).await;
    Ok(info)
}
