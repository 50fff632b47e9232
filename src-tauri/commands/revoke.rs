//! The Revoke screen: preview (reads only), revoke with live progress, finish or roll back an
//! interrupted revocation, recover, and the key-level emergency actions.

use crate::state::AppState;
use cmek_core::input::{labels, ClusterUuid, ConfirmText, KeyName, RecordId};
use cmek_core::Result;
use cmek_desk_core::Operation;
use cmek_revoke::{
    KeyActionReport, KeyPreview, RecoverReport, RevokeEvent, RevokePreview, RevokeReport,
    RevokeRequest,
};
use tauri::ipc::Channel;
use tauri::State;

/// Everything the confirmation shows: regions, what stops, who shares the SA or key, levers.
#[tauri::command]
pub async fn preview_revoke(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<RevokePreview> {
    let result = async {
        let id = ClusterUuid::parse(labels::CLUSTER_ID, &cluster_id)?;
        state.preview_revoke(id.as_str()).await
    };
    super::logged("preview_revoke", result.await)
}

/// Revokes CMEK for a cluster (`confirmName` must be its name), reporting every step.
#[tauri::command]
pub async fn revoke_cluster(
    request: RevokeRequest,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
) -> Result<RevokeReport> {
    let send = super::sink(on_event, "revoke_cluster");
    super::logged(
        "revoke_cluster",
        async {
            cmek_desk_core::input::check_revoke_request(&request)?;
            state.revoke_cluster(&request, &send).await
        }
        .await,
    )
}

/// Finishes a revocation a crash interrupted (listed by `pending_operations`).
#[tauri::command]
pub async fn resume_revoke(
    operation_id: String,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
) -> Result<RevokeReport> {
    let send = super::sink(on_event, "resume_revoke");
    super::logged(
        "resume_revoke",
        async {
            let id = RecordId::parse(labels::OPERATION_ID, &operation_id)?;
            state.resume_revoke(id.as_str(), &send).await
        }
        .await,
    )
}

/// Restores exactly what revocation `operation_id` removed (also rolls back an interrupted one).
#[tauri::command]
pub async fn recover_revoke(
    operation_id: String,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
) -> Result<RecoverReport> {
    let send = super::sink(on_event, "recover_revoke");
    super::logged(
        "recover_revoke",
        async {
            let id = RecordId::parse(labels::OPERATION_ID, &operation_id)?;
            state.recover_revoke(id.as_str(), &send).await
        }
        .await,
    )
}

/// Asks the running revocation or key action to stop before its next change.
#[tauri::command]
pub async fn cancel_revoke(state: State<'_, AppState>) -> Result<()> {
    state.cancel(Operation::Revoke);
    Ok(())
}

/// The key's versions, what each key action would touch, and the destroy guard (reads only).
#[tauri::command]
pub async fn preview_key(key: String, state: State<'_, AppState>) -> Result<KeyPreview> {
    let result = async {
        let key = KeyName::parse(labels::KEY_NAME, &key)?;
        state.preview_key(key.as_str()).await
    };
    super::logged("preview_key", result.await)
}

/// Disables every ENABLED version of `key` (`confirmKey` must be the key id).
#[tauri::command]
pub async fn disable_key_versions(
    key: String,
    confirm_key: String,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
) -> Result<KeyActionReport> {
    let send = super::sink(on_event, "disable_key_versions");
    let report = async {
        let key = KeyName::parse(labels::KEY_NAME, &key)?;
        let confirm = ConfirmText::parse(labels::CONFIRM_KEY, &confirm_key)?;
        state
            .disable_key_versions(key.as_str(), confirm.as_str(), &send)
            .await
    }
    .await;
    super::logged("disable_key_versions", report)
}

/// Restores every version scheduled for destruction (then enables it if `enableAfter`).
#[tauri::command]
pub async fn restore_key_versions(
    key: String,
    confirm_key: String,
    enable_after: bool,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
) -> Result<KeyActionReport> {
    let send = super::sink(on_event, "restore_key_versions");
    let report = async {
        let key = KeyName::parse(labels::KEY_NAME, &key)?;
        let confirm = ConfirmText::parse(labels::CONFIRM_KEY, &confirm_key)?;
        state
            .restore_key_versions(key.as_str(), confirm.as_str(), enable_after, &send)
            .await
    }
    .await;
    super::logged("restore_key_versions", report)
}
