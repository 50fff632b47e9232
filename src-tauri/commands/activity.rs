//! The Activity screen and the start-up banner: the activity log, interrupted operations, and
//! export (written to the data folder; the path is returned to show).

use crate::state::AppState;
use cmek_activity::{ActivityEntry, ChainVerification, ExportFormat, PendingOperation};
use cmek_core::Result;
use cmek_desk_core::activity_rows::ActivityRow;
use tauri::State;

/// Every entry of the activity log, oldest first.
#[tauri::command]
pub async fn activity_entries(state: State<'_, AppState>) -> Result<Vec<ActivityEntry>> {
    super::logged("activity_entries", state.activity_entries())
}

/// The log as the Activity screen shows it: one row per write (intent paired with its
/// outcome), per operation or per fact, oldest first (`Desk::activity_rows`).
#[tauri::command]
pub async fn activity_rows(state: State<'_, AppState>) -> Result<Vec<ActivityRow>> {
    super::logged("activity_rows", state.activity_rows())
}

/// Operations a crash interrupted (the UI offers "Finish revocation" or "Roll back").
#[tauri::command]
pub async fn pending_operations(state: State<'_, AppState>) -> Result<Vec<PendingOperation>> {
    super::logged("pending_operations", state.pending_operations())
}

/// The activity log's tamper-evident chain checked now: the start-up banner says when it is
/// not trustworthy and names the first bad entry (finish and roll back are then refused).
#[tauri::command]
pub async fn verify_activity(state: State<'_, AppState>) -> Result<ChainVerification> {
    super::logged("verify_activity", state.verify_activity())
}

/// Exports the whole log as JSON or CSV into the data folder; returns the file's path.
#[tauri::command]
pub async fn export_activity(format: ExportFormat, state: State<'_, AppState>) -> Result<String> {
    super::logged("export_activity", state.export_activity(format).await)
}
