//! Whole-statement edits of AWS policies: which statements a lever removes, removing and
//! putting back exactly those, and the checked write (re-read right before, read back after).
//!
//! A statement belongs to CockroachDB's chain only when it is an `Allow` whose `Principal`
//! names exactly one AWS identity, the one the lever cuts (the cluster's role on a key policy,
//! CockroachDB's account on a trust policy), and allows one of the actions that chain needs.
//! A statement that also names other principals is never edited: the lever reports it as a
//! warning instead, so nobody else loses access.

use cmek_aws::AwsClient;
use cmek_core::aws::policy::{OneOrMany, PolicyDocument, Statement};
use cmek_core::aws::statements::CMEK_KEY_ACTIONS;
use cmek_core::{Error, ErrorCode, Result};
use serde_json::Value;

use super::{AwsPolicyKind, AwsPolicyRef, AwsRemoval, RemovedStatement};

/// What a lever finds in one policy: the statements to remove and the ones it must leave.
pub struct Found {
    pub removal: Option<AwsRemoval>,
    pub warnings: Vec<String>,
}

fn relevant(kind: AwsPolicyKind, s: &Statement) -> bool {
    match kind {
        AwsPolicyKind::KeyPolicy => CMEK_KEY_ACTIONS.iter().any(|a| s.allows_action(a)),
        AwsPolicyKind::TrustPolicy => s.allows_action("sts:AssumeRole"),
    }
}

/// The statements of `doc` granting `principal` (normalised ARN) what `policy`'s chain needs.
pub fn find(policy: &AwsPolicyRef, doc: &PolicyDocument, principal: &str) -> Found {
    let mut statements = Vec::new();
    let mut warnings = Vec::new();
    for (i, s) in doc.statements().iter().enumerate() {
        let ids = s
            .principal
            .as_ref()
            .map(|p| p.aws_ids())
            .unwrap_or_default();
        if s.effect != "Allow" || !ids.iter().any(|id| id == principal) {
            continue;
        }
        if !relevant(policy.kind, s) {
            continue;
        }
        if ids.len() != 1 || s.principal.as_ref().is_some_and(|p| p.pairs().len() != 1) {
            warnings.push(format!(
                "Statement {} of {} grants {principal} together with other principals; it is left as is (edit it by hand to cut only {principal}).",
                s.sid.clone().unwrap_or_else(|| format!("#{i}")),
                policy.describe()
            ));
            continue;
        }
        statements.push(RemovedStatement {
            index: i as u32,
            statement: serde_json::to_value(s).unwrap_or(Value::Null),
        });
    }
    Found {
        removal: (!statements.is_empty()).then(|| AwsRemoval {
            policy: policy.clone(),
            statements,
        }),
        warnings,
    }
}

fn as_value(s: &Statement) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// `doc` without the removal's statements (each removed once, compared by exact JSON);
/// returns the new document and how many were removed.
pub fn without(doc: &PolicyDocument, removal: &AwsRemoval) -> (PolicyDocument, usize) {
    let mut pending: Vec<&Value> = removal.statements.iter().map(|r| &r.statement).collect();
    let mut kept = Vec::new();
    for s in doc.statements() {
        let v = as_value(s);
        if let Some(i) = pending.iter().position(|p| **p == v) {
            pending.remove(i);
        } else {
            kept.push(s.clone());
        }
    }
    let n = doc.statements().len() - kept.len();
    let mut out = doc.clone();
    if n > 0 {
        out.statement = OneOrMany::Many(kept);
    }
    (out, n)
}

/// `doc` with the removal's statements put back at their recorded positions, each only if it
/// is not already there; returns the new document and how many were added.
pub fn with_restored(
    doc: &PolicyDocument,
    removal: &AwsRemoval,
) -> Result<(PolicyDocument, usize)> {
    let mut list: Vec<Statement> = doc.statements().to_vec();
    let mut added = 0;
    let mut sorted: Vec<&RemovedStatement> = removal.statements.iter().collect();
    sorted.sort_by_key(|r| r.index);
    for r in sorted {
        if list.iter().any(|s| as_value(s) == r.statement) {
            continue;
        }
        let s: Statement = serde_json::from_value(r.statement.clone()).map_err(|e| {
            Error::internal(format!("a recorded statement is not a statement: {e}"))
        })?;
        list.insert((r.index as usize).min(list.len()), s);
        added += 1;
    }
    let mut out = doc.clone();
    if added > 0 {
        out.statement = if list.len() == 1 && matches!(doc.statement, OneOrMany::One(_)) {
            OneOrMany::One(list.remove(0))
        } else {
            OneOrMany::Many(list)
        };
    }
    Ok((out, added))
}

/// Every difference between two documents, in words (statements by position and JSON; the
/// other members by name). Empty when they are the same policy.
pub fn differences(what: &str, got: &PolicyDocument, meant: &PolicyDocument) -> Vec<String> {
    let mut out = Vec::new();
    if got.version != meant.version || got.id != meant.id || got.extra != meant.extra {
        out.push(format!(
            "{what}: Version, Id or another top-level member differs"
        ));
    }
    let g: Vec<Value> = got.statements().iter().map(as_value).collect();
    let m: Vec<Value> = meant.statements().iter().map(as_value).collect();
    for s in m.iter().filter(|s| !g.contains(s)) {
        out.push(format!("{what}: statement {s} is missing"));
    }
    for s in g.iter().filter(|s| !m.contains(s)) {
        out.push(format!("{what}: unexpected statement {s}"));
    }
    if out.is_empty() && g != m {
        out.push(format!("{what}: statements are in another order"));
    }
    out
}

/// The checked write: re-reads `policy`, refuses (nothing written, `CONFLICT`) when it is not
/// `read` any more, writes `new`, reads back and fails naming every difference from `new`.
/// Returns the document read back.
pub async fn write_checked(
    aws: &AwsClient,
    policy: &AwsPolicyRef,
    read: &PolicyDocument,
    new: &PolicyDocument,
) -> Result<PolicyDocument> {
    let what = policy.describe();
    let again = policy.read(aws).await?;
    let changed = differences(&what, &again, read);
    if !changed.is_empty() {
        return Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "{what} changed between our read and our write; nothing was written. {}",
                changed.join("; ")
            ),
        )
        .with_resource(policy.arn.clone()));
    }
    policy.write(aws, new).await?;
    let back = policy.read(aws).await?;
    let diff = differences(&what, &back, new);
    if !diff.is_empty() {
        return Err(Error::new(
            ErrorCode::Internal,
            format!(
                "{what} read back differs from what was written: {}",
                diff.join("; ")
            ),
        )
        .with_resource(policy.arn.clone()));
    }
    Ok(back)
}
