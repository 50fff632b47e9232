//! Cancellation and the debug-only pause hook of a revocation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cmek_activity::ActivityLog;
use cmek_retry::CancellationToken;

use super::RevokeStep;

/// Cancellation: stop before the next change, and end the wait for CockroachDB at once.
///
/// Two ways in, both honoured: [`RevokeControl::cancel`] (or cancelling the `token`, e.g.
/// through the app core's operations registry, see [`RevokeControl::from_token`]) also ends
/// waits at once; setting the `cancel` flag directly is seen at the next check (between
/// changes, between polls).
#[derive(Debug, Clone, Default)]
pub struct RevokeControl {
    /// Set to stop before the next change (checked between changes and polls).
    pub cancel: Arc<AtomicBool>,
    /// Cancelled to stop: as `cancel`, and also ends a running wait at once.
    pub token: CancellationToken,
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
    /// A control cancelled when `token` is.
    pub fn from_token(token: CancellationToken) -> Self {
        Self {
            token,
            ..Self::default()
        }
    }

    /// Stops the operation before its next change and ends its current wait.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst) || self.token.is_cancelled()
    }

    /// Resolves once the operation is cancelled, by either way in.
    pub(crate) async fn cancelled(&self) {
        while !self.is_cancelled() {
            tokio::select! {
                () = self.token.cancelled() => {}
                () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
            }
        }
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
        self.cancelled().await;
    }
}
