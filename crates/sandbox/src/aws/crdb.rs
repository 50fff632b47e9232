//! CockroachDB's side of AWS CMEK, simulated honestly: what CockroachDB Cloud needs before it
//! can use a key for a region whose spec is `AWS_KMS` (`uri` = key ARN, `auth_principal` =
//! role ARN), checked in the order its calls would fail:
//!
//! 1. **role** — the role exists in the customer account (and is visible: a role created
//!    less than `aws_iam_propagation` ago is not yet, B26);
//! 2. **trust policy** — it lets the cluster's AWS account (`arn:aws:iam::{account_id}:root`
//!    or the bare id) call `sts:AssumeRole` with `StringEquals sts:ExternalId` = the
//!    CockroachDB organization id (the docs require it; field report B29);
//! 3. **key** — the key (ARN, or alias ARN) exists;
//! 4. **key policy** — it grants the role the five actions `kms:Encrypt`, `kms:Decrypt`,
//!    `kms:GenerateDataKey*`, `kms:DescribeKey`, `kms:ReEncrypt*` (IAM wildcard matching; a
//!    statement for the account root counts only with a role identity policy allowing the
//!    action). Extra actions still enable, and are noted in the `user_message`;
//! 5. **key state** — `Enabled` (not `Disabled`, not `PendingDeletion`).
//!
//! Each failure's message names its part ("trust policy", "key policy", "key state", …), so an
//! enable failure caused by the trust policy is reported as such (B29). Used by
//! `cmek::check_access` for enabling, rotating and `recheck_key_access` (REVOKED on recheck).

use serde_json::Value;

use super::policy::{identity_allows, key_policy_grants, parse_doc, parse_role_arn, trust_allows};
use crate::state::State;

/// Key ARN (or alias ARN) -> (account, region, key id) of an existing key.
fn find_key(state: &State, uri: &str) -> Option<(String, String, String)> {
    let rest = uri.strip_prefix("arn:aws:kms:")?;
    let p: Vec<&str> = rest.splitn(3, ':').collect();
    let (region, account, res) = (p.first()?, p.get(1)?, p.get(2)?);
    let acc = state.aws.accounts.get(*account)?;
    let id = match res.strip_prefix("key/") {
        Some(id) => id.to_string(),
        None => acc
            .aliases
            .get(&(region.to_string(), res.to_string()))?
            .target
            .clone(),
    };
    acc.keys
        .contains_key(&(region.to_string(), id.clone()))
        .then(|| (account.to_string(), region.to_string(), id))
}

/// CockroachDB's access check for one AWS region spec: Ok(note for `user_message`, empty when
/// nothing to say) or Err(user_message naming the part that failed).
pub(crate) fn check_aws_access(
    state: &State,
    cluster: &Value,
    spec: &Value,
) -> Result<String, String> {
    let uri = spec["uri"].as_str().unwrap_or_default();
    let role_arn = spec["auth_principal"].as_str().unwrap_or_default();
    let crl_account = cluster["account_id"].as_str().unwrap_or_default();
    let org_id = state.organization["id"].as_str().unwrap_or_default();
    let window = state.config.aws_iam_propagation;

    let role = parse_role_arn(role_arn)
        .and_then(|(acct, name)| state.aws.accounts.get(&acct)?.roles.get(&name))
        .filter(|r| r.arn == role_arn && r.created_at.is_none_or(|t| t.elapsed() >= window));
    let Some(role) = role else {
        return Err(format!("Cannot assume the IAM role {role_arn} (role): it does not exist in the customer account. Check auth_principal."));
    };
    let trust = parse_doc(&role.trust)
        .map_err(|e| format!("Cannot assume the IAM role {role_arn} (trust policy): {e}"))?;
    trust_allows(&trust, crl_account, org_id).map_err(|reason| {
        format!("CockroachDB Cloud cannot assume the IAM role {role_arn} (trust policy): {reason}.")
    })?;

    let Some(kref) = find_key(state, uri) else {
        return Err(format!(
            "The KMS key {uri} (key) does not exist or is not visible to the role {role_arn}."
        ));
    };
    let key = &state.aws.accounts[&kref.0].keys[&(kref.1.clone(), kref.2.clone())];
    let role_account = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split(':').next())
        .unwrap_or_default();
    let identity_docs: Vec<Value> = role
        .inline
        .values()
        .cloned()
        .chain(role.attached.iter().filter_map(|arn| {
            let acc = state.aws.accounts.get(role_account)?;
            acc.policies.get(arn).map(|p| p.document.clone())
        }))
        .filter_map(|d| parse_doc(&d).ok())
        .collect();
    let doc = parse_doc(&key.policy).unwrap_or(Value::Null);
    let via_iam = |action: &str| identity_allows(&identity_docs, action);
    let extra = key_policy_grants(&doc, role_arn, role_account, &via_iam).map_err(|missing| {
        format!(
            "Insufficient permissions to access the KMS key {uri} (key policy): the key policy does not allow the role {role_arn} to call {}. Grant kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey and kms:ReEncrypt*.",
            missing.join(", ")
        )
    })?;
    match key.state.as_str() {
        "Enabled" => {}
        "PendingDeletion" => {
            let when = key.deletion_date.map(super::wire::iso).unwrap_or_default();
            return Err(format!("The KMS key {uri} (key state) is PendingDeletion (deletion on {when}); cancel the deletion and enable it."));
        }
        s => {
            return Err(format!(
                "The KMS key {uri} (key state) is {s}; it must be Enabled."
            ))
        }
    }
    if extra.is_empty() {
        Ok(String::new())
    } else {
        Ok(format!(
            "Key access verified. Note: the key policy also grants the role {}, which CockroachDB Cloud does not need.",
            extra.join(", ")
        ))
    }
}
