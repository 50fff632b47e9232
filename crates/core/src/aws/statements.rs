//! CockroachDB's two AWS policy statements, how they are added to what exists, and how what a
//! service returns is checked against what was meant.
//!
//! - Trust (cmek-procedure.md §5 step 2): the role trusts CockroachDB's AWS account
//!   (`arn:aws:iam::{cluster account_id}:root`) for `sts:AssumeRole` on condition
//!   `StringEquals sts:ExternalId = {CockroachDB organization id}` (B29: the docs require it).
//! - Key policy (§5 step 3): the role may use the key for exactly `kms:Encrypt`, `kms:Decrypt`,
//!   `kms:GenerateDataKey*`, `kms:DescribeKey`, `kms:ReEncrypt*`, on `Resource: "*"`.
//!
//! Writes are read-modify-write ([`PolicyDocument::upsert`]): every other statement
//! (administrators, other services) stays. [`compare_statement`] lists every difference between
//! a statement read back and the one meant, in words, so a policy that lost a condition or
//! gained an action fails loudly ([`super::compare`]).

use super::arn::account_root_arn;
pub use super::compare::{compare_policy, compare_statement};
use super::policy::{OneOrMany, PolicyDocument, Principal, Statement};
use serde_json::Value;
use std::collections::BTreeMap;

/// `Sid` of the key-policy statement CMEK Desk owns (alphanumeric, valid in IAM and KMS).
pub const KEY_POLICY_SID: &str = "AllowCockroachDBCloudCMEK";
/// `Sid` of the trust statement CMEK Desk writes when it creates or fixes a role.
pub const TRUST_SID: &str = "CockroachDBCloudCMEK";
/// `Id` of a key policy CMEK Desk writes from nothing (the docs' sample uses `crdb-cmek-kms`).
pub const KEY_POLICY_ID: &str = "crdb-cmek-kms";
/// The five actions CockroachDB needs on the key, and no other (cmek-procedure.md §1, §5).
pub const CMEK_KEY_ACTIONS: [&str; 5] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:ReEncrypt*",
];
/// The condition key that carries the ExternalId.
pub const EXTERNAL_ID_KEY: &str = "sts:ExternalId";

/// The trust statement: CockroachDB's account may assume the role with `ExternalId = org_id`.
pub fn trust_statement(partition: &str, crl_account: &str, org_id: &str) -> Statement {
    Statement {
        sid: Some(TRUST_SID.to_owned()),
        effect: "Allow".into(),
        principal: Some(Principal::aws(account_root_arn(partition, crl_account))),
        action: Some(OneOrMany::One("sts:AssumeRole".into())),
        condition: Some(external_id_condition(org_id)),
        ..Default::default()
    }
}

fn external_id_condition(org_id: &str) -> BTreeMap<String, BTreeMap<String, Value>> {
    BTreeMap::from([(
        "StringEquals".to_owned(),
        BTreeMap::from([(EXTERNAL_ID_KEY.to_owned(), Value::String(org_id.to_owned()))]),
    )])
}

/// A new role's whole trust policy: only [`trust_statement`].
pub fn trust_policy(partition: &str, crl_account: &str, org_id: &str) -> PolicyDocument {
    let mut doc = PolicyDocument::new(None);
    doc.upsert(trust_statement(partition, crl_account, org_id));
    doc
}

/// The key-policy statement granting `role_arn` exactly [`CMEK_KEY_ACTIONS`].
pub fn key_statement(role_arn: &str) -> Statement {
    Statement {
        sid: Some(KEY_POLICY_SID.to_owned()),
        effect: "Allow".into(),
        principal: Some(Principal::aws(role_arn)),
        action: Some(OneOrMany::Many(
            CMEK_KEY_ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
        )),
        resource: Some(OneOrMany::One("*".into())),
        ..Default::default()
    }
}

/// The policy KMS gives a key created without one ("Enable IAM User Permissions": the account
/// root may do `kms:*`), used to preview a key that does not exist yet.
pub fn default_key_policy(partition: &str, account: &str) -> PolicyDocument {
    let mut doc = PolicyDocument::new(Some("key-default-1"));
    doc.upsert(Statement {
        sid: Some("Enable IAM User Permissions".into()),
        effect: "Allow".into(),
        principal: Some(Principal::aws(account_root_arn(partition, account))),
        action: Some(OneOrMany::One("kms:*".into())),
        resource: Some(OneOrMany::One("*".into())),
        ..Default::default()
    });
    doc
}

/// How a role's trust policy stands towards CockroachDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustCheck {
    /// Index of the statement that lets CockroachDB's account assume the role, if any.
    pub statement: Option<usize>,
    /// What is wrong, in words (`None`: the trust is as the docs require).
    pub issue: Option<String>,
}

/// Checks that some `Allow` statement lets `crl_account` do `sts:AssumeRole` with
/// `StringEquals sts:ExternalId = org_id`.
pub fn check_trust(
    doc: &PolicyDocument,
    partition: &str,
    crl_account: &str,
    org_id: &str,
) -> TrustCheck {
    let root = account_root_arn(partition, crl_account);
    let candidates: Vec<usize> = doc
        .statements()
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.allows_action("sts:AssumeRole")
                && s.principal
                    .as_ref()
                    .is_some_and(|p| p.aws_ids().contains(&root))
        })
        .map(|(i, _)| i)
        .collect();
    let Some(&first) = candidates.first() else {
        return TrustCheck {
            statement: None,
            issue: Some(format!("the role does not trust CockroachDB's AWS account {crl_account} (no Allow statement for sts:AssumeRole with principal {root})")),
        };
    };
    let mut seen = Vec::new();
    for &i in &candidates {
        let ids = external_ids(&doc.statements()[i]);
        if ids.iter().any(|v| v == org_id) {
            return TrustCheck {
                statement: Some(i),
                issue: None,
            };
        }
        seen.extend(ids);
    }
    let issue = if seen.is_empty() {
        format!("the role trusts CockroachDB's account {crl_account} without the condition StringEquals sts:ExternalId = {org_id} (the organization id), which the docs require against the confused-deputy problem")
    } else {
        format!("the role requires sts:ExternalId {} but CockroachDB sends the organization id {org_id}", seen.join(", "))
    };
    TrustCheck {
        statement: Some(first),
        issue: Some(issue),
    }
}

/// Values of `StringEquals sts:ExternalId` in a statement.
fn external_ids(s: &Statement) -> Vec<String> {
    s.condition_triples()
        .into_iter()
        .filter(|(op, key, _)| op == "StringEquals" && key.eq_ignore_ascii_case(EXTERNAL_ID_KEY))
        .flat_map(|(_, _, v)| v)
        .collect()
}

/// The trust policy with CockroachDB's trust as the docs require, read-modify-write: the
/// statement that trusts CockroachDB's account gets `StringEquals sts:ExternalId = org_id`
/// (its other conditions stay), or [`trust_statement`] is added. Other statements stay.
pub fn fix_trust(
    doc: &PolicyDocument,
    partition: &str,
    crl_account: &str,
    org_id: &str,
) -> PolicyDocument {
    let check = check_trust(doc, partition, crl_account, org_id);
    let mut fixed = doc.clone();
    match (check.statement, check.issue) {
        (_, None) => {}
        (Some(i), Some(_)) => {
            let list = fixed.statement.to_vec_mut();
            let s = &mut list[i];
            let cond = s.condition.get_or_insert_with(BTreeMap::new);
            for keys in cond.values_mut() {
                keys.retain(|k, _| !k.eq_ignore_ascii_case(EXTERNAL_ID_KEY));
            }
            cond.retain(|_, keys| !keys.is_empty());
            cond.entry("StringEquals".into())
                .or_default()
                .insert(EXTERNAL_ID_KEY.into(), Value::String(org_id.to_owned()));
        }
        (None, Some(_)) => {
            fixed.upsert(trust_statement(partition, crl_account, org_id));
        }
    }
    fixed
}
