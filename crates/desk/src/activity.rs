//! The activity facade: the `cmek_activity::ActivityLog` of this run, opened on first use in
//! the data folder (`CMEK_DESK_DATA_DIR`, else the app data folder the window and the command
//! line share), best-effort single facts (connect, sign-in), exports, and the revoke context
//! built from a connection. No CMEK logic: that is `cmek_revoke` and `cmek_setup`.

use cmek_activity::{ActivityLog, ExportFormat};
use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, Result};
use cmek_revoke::{RevokeContext, RevokeStep, RevokeTiming};
use cmek_setup::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Who acts when nobody is connected (exports before connecting).
pub const APP_ACTOR: &str = "app";

/// The log of this run, opened once on first use.
pub struct Activity {
    dir: Option<PathBuf>,
    /// The log, or why it could not be opened (shown by every use case that needs it).
    log: Mutex<Option<std::result::Result<Arc<ActivityLog>, Error>>>,
    /// Debug-build test hook (`CMEK_DESK_REVOKE_PAUSE_AFTER`), copied into every revocation.
    pause_after: Option<RevokeStep>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Activity {
    /// A log in `{dir}/activity.sqlite3`, opened on first use (`None`: no data folder, every
    /// use then fails with that reason).
    pub fn new(dir: Option<PathBuf>, pause_after: Option<RevokeStep>) -> Self {
        if let Some(step) = pause_after {
            tracing::warn!(?step, "test hook: revocations pause after this step");
        }
        Self {
            dir,
            log: Mutex::new(None),
            pause_after,
        }
    }

    /// The step after which revocations pause (test hook; `None` in release builds).
    pub fn pause_after(&self) -> Option<RevokeStep> {
        self.pause_after
    }

    /// The open log, or the error that kept it closed.
    pub fn log(&self) -> Result<Arc<ActivityLog>> {
        let mut slot = lock(&self.log);
        let result = slot.get_or_insert_with(|| {
            let result = match &self.dir {
                Some(dir) => ActivityLog::open_in(dir).map(Arc::new),
                None => Err(Error::internal(
                    "no app data folder: the activity log cannot be opened",
                )),
            };
            match &result {
                Ok(log) => tracing::info!(path = %log.path().display(), "activity log opened"),
                Err(e) => tracing::error!(message = %e.message, "activity log could not be opened"),
            }
            result
        });
        result.clone()
    }

    /// Records a single fact (connect, sign-in, sign-out). Best effort: a failure is logged,
    /// never turned into the use case's error (the connection itself succeeded).
    pub fn record<D: serde::Serialize + ?Sized>(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        summary: &str,
        details: &D,
    ) {
        let result = self
            .log()
            .and_then(|log| log.record_event(actor, action, target, summary, details));
        if let Err(e) = result {
            tracing::warn!(action, message = %e.message, "could not record an activity event");
        }
    }

    /// Writes the whole log to `{log folder}/exports/activity-{time}.{json|csv}` and returns
    /// the path.
    pub fn export(&self, actor: &str, format: ExportFormat) -> Result<String> {
        let log = self.log()?;
        let dir = log
            .path()
            .parent()
            .unwrap_or(Path::new("."))
            .join("exports");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let ext = match format {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        };
        let path = dir.join(format!("activity-{stamp}.{ext}"));
        log.export_to(actor, &path, format)?;
        Ok(path.display().to_string())
    }
}

/// The revocation context of a connection: its clients, its Google identity as the actor, and
/// `RevokeTiming::fast()` in sandbox mode.
pub fn revoke_context(connection: &Connection) -> RevokeContext {
    let ctx = RevokeContext::new(
        connection.google.clone(),
        connection.cockroach.clone(),
        connection.info.google_identity.clone(),
    );
    match connection.info.mode {
        ConnectionMode::Sandbox => ctx.with_timing(RevokeTiming::fast()),
        ConnectionMode::Live => ctx,
    }
}
