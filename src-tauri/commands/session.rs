//! Sign-in and credentials: Google (system browser or existing credentials), the CockroachDB
//! Cloud API key, sign-out, and the live connection.

use crate::state::AppState;
use cmek_core::plan::ConnectionInfo;
use cmek_core::{Result, Secret};
use cmek_desk_core::wire::{CredentialSource, SessionStatus, SignInEvent};
use tauri::ipc::Channel;
use tauri::State;

/// Who is signed in, whether a key is stored, and any credential problem. The first call
/// restores the previous run's session from the keychain.
#[tauri::command]
pub async fn session_status(state: State<'_, AppState>) -> Result<SessionStatus> {
    super::logged("session_status", Ok(state.session_status().await))
}

/// Google sign-in in the system browser; `on_event` gets the URL (to copy when no browser opened).
#[tauri::command]
pub async fn sign_in_google(
    on_event: Channel<SignInEvent>,
    state: State<'_, AppState>,
) -> Result<SessionStatus> {
    let send = super::sink(on_event, "sign_in_google");
    super::logged("sign_in_google", state.sign_in_google(send).await)
}

/// Stops a sign-in that waits for the browser (its `sign_in_google` ends with `CANCELLED`).
#[tauri::command]
pub async fn cancel_sign_in(state: State<'_, AppState>) -> Result<()> {
    state.cancel_sign_in();
    Ok(())
}

/// Uses a service-account key file, Application Default Credentials or the gcloud user.
#[tauri::command]
pub async fn use_google_credentials(
    source: CredentialSource,
    state: State<'_, AppState>,
) -> Result<SessionStatus> {
    let result = async {
        cmek_desk_core::input::check_credential_source(&source)?;
        state.use_google_credentials(source).await
    }
    .await;
    super::logged("use_google_credentials", result)
}

/// Validates the CockroachDB Cloud API key and keeps it in the keychain. Never echoed.
#[tauri::command]
pub async fn save_cockroach_key(key: Secret, state: State<'_, AppState>) -> Result<SessionStatus> {
    super::logged("save_cockroach_key", state.save_cockroach_key(key).await)
}

/// Deletes the stored API key.
#[tauri::command]
pub async fn forget_cockroach_key(state: State<'_, AppState>) -> Result<SessionStatus> {
    super::logged("forget_cockroach_key", state.forget_cockroach_key().await)
}

/// Revokes the Google token at Google and deletes it from the keychain.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<SessionStatus> {
    super::logged("sign_out", state.sign_out().await)
}

/// Connects to Google Cloud and CockroachDB Cloud with the session's credentials.
#[tauri::command]
pub async fn connect_live(state: State<'_, AppState>) -> Result<ConnectionInfo> {
    super::logged("connect_live", state.connect_live().await)
}
