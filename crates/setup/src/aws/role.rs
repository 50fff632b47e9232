//! The caller check and the role: created with CockroachDB's trust, or adopted after checking
//! its trust (fixed read-modify-write only with the request's consent), then read back.

use super::apply::{found_outcome, AwsRun, StepDone};
use crate::wait::{fresh_resource, mmss};
use cmek_core::aws::model::IamRole;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::{check_trust, compare_statement, fix_trust, trust_policy};
use cmek_core::plan::StepOutcome;
use cmek_core::{Error, ErrorCode, Result};

/// The credentials still belong to the account the plan was made for.
pub(crate) async fn check_identity(run: &AwsRun<'_>) -> Result<StepDone> {
    let me = run.aws.caller_identity().await?;
    if me.account != run.plan.account_id {
        return Err(Error::new(ErrorCode::FailedPrecondition, format!("The AWS credentials now belong to account {} ({}), but the plan was made for account {}. Nothing was changed; plan again with the right credentials.", me.account, me.arn, run.plan.account_id)));
    }
    Ok((
        StepOutcome::Unchanged,
        format!("Calls are made as {} in account {}.", me.arn, me.account),
    ))
}

/// Creates the role, or adopts it (fixing its trust only with consent), then verifies.
pub(crate) async fn create_role(run: &AwsRun<'_>) -> Result<StepDone> {
    let plan = run.plan;
    let name = &plan.role.name;
    let (crl, org) = (&plan.cluster.account_id, &plan.organization_id);
    let existing = match run.aws.get_role(name).await? {
        Some(r) => r,
        None => {
            let trust = trust_policy(&plan.partition, crl, org);
            let description = format!("CockroachDB Cloud CMEK for cluster {}: assumed by CockroachDB's AWS account {crl}; no permissions of its own", plan.cluster.name);
            match run.aws.create_role(name, &trust, &description).await {
                Ok(role) => {
                    run.mark_fresh(&role.arn);
                    verify(run, &trust).await?;
                    return Ok((
                        StepOutcome::Done,
                        format!(
                            "Created {} trusting account {crl} with sts:ExternalId = {org}.",
                            role.arn
                        ),
                    ));
                }
                // Made meanwhile by someone else: adopt it after checking, like any existing role.
                Err(e) if e.code == ErrorCode::AlreadyExists => fetch(run).await?,
                Err(e) => return Err(e),
            }
        }
    };
    let check = check_trust(&existing.trust_policy, &plan.partition, crl, org);
    let Some(issue) = check.issue else {
        return Ok((
            found_outcome(run),
            format!(
                "{} already trusts account {crl} with sts:ExternalId = {org}.",
                existing.arn
            ),
        ));
    };
    if !plan.request.fix_trust {
        return Err(Error::new(ErrorCode::FailedPrecondition, format!("The role {} cannot be used as it is: {issue}. Nothing was changed. Allow CMEK Desk to fix its trust policy (--fix-trust, or \"Fix the trust policy\" in the plan) and apply again.", existing.arn)).with_resource(existing.arn.clone()));
    }
    let fixed = fix_trust(&existing.trust_policy, &plan.partition, crl, org);
    run.aws.update_trust_policy(name, &fixed).await?;
    verify(run, &fixed).await?;
    Ok((
        StepOutcome::Done,
        format!(
            "Fixed the trust policy of {} ({issue}); every other statement was kept.",
            existing.arn
        ),
    ))
}

/// Reads the role, retrying "not found" for a role this run created.
async fn fetch(run: &AwsRun<'_>) -> Result<IamRole> {
    let name = &run.plan.role.name;
    let fresh = run.is_fresh(&run.plan.role.arn);
    let policy = fresh_resource(&run.conn.timing);
    cmek_retry::retry(
        &policy,
        &run.cancel(),
        |e| fresh && e.code == ErrorCode::NotFound,
        cmek_retry::quietly,
        || async {
            run.aws.get_role(name).await?.ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!(
                        "The role {name} is not visible yet (created {} ago at most).",
                        mmss(policy.within.unwrap_or_default())
                    ),
                )
                .with_resource(run.plan.role.arn.clone())
            })
        },
    )
    .await
}

/// Reads the trust back and compares it with `meant`: CockroachDB's statement must be there
/// exactly, and every other statement unchanged. Fails loudly naming each difference.
async fn verify(run: &AwsRun<'_>, meant: &PolicyDocument) -> Result<()> {
    let plan = run.plan;
    let found = fetch(run).await?;
    let (crl, org) = (&plan.cluster.account_id, &plan.organization_id);
    let mut diffs = Vec::new();
    let meant_check = check_trust(meant, &plan.partition, crl, org);
    let found_check = check_trust(&found.trust_policy, &plan.partition, crl, org);
    if let Some(issue) = found_check.issue {
        diffs.push(issue);
    }
    if let (Some(m), Some(f)) = (meant_check.statement, found_check.statement) {
        diffs.extend(compare_statement(
            &meant.statements()[m],
            &found.trust_policy.statements()[f],
        ));
    }
    let kept = meant
        .statements()
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != meant_check.statement);
    for (i, s) in kept {
        if !found
            .trust_policy
            .statements()
            .iter()
            .any(|f| compare_statement(s, f).is_empty())
        {
            diffs.push(format!(
                "statement {} (kept from before) is missing or changed",
                s.sid.clone().unwrap_or_else(|| format!("#{}", i + 1))
            ));
        }
    }
    if diffs.is_empty() {
        return Ok(());
    }
    Err(Error::new(ErrorCode::FailedPrecondition, format!("The trust policy of {} read back differs from what CMEK Desk wrote: {}. Something else changed it; nothing more was done.", found.arn, diffs.join("; "))).with_resource(found.arn))
}
