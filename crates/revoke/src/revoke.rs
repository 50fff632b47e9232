//! The revocation itself (cmek-procedure §12 order; B42): snapshot → remove access (etag-safe,
//! only the snapshot's grants) → `PATCH …/cmek {"action":"REVOKE"}` → poll to REVOKED /
//! REVOKE_FAILED → re-read everything (B05). Each change is logged as intent then outcome.
//!
//! Every step is check → act, so [`resume_revoke`] can finish an operation a crash
//! interrupted: grants already gone are not written again, REVOKE is not sent twice.

mod control;
mod events;
mod run;
mod verify;

pub(crate) use verify::wait_settled;

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::iam::Grant;
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use control::{RevokeControl, PAUSE_MARKER_FILE};
pub(crate) use events::{fail, finished, progress, step};
pub use events::{RevokeEvent, RevokeStep, StepStatus};
pub(crate) use run::revoke_accepted_at;
use run::run_from;

use crate::blast_radius::preview_revoke;
use crate::lever::Lever;
use crate::lever::Removal;
use crate::snapshot::{read_service_account, ObservedState, PolicyRecord, RecoverySnapshot};
use crate::{RevokeContext, Sink};

/// What the user confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevokeRequest {
    pub cluster_id: String,
    pub lever: Lever,
    /// Must equal the cluster name exactly (typed confirmation, B25).
    pub confirm_name: String,
}

/// The result, built from what was re-read at the end (B05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevokeReport {
    pub operation_id: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub lever: Lever,
    /// Observed cluster CMEK status (`REVOKED`, `REVOKE_FAILED`, …).
    pub cmek_status: String,
    /// `user_message` of failed regions (REVOKE_FAILED), shown as is.
    pub user_messages: Vec<String>,
    /// When REVOKE was accepted (RFC 3339), from the activity log.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    pub removed: Vec<Removal>,
    pub disabled_service_accounts: Vec<String>,
    /// Grants the snapshot removed that the re-read still shows (should be empty).
    pub still_present: Vec<Grant>,
    pub observed: ObservedState,
    /// AWS clusters: the statements removed, the policies re-read and any difference.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<crate::aws::AwsOutcome>,
    pub note: String,
}

/// Revokes CMEK for one cluster with the chosen lever.
///
/// Errors: `InvalidInput` when `confirm_name` is not the cluster name (nothing logged or
/// changed); `FailedPrecondition` when the lever finds no grant to remove; `Cancelled`; any
/// client error of a step (recorded, the operation left for [`crate::recover`]).
pub async fn revoke(
    ctx: &RevokeContext,
    log: &ActivityLog,
    req: &RevokeRequest,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let preview = preview_revoke(ctx, &req.cluster_id).await?;
    if req.confirm_name.trim() != preview.confirm_text {
        return Err(Error::invalid_input(
            "confirm_name",
            format!(
                "type the cluster name \"{}\" exactly to confirm",
                preview.confirm_text
            ),
        ));
    }
    let lever = preview
        .levers
        .iter()
        .find(|l| l.lever == req.lever)
        .cloned()
        .ok_or_else(|| {
            Error::invalid_input(
                "lever",
                format!(
                    "{} is not offered for this cluster (AWS levers for AWS clusters, Google Cloud levers for GCP clusters)",
                    req.lever.as_str()
                ),
            )
        })?;
    if lever.lever.is_aws() {
        return crate::aws::revoke::revoke(ctx, log, req, &preview, &lever, control, sink).await;
    }
    if lever.removals.is_empty() && lever.disables.is_empty() {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "{}: nothing to remove. {}",
                lever.title,
                lever.warnings.join(" ")
            ),
        )
        .with_resource(preview.cluster_id.clone()));
    }
    let summary = format!(
        "Revoke CMEK for {} ({}) by: {}",
        preview.cluster_name, preview.cluster_id, lever.title
    );
    let op = log.start_operation(&ctx.actor, "revoke", &preview.cluster_id, &summary, req)?;
    sink(RevokeEvent::OperationStarted {
        operation_id: op.clone(),
        action: "revoke".into(),
    });

    step(sink, RevokeStep::Snapshot, "Record a recovery snapshot");
    let intent = log.intent(
        Some(&op),
        &ctx.actor,
        "revoke.snapshot",
        &preview.cluster_id,
        "Record the recovery snapshot",
        &lever,
    )?;
    let snap = match take_snapshot(ctx, &op, &preview, &lever).await {
        Ok(s) => s,
        Err(e) => {
            log.outcome(
                intent,
                EntryStatus::Failed,
                "Snapshot failed",
                &(),
                Some(&e),
            )?;
            return Err(fail(log, &op, sink, RevokeStep::Snapshot, e));
        }
    };
    log.save_snapshot(&op, "revoke", &preview.cluster_id, &snap)?;
    log.outcome(intent, EntryStatus::Ok, "Snapshot recorded", &snap, None)?;
    finished(
        sink,
        RevokeStep::Snapshot,
        StepStatus::Done,
        format!(
            "Recorded {} and {}.",
            plural(snap.policies.len(), "IAM policy", "IAM policies"),
            plural(
                snap.service_accounts.len(),
                "service account",
                "service accounts"
            )
        ),
    );
    control.pause_point(RevokeStep::Snapshot, log, &op).await;
    run_from(ctx, log, &snap, control, sink).await
}

async fn take_snapshot(
    ctx: &RevokeContext,
    op: &str,
    p: &crate::RevokePreview,
    lever: &crate::LeverInfo,
) -> Result<RecoverySnapshot> {
    let mut policies = Vec::new();
    for r in &lever.removals {
        policies.push(PolicyRecord::of(
            &r.resource,
            &ctx.google.get_policy(&r.resource.target()).await?,
        ));
    }
    let mut sas = Vec::new();
    for e in &p.service_accounts {
        sas.push(read_service_account(ctx, e).await?);
    }
    Ok(RecoverySnapshot {
        operation_id: op.to_owned(),
        taken_at: crate::now(),
        actor: ctx.actor.clone(),
        cluster_id: p.cluster_id.clone(),
        cluster_name: p.cluster_name.clone(),
        organization_id: p.organization_id.clone(),
        regions: p.regions.clone(),
        lever: lever.lever,
        removals: lever.removals.clone(),
        disables: lever.disables.clone(),
        policies,
        service_accounts: sas,
        cmek: p.cmek.clone(),
    })
}

/// Finishes a revocation a crash interrupted (listed by `ActivityLog::pending_operations`) or
/// one that stopped on an error or a Stop (finished `failed`/`cancelled`, e.g. access removed but
/// REVOKE not accepted, or CockroachDB answered `REVOKE_FAILED`): re-checks and completes each
/// remaining step from the saved snapshot; one that finished `ok` is refused. Refused (nothing
/// written) unless the rules of [`crate::guard`] hold: the log verifies, the snapshot touches
/// only the CMEK roles (AWS: key and trust policies) of principals a fresh preview confirms.
pub async fn resume_revoke(
    ctx: &RevokeContext,
    log: &ActivityLog,
    operation_id: &str,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    const WHAT: &str = "Finishing this revocation";
    crate::guard::require_verified_log(log, WHAT)?;
    let raw: serde_json::Value = log.snapshot(operation_id)?.ok_or_else(|| {
        Error::new(
            ErrorCode::NotFound,
            format!("no recovery snapshot for operation {operation_id}"),
        )
    })?;
    // A revocation that finished `ok` is done; one that stopped on an error or a Stop
    // (access already removed, REVOKE not accepted, or CockroachDB answered REVOKE_FAILED) may
    // be finished again from its snapshot: every step re-checks before it writes.
    if log
        .operation_entries(operation_id)?
        .iter()
        .any(|e| e.kind == EntryKind::OperationFinished && e.status == Some(EntryStatus::Ok))
    {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!("operation {operation_id} already finished"),
        ));
    }
    if crate::aws::is_aws_snapshot(&raw) {
        let snap: crate::aws::AwsRevokeSnapshot = serde_json::from_value(raw.clone())
            .map_err(|e| Error::internal(format!("unreadable AWS recovery snapshot: {e}")))?;
        let preview = crate::guard::fresh_preview(ctx, &snap.cluster_id, WHAT).await?;
        crate::guard::check_aws(&snap.removals, &preview, WHAT)?;
        return crate::aws::revoke::resume(ctx, log, raw, control, sink).await;
    }
    let snap: RecoverySnapshot = serde_json::from_value(raw)
        .map_err(|e| Error::internal(format!("unreadable recovery snapshot: {e}")))?;
    let preview = crate::guard::fresh_preview(ctx, &snap.cluster_id, WHAT).await?;
    crate::guard::check_gcp(&snap, &preview, WHAT)?;
    sink(RevokeEvent::OperationStarted {
        operation_id: operation_id.to_owned(),
        action: "revoke".into(),
    });
    // Finishing after a crash never pauses (the pause hook simulates the crash itself).
    let control = RevokeControl {
        pause_after: None,
        ..control.clone()
    };
    run_from(ctx, log, &snap, &control, sink).await
}

/// `1 IAM policy`, `2 IAM policies`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
