//! One-click CMEK revocation with exact recovery, and key-level emergency actions
//! (issue #5; cmek-procedure.md §12; gcp-apis.md §4, §8; field reports B04, B05, B24, B25, B42).
//!
//! - [`preview_revoke`] (reads only) returns everything the confirmation shows: the cluster,
//!   its regions, what stops working, which clusters share its service account or key, and the
//!   three [`Lever`]s with their reach, delay and the exact grants each would remove.
//! - [`revoke`] runs the steps snapshot → remove access → REVOKE → wait → verify, with progress
//!   through a sink and a cancel flag or token; [`resume_revoke`] finishes one a crash interrupted.
//! - [`recover`] restores exactly what a revocation's snapshot removed and builds the support
//!   request (nodes do not recover by themselves).
//! - [`aws`]: the same for AWS clusters (the two AWS levers), reached through the same entry
//!   points, which dispatch by the cluster's provider and the snapshot's.
//! - [`key_actions`]: disable every enabled version (and stop automatic rotation, so the
//!   freeze holds), restore after a freeze (versions and the exact schedule), restore versions
//!   scheduled for destruction, and the destroy guard.
//! - [`drift_fix`]: the one-click fix of a drift finding (remove the out-of-band binding, or
//!   add the missing one back) with the same confirmation, log and etag-safe edit.
//!
//! Every change is written to the [`cmek_activity::ActivityLog`] before (intent) and after
//! (outcome); IAM writes go only through `cmek_gcp::edit_policy` (ARCHITECTURE.md invariant 4).

pub mod aws;
pub mod blast_radius;
pub mod drift_fix;
pub mod guard;
pub mod key_actions;
pub mod lever;
pub mod recover;
pub mod revoke;
pub mod snapshot;

pub use blast_radius::{key_uses, preview_revoke, ClusterKeyUse, RevokePreview, SharingCluster};
pub use drift_fix::{fix_drift, DriftFix, DriftFixAction, DriftFixReport, DriftFixRequest};
pub use key_actions::{
    destroy_guard, disable_all_versions, latest_freeze, preview_key, restore_scheduled_versions,
    restored_schedule, unfreeze_key, DestroyGuard, FreezeSnapshot, KeyActionReport, KeyPreview,
    RotationSchedule, ScheduleChange, ScheduleOutcome, VersionOutcome, VersionResult, VersionView,
};
pub use lever::{IamResource, Lever, LeverInfo, Reach, Removal};
pub use recover::{recover, RecoverReport, SupportRequest};
pub use revoke::{
    resume_revoke, revoke, RevokeControl, RevokeEvent, RevokeReport, RevokeRequest, RevokeStep,
    StepStatus, PAUSE_MARKER_FILE,
};
pub use snapshot::{ObservedState, PolicyRecord, RecoverySnapshot, ServiceAccountRecord};

/// The token [`RevokeControl::from_token`] takes (`cmek_retry`'s, from `tokio-util`).
pub use cmek_retry::CancellationToken;

use cmek_cockroach::CockroachClient;
use cmek_gcp::Google;
use std::time::Duration;

/// Progress sink: called synchronously for every event, from the task running the operation.
pub type Sink<'a> = &'a (dyn Fn(RevokeEvent) + Send + Sync);

/// The clients and identity one operation runs with.
#[derive(Clone)]
pub struct RevokeContext {
    pub google: Google,
    pub cockroach: CockroachClient,
    /// Who acts, as written to the activity log (the signed-in Google identity, `user:…`).
    pub actor: String,
    pub timing: RevokeTiming,
    /// The AWS client, for AWS clusters ([`aws`]); `None` for a Google-only session.
    pub aws: Option<cmek_aws::AwsClient>,
}

/// Bounds and pacing of the waits and writes. All durations are wall-clock.
#[derive(Debug, Clone, Copy)]
pub struct RevokeTiming {
    /// Between polls of `GET …/cmek` (production 5 s).
    pub poll_interval: Duration,
    /// How long to wait for REVOKED / REVOKE_FAILED: 2 h (TF `clusterUpdateTimeout`, cmek-procedure §10).
    pub settle_timeout: Duration,
    /// No longer read: KMS writes are paced once, for every caller, by the HTTP layer's
    /// `cmek_retry::WritePacer` (`cmek_retry::GOOGLE_WRITES`: ≤ 60 writes/min, gcp-apis §4, B24).
    /// Kept so existing struct literals compile.
    pub key_write_interval: Duration,
    /// No longer read: 429 RESOURCE_EXHAUSTED is retried once, by the HTTP layer
    /// (`cmek_retry::policy::HTTP_TRANSIENT`, after `Retry-After`), so loops cannot stack.
    /// Kept so existing struct literals compile.
    pub rate_limit_retries: u32,
}

impl Default for RevokeTiming {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            settle_timeout: Duration::from_secs(7200),
            key_write_interval: Duration::from_millis(1100),
            rate_limit_retries: 5,
        }
    }
}

impl RevokeTiming {
    /// Short bounds for the sandbox and tests (same logic, smaller numbers).
    pub fn fast() -> Self {
        Self {
            poll_interval: Duration::from_millis(20),
            settle_timeout: Duration::from_secs(30),
            key_write_interval: Duration::ZERO,
            rate_limit_retries: 3,
        }
    }
}

impl RevokeContext {
    /// A context with production timing.
    pub fn new(google: Google, cockroach: CockroachClient, actor: impl Into<String>) -> Self {
        Self {
            google,
            cockroach,
            actor: actor.into(),
            timing: RevokeTiming::default(),
            aws: None,
        }
    }

    /// The same context with an AWS client, so AWS clusters can be revoked and recovered.
    pub fn with_aws(mut self, aws: cmek_aws::AwsClient) -> Self {
        self.aws = Some(aws);
        self
    }

    pub fn with_timing(mut self, timing: RevokeTiming) -> Self {
        self.timing = timing;
        self
    }
}

/// RFC 3339 UTC now.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    //! Tauri's async commands need `Send` futures: prove every entry point's future is `Send`.
    use super::*;

    fn is_send<T: Send>(_: &T) {}

    #[allow(dead_code, clippy::diverging_sub_expression)]
    async fn futures_are_send(
        ctx: RevokeContext,
        log: cmek_activity::ActivityLog,
        req: RevokeRequest,
        c: RevokeControl,
        fix: DriftFix,
    ) {
        let sink: Sink<'_> = &|_| {};
        is_send(&preview_revoke(&ctx, ""));
        is_send(&revoke(&ctx, &log, &req, &c, sink));
        is_send(&resume_revoke(&ctx, &log, "", &c, sink));
        is_send(&recover(&ctx, &log, "", sink));
        is_send(&preview_key(&ctx, ""));
        is_send(&disable_all_versions(&ctx, &log, "", "", &c, sink));
        is_send(&restore_scheduled_versions(
            &ctx, &log, "", "", true, &c, sink,
        ));
        is_send(&destroy_guard(&ctx, ""));
        is_send(&unfreeze_key(&ctx, &log, "", "", &c, sink));
        is_send(&fix_drift(&ctx, &log, &fix, "", sink));
    }
}
