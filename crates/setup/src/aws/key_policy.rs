//! The key policy: read-modify-write that keeps every statement and sets CockroachDB's (the
//! role, exactly the five actions), each principal looked up first (B27), KMS's "invalid
//! principals" retried only for a role this run created (B26), then read back and compared.

use super::apply::{found_outcome, AwsRun, StepDone};
use crate::wait::mmss;
use cmek_core::aws::arn::PrincipalRef;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::{compare_policy, key_statement, KEY_POLICY_SID};
use cmek_core::plan::StepOutcome;
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::policy::AWS_NEW_PRINCIPAL;

/// True for KMS's answer to a policy naming a principal it cannot see.
pub(crate) fn is_invalid_principal(e: &Error) -> bool {
    e.code == ErrorCode::InvalidArgument && e.message.to_ascii_lowercase().contains("principal")
}

/// Adds CockroachDB's statement to the step's key policy and verifies it.
pub(crate) async fn write_key_policy(run: &AwsRun<'_>) -> Result<StepDone> {
    let planned = run.planned_key()?;
    let (region, alias) = (&planned.region, &planned.alias);
    let key = run.key(region).await?;
    let role_arn = &run.plan.role.arn;
    let current = run.aws.get_key_policy(region, &key.key_id).await?;
    let mut meant = current.clone();
    if !meant.upsert(key_statement(role_arn)) {
        return Ok((
            found_outcome(run),
            format!(
                "The key policy of {} already grants {role_arn} exactly the five CMEK actions.",
                key.arn
            ),
        ));
    }
    check_principals(run, &meant).await?;
    let fresh_role = run.is_fresh(role_arn);
    let policy = AWS_NEW_PRINCIPAL
        .with_within(run.conn.timing.fresh_resource)
        .with_min_delay(run.conn.timing.poll_interval);
    let note = |w: &cmek_retry::Wait<'_>| {
        run.note(format!("KMS cannot see the new role {role_arn} yet (IAM is eventually consistent); retrying in {}s ({} of up to {} elapsed).", w.delay.as_secs().max(1), mmss(w.elapsed), mmss(policy.within.unwrap_or_default())));
    };
    cmek_retry::retry(
        &policy,
        &run.cancel(),
        |e| fresh_role && is_invalid_principal(e),
        note,
        || run.aws.put_key_policy(region, &key.key_id, &meant),
    )
    .await
    .map_err(|e| match is_invalid_principal(&e) {
        true if fresh_role => Error::new(
            e.code,
            format!(
                "KMS still rejects the key policy of {} after {}: {}",
                key.arn,
                mmss(policy.within.unwrap_or_default()),
                e.message
            ),
        )
        .with_resource(key.arn.clone()),
        _ => e,
    })?;
    let found = run.aws.get_key_policy(region, &key.key_id).await?;
    let diffs = compare_policy(&meant, &found, KEY_POLICY_SID);
    if !diffs.is_empty() {
        return Err(Error::new(ErrorCode::FailedPrecondition, format!("The key policy of {alias} in {region} ({}) read back differs from what CMEK Desk wrote: {}. Something else changed it; nothing more was done.", key.arn, diffs.join("; "))).with_resource(key.arn));
    }
    Ok((StepOutcome::Done, format!("The key policy of {} now grants {role_arn} kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey and kms:ReEncrypt*; every other statement was kept.", key.arn)))
}

/// B27: every principal of the policy about to be written exists, unless this run created it
/// (then B26's retry covers KMS not seeing it yet). Accounts and other accounts' principals
/// cannot be checked from here and are left to KMS. Fails at once naming the first missing one.
async fn check_principals(run: &AwsRun<'_>, policy: &PolicyDocument) -> Result<()> {
    let account = &run.plan.account_id;
    for id in policy.aws_principals() {
        if run.is_fresh(&id) {
            continue;
        }
        let missing = match PrincipalRef::classify(&id) {
            PrincipalRef::Role { account: a, name } if &a == account => {
                run.aws.get_role(&name).await?.is_none()
            }
            PrincipalRef::User { account: a, name } if &a == account => {
                match run.aws.user_exists(&name).await {
                    Ok(exists) => !exists,
                    // A server that cannot answer GetUser (a sandbox) leaves the check to KMS.
                    Err(e) if e.code == ErrorCode::InvalidArgument => false,
                    Err(e) => return Err(e),
                }
            }
            PrincipalRef::Other(raw) if raw.starts_with("AROA") || raw.starts_with("AIDA") => true,
            _ => false,
        };
        if missing {
            return Err(Error::new(ErrorCode::NotFound, format!("The key policy names the principal {id}, which does not exist in account {account} (and CMEK Desk did not create it), so KMS would refuse the policy. Nothing was written. Remove or fix that statement of the key policy, then apply again.")).with_resource(id));
        }
    }
    Ok(())
}
