//! Recovery from a revocation: add back exactly the grants the snapshot removed (same members,
//! roles and conditions; etag-safe, so bindings others added since are kept), re-enable a
//! service account only if the revocation disabled it, verify by re-reading, and prepare the
//! support request (cmek-procedure §12: nodes "will not automatically recover").
//!
//! Also the "roll back" of a revocation a crash interrupted: the pending revoke operation is
//! closed as `rolled_back`.

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::iam::Grant;
use cmek_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lever::{IamResource, Removal};
use crate::revoke::{
    fail, finished, progress, revoke_accepted_at, step, RevokeEvent, RevokeStep, StepStatus,
};
use crate::snapshot::{
    edit_recorded, observe, set_service_account_disabled, EditDirection, ObservedState,
    RecoverySnapshot,
};
use crate::{guard, RevokeContext, Sink};

/// A ready-to-send request to Cockroach Labs support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SupportRequest {
    pub cluster_id: String,
    pub cluster_name: String,
    pub organization_id: String,
    pub regions: Vec<String>,
    /// RFC 3339 time REVOKE was accepted.
    pub revoked_at: String,
    /// RFC 3339 time access was restored and verified.
    pub restored_at: String,
    pub subject: String,
    pub body: String,
}

impl SupportRequest {
    pub fn new(snap: &RecoverySnapshot, revoked_at: &str, restored_at: &str) -> Self {
        let subject = format!(
            "Re-authorize CMEK for cluster {} ({})",
            snap.cluster_name, snap.cluster_id
        );
        let body = format!(
            "Hello Cockroach Labs support,\n\n\
             We revoked CMEK for one of our clusters and have since restored the key access in \
             Google Cloud. Please re-authorize CMEK and bring the cluster's nodes back.\n\n\
             Cluster ID: {}\nCluster name: {}\nOrganization ID: {}\nRegions: {}\n\
             CMEK revoked at: {}\nKey access restored at: {}\n\n\
             The customer-managed key and its IAM grants are as they were before the revocation.\n",
            snap.cluster_id,
            snap.cluster_name,
            snap.organization_id,
            snap.regions.join(", "),
            revoked_at,
            restored_at
        );
        Self {
            cluster_id: snap.cluster_id.clone(),
            cluster_name: snap.cluster_name.clone(),
            organization_id: snap.organization_id.clone(),
            regions: snap.regions.clone(),
            revoked_at: revoked_at.to_owned(),
            restored_at: restored_at.to_owned(),
            subject,
            body,
        }
    }
}

/// The result of a recovery, from what was re-read (B05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecoverReport {
    pub operation_id: String,
    pub revoke_operation_id: String,
    pub restored: Vec<Removal>,
    pub reenabled_service_accounts: Vec<String>,
    /// Snapshot grants the re-read does not show (should be empty).
    pub missing: Vec<Grant>,
    /// Service accounts still disabled that recovery should have re-enabled.
    pub still_disabled: Vec<String>,
    pub verified: bool,
    pub observed: ObservedState,
    /// Present when REVOKE had been accepted: nodes need support to come back.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_request: Option<SupportRequest>,
    /// AWS clusters: the statements put back, the policies re-read and any difference.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<crate::aws::AwsOutcome>,
}

/// Restores what revocation `revoke_operation_id` removed, from its snapshot.
///
/// Works for finished, failed, cancelled and interrupted (pending) revocations; an interrupted
/// one is closed as `rolled_back`. Puts back only grants (AWS: statements) whose removal the
/// log shows went out, and refuses (nothing written, `FailedPrecondition`) when the rules of
/// [`crate::guard`] fail: the log does not verify, the snapshot names another role or a
/// principal a fresh preview does not confirm, or the revocation was already recovered.
/// Errors: `NotFound` without a snapshot; client errors.
pub async fn recover(
    ctx: &RevokeContext,
    log: &ActivityLog,
    revoke_operation_id: &str,
    sink: Sink<'_>,
) -> Result<RecoverReport> {
    const WHAT: &str = "Rolling back (recovering) this revocation";
    guard::require_verified_log(log, WHAT)?;
    let raw: serde_json::Value = log.snapshot(revoke_operation_id)?.ok_or_else(|| {
        Error::new(
            ErrorCode::NotFound,
            format!("no recovery snapshot for operation {revoke_operation_id}"),
        )
    })?;
    if crate::aws::is_aws_snapshot(&raw) {
        let mut snap: crate::aws::AwsRevokeSnapshot = serde_json::from_value(raw)
            .map_err(|e| Error::internal(format!("unreadable AWS recovery snapshot: {e}")))?;
        guard::require_not_recovered(log, revoke_operation_id, &snap.cluster_id)?;
        let preview = guard::fresh_preview(ctx, &snap.cluster_id, WHAT).await?;
        guard::check_aws(&snap.removals, &preview, WHAT)?;
        let went_out = guard::removed_targets(log, revoke_operation_id, "revoke.remove_statement")?;
        snap.removals.retain(|r| went_out.contains(&r.policy.arn));
        let raw = serde_json::to_value(&snap)
            .map_err(|e| Error::internal(format!("AWS recovery snapshot: {e}")))?;
        return crate::aws::recover::recover(ctx, log, revoke_operation_id, raw, sink).await;
    }
    let mut snap: RecoverySnapshot = serde_json::from_value(raw)
        .map_err(|e| Error::internal(format!("unreadable recovery snapshot: {e}")))?;
    guard::require_not_recovered(log, revoke_operation_id, &snap.cluster_id)?;
    let preview = guard::fresh_preview(ctx, &snap.cluster_id, WHAT).await?;
    guard::check_gcp(&snap, &preview, WHAT)?;
    // Put back only what the revocation really removed (and existed before it), once.
    snap.removals = guard::restorable(log, &snap)?;
    let disabled =
        guard::removed_targets(log, revoke_operation_id, "revoke.disable_service_account")?;
    snap.disables
        .retain(|e| disabled.contains(&IamResource::service_account(e).name()));
    let revoke_pending = !log
        .operation_entries(revoke_operation_id)?
        .iter()
        .any(|e| e.kind == EntryKind::OperationFinished);
    let actor = ctx.actor.as_str();
    let summary = format!(
        "Recover CMEK access for {} ({}) from revocation {revoke_operation_id}",
        snap.cluster_name, snap.cluster_id
    );
    let op = log.start_operation(
        actor,
        "recover",
        &snap.cluster_id,
        &summary,
        &serde_json::json!({"revokeOperationId": revoke_operation_id}),
    )?;
    sink(RevokeEvent::OperationStarted {
        operation_id: op.clone(),
        action: "recover".into(),
    });

    step(
        sink,
        RevokeStep::RestoreAccess,
        "Restore exactly what was removed",
    );
    for r in &snap.removals {
        let name = r.resource.name();
        let i = log.intent(
            Some(&op),
            actor,
            "recover.restore_grants",
            &name,
            &format!("Add back {} grant(s) on {name}", r.grants.len()),
            &r.grants,
        )?;
        match edit_recorded(ctx, log, i, r, EditDirection::Restore).await? {
            Ok(added) => progress(
                sink,
                RevokeStep::RestoreAccess,
                format!("{name}: added back {added} grant(s)"),
            ),
            Err(e) => return Err(fail(log, &op, sink, RevokeStep::RestoreAccess, e)),
        }
    }
    let mut reenabled = Vec::new();
    for email in &snap.disables {
        // Re-enable only what we disabled: the account was enabled in the snapshot.
        let was_disabled = snap
            .service_accounts
            .iter()
            .any(|s| &s.email == email && s.disabled);
        if was_disabled {
            continue;
        }
        let res = IamResource::service_account(email);
        let i = log.intent(
            Some(&op),
            actor,
            "recover.enable_service_account",
            &res.name(),
            &format!("Enable {email}"),
            &(),
        )?;
        match set_service_account_disabled(ctx, email, false).await {
            Ok((changed, after)) => {
                log.outcome(
                    i,
                    if changed {
                        EntryStatus::Ok
                    } else {
                        EntryStatus::Skipped
                    },
                    "Service account enabled",
                    &after,
                    None,
                )?;
                reenabled.push(email.clone());
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "Enable failed", &(), Some(&e))?;
                return Err(fail(log, &op, sink, RevokeStep::RestoreAccess, e));
            }
        }
    }
    finished(
        sink,
        RevokeStep::RestoreAccess,
        StepStatus::Done,
        "Grants and service accounts restored".into(),
    );

    step(sink, RevokeStep::Verify, "Re-read and verify");
    let observed = match observe(
        ctx,
        &snap.resources(),
        &snap.service_account_emails(),
        Some(&snap.cluster_id),
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return Err(fail(log, &op, sink, RevokeStep::Verify, e)),
    };
    let missing: Vec<Grant> = snap
        .removals
        .iter()
        .flat_map(|r| {
            r.grants
                .iter()
                .filter(|g| !observed.has(&r.resource, g))
                .cloned()
        })
        .collect();
    let still_disabled: Vec<String> = reenabled
        .iter()
        .filter(|e| observed.service_account(e).is_some_and(|s| s.disabled))
        .cloned()
        .collect();
    let verified = missing.is_empty() && still_disabled.is_empty();
    finished(
        sink,
        RevokeStep::Verify,
        if verified {
            StepStatus::Done
        } else {
            StepStatus::Failed
        },
        format!("{} grant(s) missing", missing.len()),
    );

    step(
        sink,
        RevokeStep::SupportRequest,
        "Prepare the support request",
    );
    let restored_at = crate::now();
    let support_request = revoke_accepted_at(log, revoke_operation_id)?
        .map(|at| SupportRequest::new(&snap, &at, &restored_at));
    let msg = if support_request.is_some() {
        "REVOKE was accepted: send the support request so Cockroach Labs brings the nodes back"
    } else {
        "REVOKE was never sent: no support request is needed"
    };
    finished(
        sink,
        RevokeStep::SupportRequest,
        if support_request.is_some() {
            StepStatus::Done
        } else {
            StepStatus::Skipped
        },
        msg.into(),
    );

    let report = RecoverReport {
        operation_id: op.clone(),
        revoke_operation_id: revoke_operation_id.to_owned(),
        restored: snap.removals.clone(),
        reenabled_service_accounts: reenabled,
        missing,
        still_disabled,
        verified,
        observed,
        support_request,
        aws: None,
    };
    if verified {
        log.finish_operation(
            &op,
            EntryStatus::Ok,
            "Access restored and verified",
            &report,
            None,
        )?;
    } else {
        let e = Error::new(
            ErrorCode::Internal,
            "The re-read does not show every restored grant",
        )
        .with_resource(snap.cluster_id.clone());
        log.finish_operation(&op, EntryStatus::Failed, &e.message, &report, Some(&e))?;
    }
    if revoke_pending {
        log.finish_operation(
            revoke_operation_id,
            EntryStatus::RolledBack,
            &format!("Rolled back by recovery {op}"),
            &(),
            None,
        )?;
    }
    Ok(report)
}
