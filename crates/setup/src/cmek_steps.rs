//! The CockroachDB side of the setup: enable CMEK (retrying while IAM propagates) and wait
//! until every region settles (cmek-procedure.md §10).

use crate::apply::{Run, StepDone};
use crate::wait::{self, mmss};
use cmek_core::cockroach::{classify_status, CmekClusterInfo, StatusClass};
use cmek_core::plan::StepOutcome;
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::Check;
use std::sync::atomic::{AtomicU32, Ordering};

/// True when CockroachDB already holds exactly the planned spec for every planned region.
fn matches_plan(run: &Run<'_>, info: &CmekClusterInfo) -> bool {
    run.plan.region_specs.iter().all(|spec| {
        info.region(&spec.region)
            .and_then(|r| r.current())
            .is_some_and(|k| k.spec == spec.key_spec)
    })
}

/// POST (or PUT after a failed attempt) the region specs, retrying while IAM propagates
/// ([`send_while_iam_propagates`]).
pub(crate) async fn enable_cmek(run: &Run<'_>) -> Result<StepDone> {
    let id = run.plan.request.cluster_id.as_str();
    let cr = &run.conn.cockroach;
    let current = cr.get_cmek(id).await?;
    let mut use_put = false;
    if let Some(info) = &current {
        match info.status.as_str() {
            "ENABLED" if matches_plan(run, info) => {
                return Ok((
                    StepOutcome::Unchanged,
                    "CMEK is already enabled with these keys.".into(),
                ))
            }
            "ENABLED" | "ROTATING" | "REVOKED" | "REVOKING" => {
                return Err(Error::new(ErrorCode::FailedPrecondition, format!(
                    "CMEK on this cluster is {} with other keys. Changing keys is a rotation, which this setup does not do.", info.status
                )));
            }
            "ENABLING" if matches_plan(run, info) => {
                return Ok((
                    StepOutcome::Unchanged,
                    "CockroachDB is already enabling these keys.".into(),
                ))
            }
            s if classify_status(s) == StatusClass::Failed => use_put = true,
            _ => {}
        }
    }
    let specs = &run.plan.region_specs;
    let info = send_while_iam_propagates(run, || async {
        if use_put {
            cr.update_cmek(id, specs).await
        } else {
            cr.enable_cmek(id, specs).await
        }
    })
    .await?;
    Ok((
        StepOutcome::Done,
        format!("CockroachDB accepted the keys (status {}).", info.status),
    ))
}

/// True for an answer that means "CockroachDB cannot use the key yet": 401, 403, or a 400 about
/// key access or permission. TF retries every 400/401/403 here; a 400 that is not about key
/// access (a missing region, a malformed URI) will not heal by waiting, so it fails at once.
/// 429/503 were already retried by the client; retrying them here too would multiply attempts.
pub(crate) fn key_access_not_yet(e: &Error) -> bool {
    match e.code {
        ErrorCode::Unauthenticated | ErrorCode::PermissionDenied => true,
        ErrorCode::InvalidArgument => {
            let m = e.message.to_ascii_lowercase();
            m.contains("permission") || m.contains("access")
        }
        _ => false,
    }
}

/// Sends a CockroachDB write that hands it a key (enable, rotate, add a region), retrying
/// [`key_access_not_yet`] answers for up to `Timing::iam_propagation`
/// (`cmek_retry::policy::IAM_PROPAGATION`: field report B09; TF `retryEnableCMEKSpec`) with a
/// visible note per wait. Such an answer means the call was refused, so repeating it is safe;
/// a 500/502/504 or time-out is never repeated (it may have been applied): it surfaces, and
/// applying again reads the state first.
pub(crate) async fn send_while_iam_propagates<T, F, Fut>(run: &Run<'_>, call: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let id = run.plan.request.cluster_id.as_str();
    let timing = run.conn.timing;
    let note = |w: &cmek_retry::Wait<'_>| {
        run.note(format!(
            "CockroachDB cannot use the key yet — IAM changes take minutes to reach it. Retrying in {}s (attempt {}, {} of up to {} elapsed). CockroachDB said: {}",
            w.delay.as_secs().max(1), w.attempt, mmss(w.elapsed), mmss(timing.iam_propagation), w.error.message
        ));
    };
    let result = cmek_retry::retry(
        &wait::iam_propagation(&timing),
        &run.cancel(),
        key_access_not_yet,
        note,
        || async {
            run.control.check()?;
            call().await
        },
    )
    .await;
    match result {
        Err(e) if key_access_not_yet(&e) => Err(Error::new(
            e.code,
            format!(
                "CockroachDB still cannot use the key after {}: {}. Check that {} holds Token Creator on {} and that it holds Encrypter/Decrypter on every key.",
                mmss(timing.iam_propagation),
                e.message,
                run.plan.cockroach_principal,
                run.plan.service_account_email,
            ),
        )
        .with_resource(id.to_owned())),
        other => other,
    }
}

/// Polls `GET …/cmek` until every region is ENABLED (done) or `*_FAILED` (error with
/// CockroachDB's `user_message`), for up to `Timing::cmek_settle`
/// (`cmek_retry::policy::CMEK_STATUS_POLL`).
pub(crate) async fn wait_for_cmek(run: &Run<'_>) -> Result<StepDone> {
    let id = run.plan.request.cluster_id.as_str();
    let timing = run.conn.timing;
    let polls = AtomicU32::new(0);
    cmek_retry::poll(
        &wait::cmek_settle(&timing),
        &run.cancel(),
        cmek_retry::quietly,
        || async {
            run.control.check()?;
            let first_poll = polls.fetch_add(1, Ordering::Relaxed) == 0;
            let info = run.conn.cockroach.get_cmek(id).await?.unwrap_or_default();
            let checked = check_settled(run, &info, first_poll);
            if let Ok(Check::Ready(_)) = &checked {
                *run.settled.lock().unwrap_or_else(|p| p.into_inner()) = Some(info);
            }
            checked
        },
    )
    .await
}

/// One look at CockroachDB's answer: failed regions end the wait with their message, settled
/// ones with the outcome, anything else is a progress note and "not yet".
fn check_settled(
    run: &Run<'_>,
    info: &CmekClusterInfo,
    first_poll: bool,
) -> Result<Check<StepDone>> {
    let id = run.plan.request.cluster_id.as_str();
    let summary: Vec<String> = info
        .region_infos
        .iter()
        .map(|r| format!("{} {}", r.region, r.status))
        .collect();
    let failed: Vec<String> = info
        .region_infos
        .iter()
        .filter(|r| classify_status(&r.status) == StatusClass::Failed)
        .map(|r| {
            let why = r
                .current()
                .map(|k| k.user_message.as_str())
                .filter(|m| !m.is_empty())
                .unwrap_or("no message");
            format!("{} is {}: {why}", r.region, r.status)
        })
        .collect();
    if !failed.is_empty() {
        return Err(
            Error::new(ErrorCode::CmekFailed, failed.join("; ")).with_resource(id.to_owned())
        );
    }
    // Settled, and every planned region on its planned spec (a rotation's regions report
    // ENABLED on the old key until CockroachDB shows the new one).
    if crate::is_settled(info) && matches_plan(run, info) {
        let outcome = if first_poll
            && run
                .plan
                .steps
                .iter()
                .any(|s| s.kind == cmek_core::plan::StepKind::WaitForCmek && s.already_done)
        {
            StepOutcome::Unchanged
        } else {
            StepOutcome::Done
        };
        return Ok(Check::Ready((
            outcome,
            format!("CMEK {}: {}", info.status, summary.join(", ")),
        )));
    }
    run.note(format!(
        "Waiting for CockroachDB: {}",
        if summary.is_empty() {
            "no regions reported yet".into()
        } else {
            summary.join(", ")
        }
    ));
    Ok(Check::NotYet(Error::new(
        ErrorCode::Timeout,
        format!(
            "CockroachDB has not settled after {}: {}",
            mmss(run.conn.timing.cmek_settle),
            summary.join(", ")
        ),
    )))
}
