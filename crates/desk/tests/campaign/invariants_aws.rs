//! Invariant (a) on AWS: no statement or condition the app does not own was lost or changed in
//! the key policy or the role's trust policy, nor any other member of those documents.
//!
//! The app owns exactly CockroachDB's statements: `Sid` `AllowCockroachDBCloudCMEK` in the key
//! policy and `CockroachDBCloudCMEK` in the trust policy (`cmek_core::aws::statements`). Every
//! other statement seen before the run, and every statement another writer added during it
//! (`SandboxHandle::aws_foreign_statements`), must be in the same policy afterwards, unchanged
//! (a changed condition shows as a missing statement), and the documents' other members
//! (`Version`, `Id`, unknown ones) must be as they were.

use super::ops_aws::{key_arn, key_policy, statements, trust_policy, AwsPrepared};
use cmek_core::aws::statements::{KEY_POLICY_SID, TRUST_SID};
use cmek_sandbox::SandboxHandle;
use serde_json::Value;

/// The unowned part of the two policies: (policy label, statements, other members).
#[derive(Debug, Clone, Default)]
pub struct AwsForeign {
    pub policies: Vec<(&'static str, Vec<Value>, Value)>,
}

fn owned(s: &Value) -> bool {
    matches!(s["Sid"].as_str(), Some(KEY_POLICY_SID) | Some(TRUST_SID))
}

fn split(doc: &Value) -> (Vec<Value>, Value) {
    let others = doc
        .as_object()
        .map(|m| {
            let mut m = m.clone();
            m.remove("Statement");
            Value::Object(m)
        })
        .unwrap_or(Value::Null);
    let foreign = statements(doc).into_iter().filter(|s| !owned(s)).collect();
    (foreign, others)
}

fn read(sb: &SandboxHandle, a: &AwsPrepared) -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("key policy", key_policy(sb, a)),
        ("trust policy", trust_policy(sb, a)),
    ]
}

/// The unowned statements and members of the key and trust policies that exist now.
pub fn foreign(sb: &SandboxHandle, a: Option<&AwsPrepared>) -> AwsForeign {
    let mut f = AwsForeign::default();
    let Some(a) = a else {
        return f;
    };
    for (label, doc) in read(sb, a) {
        if let Some(doc) = doc {
            let (s, others) = split(&doc);
            f.policies.push((label, s, others));
        }
    }
    f
}

/// (a) on AWS: returns the violations.
pub fn nothing_unowned_lost(
    sb: &SandboxHandle,
    before: &AwsForeign,
    a: Option<&AwsPrepared>,
) -> Vec<String> {
    let Some(a) = a else {
        return Vec::new();
    };
    let mut expected: Vec<(&'static str, Value)> = before
        .policies
        .iter()
        .flat_map(|(label, s, _)| s.iter().map(move |x| (*label, x.clone())))
        .collect();
    let key = key_arn(sb, a).unwrap_or_default();
    for f in sb.aws_foreign_statements() {
        let label = match f.policy.split_once(':') {
            Some(("key", arn)) if arn == key => "key policy",
            Some(("role", name)) if name == a.role_name => "trust policy",
            _ => continue,
        };
        expected.push((label, f.statement));
    }
    let now = read(sb, a);
    let mut v = Vec::new();
    for (label, statement) in expected {
        let present = now
            .iter()
            .find(|(l, _)| *l == label)
            .and_then(|(_, d)| d.as_ref())
            .is_some_and(|d| statements(d).contains(&statement));
        if !present {
            v.push(format!(
                "(a) unowned statement lost or changed in the {label}: {statement}"
            ));
        }
    }
    for (label, _, others) in &before.policies {
        let after = now
            .iter()
            .find(|(l, _)| l == label)
            .and_then(|(_, d)| d.as_ref())
            .map(|d| split(d).1);
        if after.as_ref() != Some(others) {
            v.push(format!(
                "(a) the {label}'s other members changed: {others} -> {after:?}"
            ));
        }
    }
    v
}
