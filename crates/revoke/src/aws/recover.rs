//! Recovery from an AWS revocation: put back exactly the statements the snapshot removed (each
//! only if absent, at its recorded position, checked write), verify by re-reading, and prepare
//! the support request (nodes "will not automatically recover", cmek-procedure §12). A
//! revocation a crash interrupted is closed as `rolled_back`.

use cmek_activity::{ActivityLog, EntryKind, EntryStatus};
use cmek_core::{Error, ErrorCode, Result};

use super::edit::{with_restored, write_checked};
use super::revoke::observe;
use super::{client, AwsRevokeSnapshot};
use crate::recover::{RecoverReport, SupportRequest};
use crate::revoke::{
    fail, finished, progress, revoke_accepted_at, step, RevokeEvent, RevokeStep, StepStatus,
};
use crate::snapshot::ObservedState;
use crate::{RevokeContext, Sink};

/// Restores what AWS revocation `revoke_operation_id` removed (called by [`crate::recover`]).
pub(crate) async fn recover(
    ctx: &RevokeContext,
    log: &ActivityLog,
    revoke_operation_id: &str,
    snap: serde_json::Value,
    sink: Sink<'_>,
) -> Result<RecoverReport> {
    let aws = client(ctx)?;
    let snap: AwsRevokeSnapshot = serde_json::from_value(snap)
        .map_err(|e| Error::internal(format!("unreadable AWS recovery snapshot: {e}")))?;
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
        let what = r.policy.describe();
        let current = match r.policy.read(aws).await {
            Ok(d) => d,
            Err(e) => return Err(fail(log, &op, sink, RevokeStep::RestoreAccess, e)),
        };
        let (new, n) = match with_restored(&current, r) {
            Ok(x) => x,
            Err(e) => return Err(fail(log, &op, sink, RevokeStep::RestoreAccess, e)),
        };
        if n == 0 {
            progress(
                sink,
                RevokeStep::RestoreAccess,
                format!("{what}: already present"),
            );
            continue;
        }
        let i = log.intent(
            Some(&op),
            actor,
            "recover.restore_statement",
            &r.policy.arn,
            &format!("Put back {n} statement(s) in {what}"),
            &(current.to_json(), &r.statements),
        )?;
        match write_checked(aws, &r.policy, &current, &new).await {
            Ok(back) => {
                log.outcome(
                    i,
                    EntryStatus::Ok,
                    "Statement(s) restored",
                    &back.to_json(),
                    None,
                )?;
                progress(
                    sink,
                    RevokeStep::RestoreAccess,
                    format!("{what}: put back {n} statement(s)"),
                );
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "Restore failed", &(), Some(&e))?;
                return Err(fail(log, &op, sink, RevokeStep::RestoreAccess, e));
            }
        }
    }
    finished(
        sink,
        RevokeStep::RestoreAccess,
        StepStatus::Done,
        "Statements restored".into(),
    );

    step(sink, RevokeStep::Verify, "Re-read and verify");
    let outcome = match observe(ctx, &snap.removals, false).await {
        Ok(o) => o,
        Err(e) => return Err(fail(log, &op, sink, RevokeStep::Verify, e)),
    };
    let cmek = match ctx.cockroach.get_cmek(&snap.cluster_id).await {
        Ok(c) => c,
        Err(e) => return Err(fail(log, &op, sink, RevokeStep::Verify, e)),
    };
    let verified = outcome.problems.is_empty();
    finished(
        sink,
        RevokeStep::Verify,
        if verified {
            StepStatus::Done
        } else {
            StepStatus::Failed
        },
        format!("{} statement(s) missing", outcome.problems.len()),
    );

    step(
        sink,
        RevokeStep::SupportRequest,
        "Prepare the support request",
    );
    let restored_at = crate::now();
    let support_request = revoke_accepted_at(log, revoke_operation_id)?
        .map(|at| support_request(&snap, &at, &restored_at));
    finished(
        sink,
        RevokeStep::SupportRequest,
        if support_request.is_some() {
            StepStatus::Done
        } else {
            StepStatus::Skipped
        },
        if support_request.is_some() {
            "REVOKE was accepted: send the support request so Cockroach Labs brings the nodes back"
        } else {
            "REVOKE was never sent: no support request is needed"
        }
        .into(),
    );

    let report = RecoverReport {
        operation_id: op.clone(),
        revoke_operation_id: revoke_operation_id.to_owned(),
        restored: vec![],
        reenabled_service_accounts: vec![],
        missing: vec![],
        still_disabled: vec![],
        verified,
        observed: ObservedState {
            read_at: crate::now(),
            policies: vec![],
            service_accounts: vec![],
            cmek,
        },
        support_request,
        aws: Some(outcome),
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
            "The re-read does not show every restored statement",
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

fn support_request(
    snap: &AwsRevokeSnapshot,
    revoked_at: &str,
    restored_at: &str,
) -> SupportRequest {
    let subject = format!(
        "Re-authorize CMEK for cluster {} ({})",
        snap.cluster_name, snap.cluster_id
    );
    let body = format!(
        "Hello Cockroach Labs support,\n\n\
         We revoked CMEK for one of our clusters and have since restored the key access in \
         AWS (IAM role trust and KMS key policy). Please re-authorize CMEK and bring the \
         cluster's nodes back.\n\n\
         Cluster ID: {}\nCluster name: {}\nOrganization ID: {}\nRegions: {}\n\
         CMEK revoked at: {}\nKey access restored at: {}\n\n\
         The customer-managed key and the role are as they were before the revocation.\n",
        snap.cluster_id,
        snap.cluster_name,
        snap.organization_id,
        snap.regions.join(", "),
        revoked_at,
        restored_at
    );
    SupportRequest {
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
