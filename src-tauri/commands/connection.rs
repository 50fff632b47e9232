//! Connecting: today the built-in sandbox; Google sign-in arrives with the keychain work.

use crate::{activity::Activity, sandbox, state::AppState};
use cmek_core::plan::ConnectionInfo;
use cmek_core::Result;
use tauri::State;

/// Starts (or reuses) the in-process sandbox on 127.0.0.1 and connects to it.
#[tauri::command]
pub async fn connect_sandbox(
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
) -> Result<ConnectionInfo> {
    tracing::info!("connecting to the sandbox");
    let connection = super::logged_as(
        "connect_sandbox",
        sandbox::connect(&state.sandbox).await,
        |c| &c.info,
    )?;
    let info = connection.info.clone();
    state.set_connection(connection).await;
    let org = &info.organization.id;
    activity.record(
        &info.google_identity,
        "connect",
        org,
        "Connected to the sandbox",
        &info,
    );
    Ok(info)
}
