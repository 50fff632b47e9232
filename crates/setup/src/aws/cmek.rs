//! CockroachDB's side for AWS: enable CMEK with `AWS_KMS` region specs (key ARN as `uri`, role
//! ARN as `auth_principal`), retrying the IAM propagation window like the GCP setup (B09), then
//! poll until every region settles. A failure is diagnosed by re-reading the role's trust and
//! the key policies, so one caused by the trust is reported as such (B29).

use super::apply::{AwsRun, StepDone};
use crate::wait::{self, mmss};
use cmek_core::aws::statements::{check_trust, compare_statement, key_statement, KEY_POLICY_SID};
use cmek_core::cockroach::{
    classify_status, CmekClusterInfo, CmekKeySpec, CmekRegionSpec, StatusClass,
};
use cmek_core::plan::StepOutcome;
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::Check;
use std::sync::atomic::{AtomicU32, Ordering};

/// The region specs with the real key ARNs (the plan may predate the keys).
async fn actual_specs(run: &AwsRun<'_>) -> Result<Vec<CmekRegionSpec>> {
    let mut out = Vec::new();
    for spec in &run.plan.region_specs {
        let planned = run
            .plan
            .key_for_region(&spec.region)
            .ok_or_else(|| Error::internal(format!("no key serves region {}", spec.region)))?;
        let key = run.key(&planned.region).await?;
        out.push(CmekRegionSpec {
            region: spec.region.clone(),
            key_spec: CmekKeySpec {
                key_type: "AWS_KMS".into(),
                uri: key.arn,
                auth_principal: run.plan.role.arn.clone(),
            },
        });
    }
    Ok(out)
}

fn matches(specs: &[CmekRegionSpec], info: &CmekClusterInfo) -> bool {
    specs.iter().all(|s| {
        info.region(&s.region)
            .and_then(|r| r.current())
            .is_some_and(|k| k.spec == s.key_spec)
    })
}

/// POST (or PUT after a failed attempt) the specs, retrying 400 (key access)/401/403 while IAM
/// propagates (`cmek_retry::policy::IAM_PROPAGATION`); a 5xx or time-out is never repeated.
pub(crate) async fn enable_cmek(run: &AwsRun<'_>) -> Result<StepDone> {
    let id = run.plan.request.cluster_id.as_str();
    let cr = &run.conn.cockroach;
    let specs = actual_specs(run).await?;
    let mut use_put = false;
    if let Some(info) = cr.get_cmek(id).await? {
        match info.status.as_str() {
            "ENABLED" if matches(&specs, &info) => return Ok((StepOutcome::Unchanged, "CMEK is already enabled with these keys.".into())),
            "ENABLED" | "ROTATING" | "REVOKED" | "REVOKING" => {
                return Err(Error::new(ErrorCode::FailedPrecondition, format!("CMEK on this cluster is {} with other keys. Changing keys is a rotation, which this setup does not do.", info.status)))
            }
            "ENABLING" if matches(&specs, &info) => return Ok((StepOutcome::Unchanged, "CockroachDB is already enabling these keys.".into())),
            s if classify_status(s) == StatusClass::Failed => use_put = true,
            _ => {}
        }
    }
    let timing = run.conn.timing;
    let propagation = |e: &Error| match e.code {
        ErrorCode::Unauthenticated | ErrorCode::PermissionDenied => true,
        ErrorCode::InvalidArgument => {
            let m = e.message.to_ascii_lowercase();
            m.contains("permission") || m.contains("access") || m.contains("assume")
        }
        _ => false,
    };
    let note = |w: &cmek_retry::Wait<'_>| {
        run.note(format!("CockroachDB cannot use the key yet — IAM changes take minutes to reach it. Retrying in {}s (attempt {}, {} of up to {} elapsed). CockroachDB said: {}", w.delay.as_secs().max(1), w.attempt, mmss(w.elapsed), mmss(timing.iam_propagation), w.error.message));
    };
    let result = cmek_retry::retry(
        &wait::iam_propagation(&timing),
        &run.cancel(),
        propagation,
        note,
        || async {
            run.control.check()?;
            if use_put {
                cr.update_cmek(id, &specs).await
            } else {
                cr.enable_cmek(id, &specs).await
            }
        },
    )
    .await;
    match result {
        Ok(info) => Ok((
            StepOutcome::Done,
            format!("CockroachDB accepted the keys (status {}).", info.status),
        )),
        Err(e) if propagation(&e) => {
            let why = diagnose(run).await;
            Err(Error::new(
                e.code,
                failure_text(
                    run,
                    &format!(
                        "CockroachDB still cannot use the key after {}: {}",
                        mmss(timing.iam_propagation),
                        e.message
                    ),
                    &why,
                ),
            )
            .with_resource(id.to_owned()))
        }
        Err(e) => Err(e),
    }
}

/// Polls `GET …/cmek` until every region is ENABLED, or fails with CockroachDB's
/// `user_message` and what the diagnosis found.
pub(crate) async fn wait_for_cmek(run: &AwsRun<'_>) -> Result<StepDone> {
    let id = run.plan.request.cluster_id.as_str();
    let polls = AtomicU32::new(0);
    let failed = cmek_retry::poll(
        &wait::cmek_settle(&run.conn.timing),
        &run.cancel(),
        cmek_retry::quietly,
        || async {
            run.control.check()?;
            let first = polls.fetch_add(1, Ordering::Relaxed) == 0;
            let info = run.conn.cockroach.get_cmek(id).await?.unwrap_or_default();
            let checked = check_settled(run, &info, first);
            if let Ok(Check::Ready(Ok(_))) = &checked {
                *run.settled.lock().unwrap_or_else(|p| p.into_inner()) = Some(info);
            }
            checked
        },
    )
    .await?;
    match failed {
        Ok(done) => Ok(done),
        Err(message) => {
            let why = diagnose(run).await;
            Err(
                Error::new(ErrorCode::CmekFailed, failure_text(run, &message, &why))
                    .with_resource(id.to_owned()),
            )
        }
    }
}

/// One look: `Ready(Ok)` when settled, `Ready(Err(message))` when a region failed, else a note.
fn check_settled(
    run: &AwsRun<'_>,
    info: &CmekClusterInfo,
    first: bool,
) -> Result<Check<Result<StepDone, String>>> {
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
        return Ok(Check::Ready(Err(failed.join("; "))));
    }
    if crate::is_settled(info)
        && run
            .plan
            .region_specs
            .iter()
            .all(|s| info.region(&s.region).is_some())
    {
        let outcome = if first && run.step.already_done {
            StepOutcome::Unchanged
        } else {
            StepOutcome::Done
        };
        return Ok(Check::Ready(Ok((
            outcome,
            format!("CMEK {}: {}", info.status, summary.join(", ")),
        ))));
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

/// What is wrong on the AWS side now, in words: the role's trust (first: B29), then each key's
/// policy statement and state. Reads only; a read that fails is reported as such.
async fn diagnose(run: &AwsRun<'_>) -> Vec<String> {
    let plan = run.plan;
    let mut out = Vec::new();
    match run.aws.get_role(&plan.role.name).await {
        Ok(Some(role)) => {
            if let Some(issue) = check_trust(
                &role.trust_policy,
                &plan.partition,
                &plan.cluster.account_id,
                &plan.organization_id,
            )
            .issue
            {
                out.push(format!(
                    "the trust policy of the role {}: {issue}",
                    role.arn
                ));
            }
        }
        Ok(None) => out.push(format!(
            "the role {} does not exist any more",
            plan.role.arn
        )),
        Err(e) => out.push(format!(
            "the role {} could not be read ({})",
            plan.role.arn, e.message
        )),
    }
    for k in &plan.keys {
        let Ok(key) = run.key(&k.region).await else {
            out.push(format!("the key {} in {} is gone", k.alias, k.region));
            continue;
        };
        if let Err(why) = key.usable_for_cmek() {
            out.push(format!("the key {}: {why}", key.arn));
        }
        match run.aws.get_key_policy(&k.region, &key.key_id).await {
            Ok(p) => match p.find_sid(KEY_POLICY_SID) {
                Some(s) => {
                    let diffs = compare_statement(&key_statement(&plan.role.arn), s);
                    if !diffs.is_empty() {
                        out.push(format!(
                            "the key policy of {}: {}",
                            key.arn,
                            diffs.join("; ")
                        ));
                    }
                }
                None => out.push(format!(
                    "the key policy of {} has no statement {KEY_POLICY_SID} for the role",
                    key.arn
                )),
            },
            Err(e) => out.push(format!(
                "the key policy of {} could not be read ({})",
                key.arn, e.message
            )),
        }
    }
    out
}

/// The failure in words: a trust problem first and named as such (B29), then the rest.
fn failure_text(run: &AwsRun<'_>, cockroach_said: &str, found: &[String]) -> String {
    let role = &run.plan.role.arn;
    let trust = found.iter().find(|f| f.starts_with("the trust policy"));
    let lower = cockroach_said.to_ascii_lowercase();
    let head = match trust {
        Some(t) => format!("CockroachDB cannot assume the role {role} because of its trust policy ({t}). "),
        None if lower.contains("trust policy") || lower.contains("assume") => format!("CockroachDB cannot assume the role {role}: its trust policy does not let CockroachDB's account {} in with sts:ExternalId = {}. ", run.plan.cluster.account_id, run.plan.organization_id),
        None => String::new(),
    };
    let rest = if found.is_empty() {
        String::new()
    } else {
        format!(" CMEK Desk found: {}.", found.join("; "))
    };
    format!("{head}CockroachDB said: {cockroach_said}.{rest}")
}
