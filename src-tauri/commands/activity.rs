//! The Activity screen and the start-up banner: the activity log, interrupted operations, and
//! export (written to the app data folder; the path is returned to show).

use crate::activity::{Activity, APP_ACTOR};
use crate::state::AppState;
use cmek_activity::{ActivityEntry, ExportFormat, PendingOperation};
use cmek_core::Result;
use tauri::State;

/// Every entry of the activity log, oldest first.
#[tauri::command]
pub async fn activity_entries(activity: State<'_, Activity>) -> Result<Vec<ActivityEntry>> {
    super::logged("activity_entries", activity.log()?.entries())
}

/// Operations a crash interrupted (the UI offers "Finish revocation" or "Roll back").
#[tauri::command]
pub async fn pending_operations(activity: State<'_, Activity>) -> Result<Vec<PendingOperation>> {
    super::logged("pending_operations", activity.log()?.pending_operations())
}

/// Exports the whole log as JSON or CSV into the app data folder; returns the file's path.
#[tauri::command]
pub async fn export_activity(
    format: ExportFormat,
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
) -> Result<String> {
    let actor = match state.connection().await {
        Ok(c) => c.info.google_identity.clone(),
        Err(_) => APP_ACTOR.to_owned(),
    };
    super::logged("export_activity", activity.export(&actor, format))
}
