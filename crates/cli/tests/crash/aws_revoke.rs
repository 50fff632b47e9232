//! The AWS revocation levers under the crash harness: the sandbox's AWS cluster set up with a
//! new role and key (`aws_setup_args`), a bystander's statement in the key policy and in the
//! role's trust policy before the revocation, a colleague's statement added to both while the
//! app is down, and the expected state (the intended state plus the colleague's statements).
//! Statements are compared as a set (sorted), since a read-modify-write keeps others' statements
//! but may put its own back in another place.

use super::{World, AWS_CLUSTER, ROLE_ARN};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Seeded before the revocation on the key policy and the trust policy: never ours.
pub const AWS_BYSTANDER: &str = "BystanderAudit";
/// Added while the app is down (after the kill, before the restart), as a colleague would.
pub const AWS_COLLEAGUE: &str = "ColleagueReview";
/// The officer account of the sandbox (its root may be named in any policy).
const ACCOUNT: &str = "111122223333";

/// A statement `sid` letting the account's root read the key (key policy) or assume the role
/// (trust policy).
pub fn statement(sid: &str, in_trust: bool) -> Value {
    let action = if in_trust {
        "sts:AssumeRole"
    } else {
        "kms:DescribeKey"
    };
    let mut s = json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") },
        "Action": action,
    });
    if !in_trust {
        s["Resource"] = json!("*");
    }
    s
}

/// `(key policy, trust policy)` labels of [`World::aws_snapshot`].
const KEY_POLICY: &str = "key policy";
const TRUST_POLICY: &str = "role trust policy";

/// The `revoke` arguments of an AWS lever.
pub fn aws_revoke_args(lever: &'static str) -> [&'static str; 6] {
    [
        "revoke",
        AWS_CLUSTER,
        "--lever",
        lever,
        "--confirm",
        AWS_CLUSTER,
    ]
}

impl World {
    /// Appends statement `sid` to the stored key policy of the cluster's key and to the role's
    /// trust policy, behind the app's back.
    pub fn add_aws_statement(&self, sid: &str) {
        let key = self.aws_cluster_key_arn().expect("the cluster uses a key");
        assert!(self
            .sb
            .tamper_key_policy(&key, |p| push(p, statement(sid, false))));
        let name = ROLE_ARN.rsplit('/').next().unwrap_or_default();
        assert!(self
            .sb
            .tamper_role_trust(ACCOUNT, name, |p| push(p, statement(sid, true))));
    }
}

fn push(policy: &mut Value, s: Value) {
    if let Some(list) = policy["Statement"].as_array_mut() {
        list.push(s);
    }
}

/// Sorts the statements of both policies of an AWS snapshot (compared as sets).
pub fn sorted(mut state: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    for label in [KEY_POLICY, TRUST_POLICY] {
        if let Some(list) = state
            .get_mut(label)
            .and_then(|p| p["Statement"].as_array_mut())
        {
            list.sort_by_key(Value::to_string);
        }
    }
    state
}

/// `state` with statement `sid` added to both policies (as [`World::add_aws_statement`]).
pub fn plus_statement(state: &BTreeMap<String, Value>, sid: &str) -> BTreeMap<String, Value> {
    let mut out = state.clone();
    for (label, in_trust) in [(KEY_POLICY, false), (TRUST_POLICY, true)] {
        if let Some(p) = out.get_mut(label) {
            push(p, statement(sid, in_trust));
        }
    }
    sorted(out)
}
