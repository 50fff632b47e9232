//! Waiting for CockroachDB to settle, then re-reading everything (B05) and building the
//! report from what was observed.

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::cockroach::{classify_status, CmekClusterInfo, StatusClass};
use cmek_core::iam::Grant;
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::policy::CMEK_STATUS_POLL;
use cmek_retry::Check;

use super::{
    fail, finished, plural, progress, revoke_accepted_at, step, RevokeControl, RevokeReport,
    RevokeStep, StepStatus,
};
use crate::snapshot::{observe, RecoverySnapshot};
use crate::{RevokeContext, Sink};

/// Waits for REVOKED / REVOKE_FAILED, verifies the removals by re-reading, and finishes the
/// operation in the log.
pub(super) async fn settle_and_verify(
    ctx: &RevokeContext,
    log: &ActivityLog,
    snap: &RecoverySnapshot,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<RevokeReport> {
    let op = snap.operation_id.as_str();
    let cluster = snap.cluster_id.as_str();

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
            format!(
                "{}: {}",
                r.region,
                r.current()
                    .map(|k| k.user_message.as_str())
                    .unwrap_or_default()
            )
        })
        .collect();
    let st = if user_messages.is_empty() {
        StepStatus::Done
    } else {
        StepStatus::Failed
    };
    finished(
        sink,
        RevokeStep::WaitRevoked,
        st,
        format!("CockroachDB reports {}", settled.status),
    );

    step(
        sink,
        RevokeStep::Verify,
        "Re-read and show the observed state",
    );
    let observed = match observe(
        ctx,
        &snap.resources(),
        &snap.service_account_emails(),
        Some(cluster),
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return Err(fail(log, op, sink, RevokeStep::Verify, e)),
    };
    let still_present: Vec<Grant> = snap
        .removals
        .iter()
        .flat_map(|r| {
            r.grants
                .iter()
                .filter(|g| observed.has(&r.resource, g))
                .cloned()
        })
        .collect();
    finished(
        sink,
        RevokeStep::Verify,
        if still_present.is_empty() {
            StepStatus::Done
        } else {
            StepStatus::Failed
        },
        match still_present.len() {
            0 => "Every removed grant is gone.".to_owned(),
            n => format!(
                "{} still present.",
                plural(n, "removed grant is", "removed grants are")
            ),
        },
    );
    let cmek_status = observed
        .cmek
        .as_ref()
        .map(|c| c.status.clone())
        .unwrap_or_default();
    let report = RevokeReport {
        operation_id: op.to_owned(),
        cluster_id: cluster.to_owned(),
        cluster_name: snap.cluster_name.clone(),
        lever: snap.lever,
        cmek_status: cmek_status.clone(),
        user_messages: user_messages.clone(),
        revoked_at: revoke_accepted_at(log, op)?,
        removed: snap.removals.clone(),
        disabled_service_accounts: snap.disables.clone(),
        still_present,
        observed,
        aws: None,
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
        log.finish_operation(
            op,
            EntryStatus::Failed,
            &format!("CockroachDB reports {cmek_status}"),
            &report,
            Some(&e),
        )?;
    }
    Ok(report)
}

/// Polls `GET …/cmek` until every region is terminal (cmek-procedure §10), every
/// `RevokeTiming::poll_interval` for up to `settle_timeout`
/// (`cmek_retry::policy::CMEK_STATUS_POLL`); a cancel ends the wait at once.
pub(crate) async fn wait_settled(
    ctx: &RevokeContext,
    cluster: &str,
    control: &RevokeControl,
    sink: Sink<'_>,
) -> Result<CmekClusterInfo> {
    let stopped = || {
        Error::new(
            ErrorCode::Cancelled,
            "Stopped waiting; REVOKE was already sent and CockroachDB continues.",
        )
    };
    let policy = CMEK_STATUS_POLL
        .with_within(ctx.timing.settle_timeout)
        .with_interval(ctx.timing.poll_interval);
    let settled = cmek_retry::poll(&policy, &control.token, cmek_retry::quietly, || async {
        let info = ctx.cockroach.get_cmek(cluster).await?.unwrap_or_default();
        if !info.region_infos.is_empty()
            && info
                .region_infos
                .iter()
                .all(|r| classify_status(&r.status) != StatusClass::InProgress)
        {
            return Ok(Check::Ready(info));
        }
        let states: Vec<String> = info
            .region_infos
            .iter()
            .map(|r| format!("{}: {}", r.region, r.status))
            .collect();
        progress(sink, RevokeStep::WaitRevoked, states.join(", "));
        if control.is_cancelled() {
            return Err(stopped());
        }
        Ok(Check::NotYet(Error::new(
            ErrorCode::Timeout,
            format!(
                "CockroachDB did not report REVOKED within {:?}",
                ctx.timing.settle_timeout
            ),
        )))
    })
    .await;
    settled.map_err(|e| match e.code {
        ErrorCode::Cancelled => stopped(),
        _ => e,
    })
}
