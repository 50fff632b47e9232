//! The Revoke screen: preview (reads only), revoke with live progress, finish or roll back an
//! interrupted revocation, recover, and the key-level emergency actions. Each calls one
//! `cmek_revoke` function with the connection's context and the app's activity log.

use crate::activity::{revoke_context, Activity};
use crate::state::AppState;
use cmek_activity::ActivityLog;
use cmek_core::Result;
use cmek_revoke::{
    KeyActionReport, KeyPreview, RecoverReport, RevokeContext, RevokeEvent, RevokePreview,
    RevokeReport, RevokeRequest,
};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::State;

/// What every command that changes something needs: the connection's revoke context, the
/// activity log, and a sink that sends each event to the window (recorded as `command`).
async fn changing(
    command: &'static str,
    on_event: Channel<RevokeEvent>,
    state: &AppState,
    activity: &Activity,
) -> Result<(
    RevokeContext,
    Arc<ActivityLog>,
    impl Fn(RevokeEvent) + Send + Sync,
)> {
    let ctx = revoke_context(&*state.connection().await?);
    let log = activity.log()?;
    Ok((ctx, log, move |e| super::send_event(&on_event, command, e)))
}

/// Everything the confirmation shows: regions, what stops, who shares the SA or key, levers.
#[tauri::command]
pub async fn preview_revoke(
    cluster_id: String,
    state: State<'_, AppState>,
) -> Result<RevokePreview> {
    let ctx = revoke_context(&*state.connection().await?);
    super::logged(
        "preview_revoke",
        cmek_revoke::preview_revoke(&ctx, &cluster_id).await,
    )
}

/// Revokes CMEK for a cluster (`confirmName` must be its name), reporting every step.
#[tauri::command]
pub async fn revoke_cluster(
    request: RevokeRequest,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
) -> Result<RevokeReport> {
    let (ctx, log, send) = changing("revoke_cluster", on_event, &state, &activity).await?;
    let control = activity.start();
    super::logged(
        "revoke_cluster",
        cmek_revoke::revoke(&ctx, &log, &request, &control, &send).await,
    )
}

/// Finishes a revocation a crash interrupted (listed by `pending_operations`).
#[tauri::command]
pub async fn resume_revoke(
    operation_id: String,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
) -> Result<RevokeReport> {
    let (ctx, log, send) = changing("resume_revoke", on_event, &state, &activity).await?;
    let control = activity.start();
    super::logged(
        "resume_revoke",
        cmek_revoke::resume_revoke(&ctx, &log, &operation_id, &control, &send).await,
    )
}

/// Restores exactly what revocation `operation_id` removed (also rolls back an interrupted one).
#[tauri::command]
pub async fn recover_revoke(
    operation_id: String,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
) -> Result<RecoverReport> {
    let (ctx, log, send) = changing("recover_revoke", on_event, &state, &activity).await?;
    super::logged(
        "recover_revoke",
        cmek_revoke::recover(&ctx, &log, &operation_id, &send).await,
    )
}

/// Asks the running revocation or key action to stop before its next change.
#[tauri::command]
pub async fn cancel_revoke(activity: State<'_, Activity>) -> Result<()> {
    activity.cancel();
    Ok(())
}

/// The key's versions, what each key action would touch, and the destroy guard (reads only).
#[tauri::command]
pub async fn preview_key(key: String, state: State<'_, AppState>) -> Result<KeyPreview> {
    let ctx = revoke_context(&*state.connection().await?);
    super::logged("preview_key", cmek_revoke::preview_key(&ctx, &key).await)
}

/// Disables every ENABLED version of `key` (`confirmKey` must be the key id).
#[tauri::command]
pub async fn disable_key_versions(
    key: String,
    confirm_key: String,
    on_event: Channel<RevokeEvent>,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
) -> Result<KeyActionReport> {
    let (ctx, log, send) = changing("disable_key_versions", on_event, &state, &activity).await?;
    let control = activity.start();
    let report =
        cmek_revoke::disable_all_versions(&ctx, &log, &key, &confirm_key, &control, &send).await;
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
    activity: State<'_, Activity>,
) -> Result<KeyActionReport> {
    let (ctx, log, send) = changing("restore_key_versions", on_event, &state, &activity).await?;
    let control = activity.start();
    let report = cmek_revoke::restore_scheduled_versions(
        &ctx,
        &log,
        &key,
        &confirm_key,
        enable_after,
        &control,
        &send,
    )
    .await;
    super::logged("restore_key_versions", report)
}
