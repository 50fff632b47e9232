//! The activity log and revocation state of the running app (managed by Tauri beside
//! `AppState`): the `cmek_activity::ActivityLog` opened at startup in the app data folder
//! (`CMEK_DESK_DATA_DIR` overrides it: tests and E2E use a temp dir), the control of the
//! running revocation or key action (so "Stop" reaches it), and the `RevokeContext` built from
//! the current connection. No CMEK logic: that is `cmek_revoke`.

use cmek_activity::{ActivityLog, ExportFormat};
use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, ErrorCode, Result};
use cmek_revoke::{RevokeContext, RevokeControl, RevokeStep, RevokeTiming};
use cmek_setup::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Managed by Tauri (`tauri::State<Activity>`).
#[derive(Default)]
pub struct Activity {
    /// The log, or why it could not be opened (shown by every command that needs it).
    log: Mutex<Option<std::result::Result<Arc<ActivityLog>, Error>>>,
    /// The control of the latest revocation / recovery / key action.
    control: Mutex<Option<RevokeControl>>,
    /// Debug-build test hook (`CMEK_DESK_REVOKE_PAUSE_AFTER`), copied into every new control.
    pause_after: Option<RevokeStep>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Activity {
    /// Opens the log in `data_dir` (`CMEK_DESK_DATA_DIR`) now, or leaves it for
    /// [`Activity::open_if_closed`] (the app's setup, with the app data folder).
    pub fn new(data_dir: Option<PathBuf>) -> Self {
        let activity = Self::default();
        if data_dir.is_some() {
            activity.open(data_dir);
        }
        activity
    }

    /// Revocations pause after `step` (`CMEK_DESK_REVOKE_PAUSE_AFTER`, debug builds only; see
    /// `cmek_revoke::RevokeControl::pause_after`).
    pub fn with_revoke_pause(mut self, step: Option<RevokeStep>) -> Self {
        if let Some(step) = step {
            tracing::warn!(?step, "test hook: revocations pause after this step");
        }
        self.pause_after = step;
        self
    }

    /// Opens `{dir}/activity.sqlite3` unless a log is already open.
    pub fn open_if_closed(&self, dir: Option<PathBuf>) {
        if lock(&self.log).is_none() {
            self.open(dir);
        }
    }

    /// Opens `{dir}/activity.sqlite3`.
    fn open(&self, dir: Option<PathBuf>) {
        let result = match dir {
            Some(dir) => ActivityLog::open_in(&dir).map(Arc::new),
            None => Err(Error::internal(
                "no app data folder: the activity log cannot be opened",
            )),
        };
        match &result {
            Ok(log) => tracing::info!(path = %log.path().display(), "activity log opened"),
            Err(e) => tracing::error!(message = %e.message, "activity log could not be opened"),
        }
        *lock(&self.log) = Some(result);
    }

    /// The open log, or the error that kept it closed.
    pub fn log(&self) -> Result<Arc<ActivityLog>> {
        lock(&self.log).clone().unwrap_or_else(|| {
            Err(Error::new(
                ErrorCode::Unavailable,
                "The activity log is not open yet.",
            ))
        })
    }

    /// Records a single fact (connect, sign-in, sign-out). Best effort: a failure is logged,
    /// never turned into the command's error (the connection itself succeeded).
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

    /// A fresh control for a new operation, remembered so [`Activity::cancel`] reaches it.
    pub fn start(&self) -> RevokeControl {
        let control = RevokeControl {
            pause_after: self.pause_after,
            ..Default::default()
        };
        *lock(&self.control) = Some(control.clone());
        control
    }

    /// Asks the running operation to stop before its next change (no-op when none runs).
    pub fn cancel(&self) {
        if let Some(c) = lock(&self.control).as_ref() {
            c.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Writes the whole log to `{log folder}/exports/activity-{time}.{json|csv}` and returns
    /// the path (no file dialog: no plugin with file-system permissions is needed).
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

/// Who acts when nobody is connected (exports before connecting).
pub const APP_ACTOR: &str = "app";
