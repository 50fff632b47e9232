//! The Audit screen: scan the chosen projects (progress through a Channel, cancellable), keep
//! the last report, and export it (JSON, CSV, printable HTML, OCSF) into the export folder.
//! Each command calls one `cmek_audit` function; the report is read-only data (no secret).

use crate::state::AppState;
use cmek_audit::export::{write_export, AuditExportFormat};
use cmek_audit::{run_audit, AuditClients, AuditReport, ScanEvent, ScanOptions};
use cmek_core::{Error, ErrorCode, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::ipc::Channel;
use tauri::{Manager, State};

/// Managed by Tauri: the running scan's cancel flag and the last report (for export).
#[derive(Default)]
pub struct AuditSession {
    cancel: Mutex<Arc<AtomicBool>>,
    last: Mutex<Option<Arc<AuditReport>>>,
}

impl AuditSession {
    fn start(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = flag.clone();
        flag
    }
    fn cancel(&self) {
        self.cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .store(true, Ordering::SeqCst);
    }
    fn keep(&self, report: &AuditReport) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(report.clone()));
    }
    fn last(&self) -> Result<Arc<AuditReport>> {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::FailedPrecondition,
                    "No audit has run yet: start a scan first.",
                )
            })
    }
}

/// Scans `options.projects` (and the CockroachDB clusters), sending every progress event.
/// Never fails once connected: per-project errors are on their rows; a cancelled scan returns
/// its partial report (`cancelled: true`).
#[tauri::command]
pub async fn start_audit(
    options: ScanOptions,
    on_event: Channel<ScanEvent>,
    state: State<'_, AppState>,
    audit: State<'_, AuditSession>,
) -> Result<AuditReport> {
    let connection = state.connection().await?;
    let cancel = audit.start();
    let send = move |e: ScanEvent| super::send_event(&on_event, "start_audit", e);
    let clients = AuditClients {
        google: &connection.google,
        cockroach: Some(&connection.cockroach),
        identity: &connection.info.google_identity,
    };
    let report = run_audit(clients, &options, &cancel, &send).await;
    audit.keep(&report);
    super::logged("start_audit", Ok(report))
}

/// Asks the running scan to stop; what was read is kept. A no-op when none runs.
#[tauri::command]
pub async fn cancel_audit(audit: State<'_, AuditSession>) -> Result<()> {
    audit.cancel();
    Ok(())
}

/// Writes the last report in `format` into the export folder and returns the file's path:
/// `CMEK_DESK_EXPORT_DIR`, else `{CMEK_DESK_DATA_DIR or the app data folder}/exports`.
#[tauri::command]
pub async fn export_audit<R: tauri::Runtime>(
    format: AuditExportFormat,
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    audit: State<'_, AuditSession>,
) -> Result<String> {
    let settings = state.session.settings();
    let dir = settings.export_dir().or_else(|| {
        Some(
            settings
                .data_dir()
                .or_else(|| app.path().app_data_dir().ok())?
                .join("exports"),
        )
    });
    let dir: PathBuf = dir.ok_or_else(|| Error::internal("no app data folder to export into"))?;
    super::logged(
        "export_audit",
        audit.last().and_then(|r| write_export(&r, format, &dir)),
    )
}
