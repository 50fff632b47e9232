//! Cancellation and the debug-only pause hook of a revocation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cmek_activity::ActivityLog;

use super::RevokeStep;

/// Cancellation: set `cancel` to stop before the next change.
#[derive(Debug, Clone, Default)]
pub struct RevokeControl {
    pub cancel: Arc<AtomicBool>,
    /// Test hook, debug builds only (inert in release builds): a fresh [`revoke`](crate::revoke()) pauses once
    /// this step (`Snapshot`, `RemoveAccess` or `CallRevoke`) has finished and its outcome is
    /// in the activity log. It writes [`PAUSE_MARKER_FILE`] next to the activity database and
    /// waits (without blocking a thread) until `cancel` is set, so a test can SIGKILL the
    /// process at that exact point. [`resume_revoke`](crate::resume_revoke) never pauses. The app sets it from
    /// `CMEK_DESK_REVOKE_PAUSE_AFTER`; `revoke_crash_probe` has its own pause.
    pub pause_after: Option<RevokeStep>,
}

/// Written by the pause hook ([`RevokeControl::pause_after`]) in the activity log's folder:
/// `{"operationId": "…", "step": "removeAccess"}`.
pub const PAUSE_MARKER_FILE: &str = "revoke-paused.json";

impl RevokeControl {
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// The pause hook: a no-op unless this is a debug build and `pause_after == Some(step)`.
    pub(crate) async fn pause_point(&self, step: RevokeStep, log: &ActivityLog, op: &str) {
        if !cfg!(debug_assertions) || self.pause_after != Some(step) {
            return;
        }
        let marker = log.path().with_file_name(PAUSE_MARKER_FILE);
        let body = serde_json::json!({ "operationId": op, "step": step }).to_string();
        // Write then rename, so a reader never sees half a marker.
        let tmp = marker.with_extension("tmp");
        if let Err(e) = std::fs::write(&tmp, body).and_then(|()| std::fs::rename(&tmp, &marker)) {
            tracing::error!("test pause: cannot write {}: {e}", marker.display());
        }
        tracing::warn!(
            operation = op,
            ?step,
            marker = %marker.display(),
            "test pause (CMEK_DESK_REVOKE_PAUSE_AFTER): waiting until killed or stopped"
        );
        while !self.is_cancelled() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
