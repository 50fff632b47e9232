//! The AWS revocation (cmek-procedure §12 order): snapshot (the exact policies before) →
//! remove only CockroachDB's statements (checked write: re-read before, read back after) →
//! `PATCH …/cmek {"action":"REVOKE"}` → poll to REVOKED / REVOKE_FAILED → re-read the policies
//! and the cluster. Each write is logged as intent then outcome; every step is check → act, so
//! [`resume`] finishes a revocation a crash interrupted without writing twice.

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::cockroach::{classify_status, StatusClass};
use cmek_core::{Error, ErrorCode, Result};

use super::edit::{without, write_checked};
use super::{client, AwsOutcome, AwsPolicyRecord, AwsRevokeSnapshot, AWS_PROVIDER};
use crate::revoke::{
    fail, finished, progress, revoke_accepted_at, step, wait_settled, RevokeControl, RevokeEvent,
    RevokeReport, RevokeRequest, RevokeStep, StepStatus,
};
use crate::snapshot::ObservedState;
use crate::{LeverInfo, RevokeContext, RevokePreview, Sink};

/// Runs an AWS revocation the user confirmed (called by [`crate::revoke`] after the typed
/// confirmation was checked).
pub(crate) async fn revoke(
    ctx: &RevokeContext,
    log: &ActivityLog,
    req: &RevokeRequest,
    preview: &RevokePreview,
    lever: &LeverInfo,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let aws = client(ctx)?;
    if lever.aws_removals.is_empty() {
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
        "Record the recovery snapshot (the exact policies before)",
        lever,
    )?;
    let mut policies = Vec::new();
    for r in &lever.aws_removals {
        match r.policy.read(aws).await {
            Ok(doc) => policies.push(AwsPolicyRecord::of(&r.policy, &doc)),
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
        }
    }
    let snap = AwsRevokeSnapshot {
        provider: AWS_PROVIDER.to_owned(),
        operation_id: op.clone(),
        taken_at: crate::now(),
        actor: ctx.actor.clone(),
        cluster_id: preview.cluster_id.clone(),
        cluster_name: preview.cluster_name.clone(),
        organization_id: preview.organization_id.clone(),
        regions: preview.regions.clone(),
        lever: lever.lever,
        removals: lever.aws_removals.clone(),
        policies,
        cmek: preview.cmek.clone(),
    };
    log.save_snapshot(&op, "revoke", &preview.cluster_id, &snap)?;
    log.outcome(intent, EntryStatus::Ok, "Snapshot recorded", &snap, None)?;
    finished(
        sink,
        RevokeStep::Snapshot,
        StepStatus::Done,
        format!("Recorded {} policy document(s).", snap.policies.len()),
    );
    control.pause_point(RevokeStep::Snapshot, log, &op).await;
    run_from(ctx, log, &snap, control, sink).await
}

/// Finishes an AWS revocation a crash interrupted, from its saved snapshot.
pub(crate) async fn resume(
    ctx: &RevokeContext,
    log: &ActivityLog,
    snap: serde_json::Value,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let snap: AwsRevokeSnapshot = serde_json::from_value(snap)
        .map_err(|e| Error::internal(format!("unreadable AWS recovery snapshot: {e}")))?;
    sink(RevokeEvent::OperationStarted {
        operation_id: snap.operation_id.clone(),
        action: "revoke".into(),
    });
    let control = RevokeControl {
        pause_after: None,
        ..control.clone()
    };
    run_from(ctx, log, &snap, &control, sink).await
}

async fn run_from(
    ctx: &RevokeContext,
    log: &ActivityLog,
    snap: &AwsRevokeSnapshot,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let aws = client(ctx)?;
    let op = snap.operation_id.as_str();
    let actor = ctx.actor.as_str();
    let cluster = snap.cluster_id.as_str();

    step(
        sink,
        RevokeStep::RemoveAccess,
        "Remove CockroachDB's statements",
    );
    for r in &snap.removals {
        let what = r.policy.describe();
        let current = match r.policy.read(aws).await {
            Ok(d) => d,
            Err(e) => return Err(fail(log, op, sink, RevokeStep::RemoveAccess, e)),
        };
        let (new, n) = without(&current, r);
        if n == 0 {
            progress(
                sink,
                RevokeStep::RemoveAccess,
                format!("{what}: already removed"),
            );
            continue;
        }
        let i = log.intent(
            Some(op),
            actor,
            "revoke.remove_statement",
            &r.policy.arn,
            &format!("Remove {n} statement(s) from {what}"),
            &(current.to_json(), &r.statements),
        )?;
        match write_checked(aws, &r.policy, &current, &new).await {
            Ok(back) => {
                log.outcome(
                    i,
                    EntryStatus::Ok,
                    "Statement(s) removed",
                    &back.to_json(),
                    None,
                )?;
                progress(
                    sink,
                    RevokeStep::RemoveAccess,
                    format!("{what}: removed {n} statement(s)"),
                );
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "Removal failed", &(), Some(&e))?;
                return Err(fail(log, op, sink, RevokeStep::RemoveAccess, e));
            }
        }
    }
    finished(
        sink,
        RevokeStep::RemoveAccess,
        StepStatus::Done,
        "Access removed (AWS enforces it within minutes)".into(),
    );
    control.pause_point(RevokeStep::RemoveAccess, log, op).await;
    if control.is_cancelled() {
        let e = Error::new(
            ErrorCode::Cancelled,
            "Cancelled after removing access and before calling REVOKE; recover to restore access.",
        );
        return Err(fail(log, op, sink, RevokeStep::CallRevoke, e));
    }

    step(
        sink,
        RevokeStep::CallRevoke,
        "Tell CockroachDB to revoke (REVOKE)",
    );
    let current = ctx.cockroach.get_cmek(cluster).await?;
    // A region CockroachDB reports failed (REVOKE_FAILED after an earlier REVOKE) gets REVOKE
    // again: finishing a stopped revocation must be able to re-send it (as on Google Cloud).
    let failed_now = current.as_ref().is_some_and(|c| {
        c.region_infos
            .iter()
            .any(|r| classify_status(&r.status) == StatusClass::Failed)
    });
    let already = !failed_now
        && (revoke_accepted_at(log, op)?.is_some()
            || current.as_ref().is_some_and(|c| {
                c.region_infos
                    .iter()
                    .all(|r| r.status == "REVOKING" || r.status == "REVOKED")
            }));
    if already {
        finished(
            sink,
            RevokeStep::CallRevoke,
            StepStatus::Skipped,
            "REVOKE was already accepted".into(),
        );
    } else {
        let i = log.intent(
            Some(op),
            actor,
            "revoke.call_revoke",
            cluster,
            "PATCH …/cmek {\"action\":\"REVOKE\"}",
            &current,
        )?;
        match ctx.cockroach.revoke_cmek(cluster).await {
            Ok(info) => {
                log.outcome(i, EntryStatus::Ok, "REVOKE accepted", &info, None)?;
                finished(
                    sink,
                    RevokeStep::CallRevoke,
                    StepStatus::Done,
                    format!("CockroachDB answered {}", info.status),
                );
                control.pause_point(RevokeStep::CallRevoke, log, op).await;
            }
            Err(e) => {
                log.outcome(i, EntryStatus::Failed, "REVOKE failed", &(), Some(&e))?;
                return Err(fail(log, op, sink, RevokeStep::CallRevoke, e));
            }
        }
    }

    step(sink, RevokeStep::WaitRevoked, "Wait for REVOKED");
    let settled = match wait_settled(ctx, cluster, control, sink).await {
        Ok(i) => i,
        Err(e) => return Err(fail(log, op, sink, RevokeStep::WaitRevoked, e)),
    };
    let user_messages: Vec<String> = settled
        .region_infos
        .iter()
        .filter(|r| classify_status(&r.status) == StatusClass::Failed)
        .map(|r| {
            let m = r
                .current()
                .map(|k| k.user_message.as_str())
                .unwrap_or_default();
            format!("{}: {m}", r.region)
        })
        .collect();
    finished(
        sink,
        RevokeStep::WaitRevoked,
        if user_messages.is_empty() {
            StepStatus::Done
        } else {
            StepStatus::Failed
        },
        format!("CockroachDB reports {}", settled.status),
    );

    step(
        sink,
        RevokeStep::Verify,
        "Re-read and show the observed state",
    );
    let outcome = match observe(ctx, &snap.removals, true).await {
        Ok(o) => o,
        Err(e) => return Err(fail(log, op, sink, RevokeStep::Verify, e)),
    };
    let cmek = match ctx.cockroach.get_cmek(cluster).await {
        Ok(c) => c,
        Err(e) => return Err(fail(log, op, sink, RevokeStep::Verify, e)),
    };
    finished(
        sink,
        RevokeStep::Verify,
        if outcome.problems.is_empty() {
            StepStatus::Done
        } else {
            StepStatus::Failed
        },
        if outcome.problems.is_empty() {
            "Every removed statement is gone.".to_owned()
        } else {
            outcome.problems.join("; ")
        },
    );
    let cmek_status = cmek.as_ref().map(|c| c.status.clone()).unwrap_or_default();
    let report = RevokeReport {
        operation_id: op.to_owned(),
        cluster_id: cluster.to_owned(),
        cluster_name: snap.cluster_name.clone(),
        lever: snap.lever,
        cmek_status: cmek_status.clone(),
        user_messages: user_messages.clone(),
        revoked_at: revoke_accepted_at(log, op)?,
        removed: vec![],
        disabled_service_accounts: vec![],
        still_present: vec![],
        observed: ObservedState {
            read_at: crate::now(),
            policies: vec![],
            service_accounts: vec![],
            cmek,
        },
        aws: Some(outcome),
        note: "Restoring access later does not restart the nodes: Cockroach Labs support must be contacted (the recovery screen prepares the request).".into(),
    };
    if user_messages.is_empty() {
        log.finish_operation(
            op,
            EntryStatus::Ok,
            &format!("CockroachDB reports {cmek_status}"),
            &report,
            None,
        )?;
    } else {
        let e = Error::new(ErrorCode::CmekFailed, user_messages.join("; "))
            .with_resource(cluster.to_owned());
        log.finish_operation(op, EntryStatus::Failed, &e.message, &report, Some(&e))?;
    }
    Ok(report)
}

/// Re-reads every policy of `removals`; `gone` = the statements should be absent (revoke) or
/// present (recover). Differences go to `problems`.
pub(crate) async fn observe(
    ctx: &RevokeContext,
    removals: &[super::AwsRemoval],
    gone: bool,
) -> Result<AwsOutcome> {
    let aws = client(ctx)?;
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    for r in removals {
        let doc = r.policy.read(aws).await?;
        let present: Vec<serde_json::Value> = doc
            .statements()
            .iter()
            .map(|s| serde_json::to_value(s).unwrap_or_default())
            .collect();
        for s in &r.statements {
            let here = present.contains(&s.statement);
            if here == gone {
                problems.push(format!(
                    "{}: statement {} is {}",
                    r.policy.describe(),
                    s.statement,
                    if gone { "still present" } else { "missing" }
                ));
            }
        }
        policies.push(AwsPolicyRecord::of(&r.policy, &doc));
    }
    Ok(AwsOutcome {
        changes: removals.to_vec(),
        policies,
        problems,
    })
}
