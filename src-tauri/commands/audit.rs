//! The Audit screen: scan the chosen projects (progress through a Channel, cancellable) and
//! export the last report (JSON, CSV, printable HTML, OCSF) into the export folder.

use crate::state::AppState;
use cmek_audit::export::AuditExportFormat;
use cmek_audit::{AuditReport, ScanEvent, ScanOptions};
use cmek_core::Result;
use cmek_desk_core::Operation;
use tauri::ipc::Channel;
use tauri::State;

/// Scans `options.projects` (and the CockroachDB clusters), sending every progress event.
#[tauri::command]
pub async fn start_audit(
    options: ScanOptions,
    on_event: Channel<ScanEvent>,
    state: State<'_, AppState>,
) -> Result<AuditReport> {
    let send = super::sink(on_event, "start_audit");
    let result = async {
        cmek_desk_core::input::check_scan_options(&options)?;
        state.start_audit(&options, &send).await
    };
    super::logged("start_audit", result.await)
}

/// Asks the running scan to stop; what was read is kept. A no-op when none runs.
#[tauri::command]
pub async fn cancel_audit(state: State<'_, AppState>) -> Result<()> {
    state.cancel(Operation::Audit);
    Ok(())
}

/// Writes the last report in `format` into the export folder and returns the file's path.
#[tauri::command]
pub async fn export_audit(format: AuditExportFormat, state: State<'_, AppState>) -> Result<String> {
    super::logged("export_audit", state.export_audit(format))
}
