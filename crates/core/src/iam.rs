//! IAM policies (Google `Policy`, `Binding`, `Expr`) and the only edits CMEK Desk makes to them.
//!
//! Rule (field reports B10, B11, B12; gcp-apis.md §8): we never replace a policy wholesale.
//! An edit is a list of [`Grant`]s to add or remove; [`Policy::apply`] changes exactly those
//! member-role(-condition) pairs and keeps every other binding, condition, audit config and
//! unknown field verbatim. Callers do read-modify-write with the etag that came with the read
//! (`getIamPolicy` with `options.requestedPolicyVersion=3`) and redo the whole cycle on 409
//! ABORTED, re-applying the same edit to the fresh policy.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// Role that lets CockroachDB's principal impersonate the customer service account.
pub const ROLE_TOKEN_CREATOR: &str = "roles/iam.serviceAccountTokenCreator";
/// Role that lets the customer service account encrypt and decrypt with the key.
pub const ROLE_ENCRYPTER_DECRYPTER: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
/// The policy version that returns and accepts conditional bindings.
pub const POLICY_VERSION_CONDITIONS: i32 = 3;

/// A Google IAM policy (`Policy` in the IAM, KMS and Resource Manager discovery documents).
/// Unknown fields are kept in `other` and written back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    /// Audit configs are never edited by CMEK Desk; kept verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_configs: Vec<Value>,
    /// Base64 etag of the version that was read; sent back on write (optimistic concurrency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One role granted to members, optionally under a condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub role: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Expr>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A CEL condition on a binding (`Expr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Expr {
    pub expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub location: Option<String>,
}

/// One member holding one role on one resource, optionally under a condition: the unit of
/// every IAM edit CMEK Desk makes and records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Grant {
    pub role: String,
    /// Canonical member, e.g. `serviceAccount:sa@p.iam.gserviceaccount.com`.
    pub member: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub condition: Option<Expr>,
}

impl Grant {
    /// An unconditional grant.
    pub fn new(role: impl Into<String>, member: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            member: member.into(),
            condition: None,
        }
    }
}

/// `serviceAccount:{email}`.
pub fn service_account_member(email: &str) -> String {
    format!("serviceAccount:{email}")
}

/// What one edit did to a policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditOutcome {
    /// Grants that were added (absent before).
    pub added: Vec<Grant>,
    /// Grants that were removed (present before).
    pub removed: Vec<Grant>,
}

impl EditOutcome {
    /// True when the policy did not change, so no write is needed.
    pub fn is_noop(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

impl Policy {
    /// True when `grant.member` holds `grant.role` in a binding with exactly `grant.condition`.
    pub fn has(&self, grant: &Grant) -> bool {
        self.bindings.iter().any(|b| {
            b.role == grant.role
                && b.condition == grant.condition
                && b.members.iter().any(|m| m == &grant.member)
        })
    }

    /// True when `member` holds `role` unconditionally.
    pub fn grants(&self, role: &str, member: &str) -> bool {
        self.has(&Grant::new(role, member))
    }

    /// Every (role, member, condition) triple, in binding order.
    pub fn grants_list(&self) -> Vec<Grant> {
        self.bindings
            .iter()
            .flat_map(|b| {
                b.members.iter().map(|m| Grant {
                    role: b.role.clone(),
                    member: m.clone(),
                    condition: b.condition.clone(),
                })
            })
            .collect()
    }

    /// Adds and removes exactly the given grants; everything else stays as it was.
    ///
    /// Adding a grant that exists and removing one that does not are no-ops (idempotent).
    /// A binding left without members is dropped (Google rejects empty bindings). When a
    /// conditional binding is present the policy version is raised to 3 so the write keeps it.
    pub fn apply(&mut self, add: &[Grant], remove: &[Grant]) -> EditOutcome {
        let mut outcome = EditOutcome::default();
        for g in remove {
            let mut hit = false;
            for b in self.bindings.iter_mut() {
                if b.role == g.role && b.condition == g.condition {
                    let before = b.members.len();
                    b.members.retain(|m| m != &g.member);
                    hit |= b.members.len() != before;
                }
            }
            if hit {
                outcome.removed.push(g.clone());
            }
        }
        self.bindings.retain(|b| !b.members.is_empty());
        for g in add {
            if self.has(g) {
                continue;
            }
            match self
                .bindings
                .iter_mut()
                .find(|b| b.role == g.role && b.condition == g.condition)
            {
                Some(b) => b.members.push(g.member.clone()),
                None => self.bindings.push(Binding {
                    role: g.role.clone(),
                    members: vec![g.member.clone()],
                    condition: g.condition.clone(),
                    other: Map::new(),
                }),
            }
            outcome.added.push(g.clone());
        }
        if broken_merge::on() {
            // The deliberately broken merge of the fault campaign's self-test: drops the first
            // binding this edit does not own.
            let owned = |b: &Binding| add.iter().chain(remove).any(|g| g.role == b.role);
            if let Some(i) = self.bindings.iter().position(|b| !owned(b)) {
                self.bindings.remove(i);
            }
        }
        if self.bindings.iter().any(|b| b.condition.is_some()) {
            self.version = Some(POLICY_VERSION_CONDITIONS);
        }
        outcome
    }
}

/// A test-only switch that breaks [`Policy::apply`] on purpose: with it on, every edit also
/// drops the first binding it does not own. The seeded fault campaign (issue 13) turns it on
/// to prove that its invariant "no binding the app does not own is lost" can fail. Only debug
/// builds honour it; release builds ignore it.
#[doc(hidden)]
pub mod broken_merge {
    use std::sync::atomic::{AtomicBool, Ordering};

    static ON: AtomicBool = AtomicBool::new(false);

    /// Turns the broken merge on or off for this process; returns whether it took effect
    /// (false in release builds).
    pub fn set(on: bool) -> bool {
        if cfg!(debug_assertions) {
            ON.store(on, Ordering::SeqCst);
            true
        } else {
            false
        }
    }

    pub(crate) fn on() -> bool {
        cfg!(debug_assertions) && ON.load(Ordering::Relaxed)
    }
}

/// Grants present in `after` but not `before` (added) and the reverse (removed).
pub fn diff(before: &Policy, after: &Policy) -> EditOutcome {
    let b = before.grants_list();
    let a = after.grants_list();
    EditOutcome {
        added: a.iter().filter(|g| !b.contains(g)).cloned().collect(),
        removed: b.iter().filter(|g| !a.contains(g)).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(v: Value) -> Policy {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn adding_keeps_other_bindings_conditions_audit_configs_and_unknown_fields() {
        // B12: a key that already grants the role to other service agents keeps them all.
        let mut p = policy(json!({
            "version": 3,
            "etag": "BwX1",
            "bindings": [
                {"role": ROLE_ENCRYPTER_DECRYPTER, "members": ["serviceAccount:agent@gcp-sa.iam.gserviceaccount.com"]},
                {"role": ROLE_ENCRYPTER_DECRYPTER, "members": ["user:temp@example.com"],
                 "condition": {"title": "until 2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}},
                {"role": "roles/cloudkms.viewer", "members": ["group:sec@example.com"]}
            ],
            "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}],
            "futureField": {"x": 1}
        }));
        let before = p.clone();
        let me = Grant::new(
            ROLE_ENCRYPTER_DECRYPTER,
            "serviceAccount:crdb@p.iam.gserviceaccount.com",
        );
        let out = p.apply(std::slice::from_ref(&me), &[]);
        assert_eq!(out.added, vec![me.clone()]);
        let d = diff(&before, &p);
        assert_eq!(d.added, vec![me]);
        assert!(d.removed.is_empty(), "nothing else may change: {d:?}");
        assert_eq!(p.audit_configs, before.audit_configs);
        assert_eq!(p.other.get("futureField"), Some(&json!({"x": 1})));
        assert_eq!(
            p.etag.as_deref(),
            Some("BwX1"),
            "the read etag is sent back"
        );
        assert_eq!(p.version, Some(3));
        // The new member joins the unconditional binding, not the conditional one.
        assert_eq!(p.bindings[0].members.len(), 2);
        assert_eq!(p.bindings[1].members, vec!["user:temp@example.com"]);
    }

    #[test]
    fn add_is_idempotent_and_remove_of_absent_is_a_noop() {
        let mut p = Policy::default();
        let g = Grant::new(
            ROLE_TOKEN_CREATOR,
            "serviceAccount:crl-kms-user-aaa@crl.iam.gserviceaccount.com",
        );
        assert!(!p.apply(std::slice::from_ref(&g), &[]).is_noop());
        assert!(p.apply(std::slice::from_ref(&g), &[]).is_noop());
        assert!(p
            .apply(&[], &[Grant::new(ROLE_TOKEN_CREATOR, "user:x@example.com")])
            .is_noop());
        assert_eq!(p.bindings.len(), 1);
    }

    #[test]
    fn removal_touches_only_the_named_pair_and_drops_empty_bindings() {
        let mut p = policy(json!({"bindings": [
            {"role": ROLE_TOKEN_CREATOR, "members": ["serviceAccount:a@x.iam.gserviceaccount.com", "serviceAccount:b@x.iam.gserviceaccount.com"]},
            {"role": ROLE_ENCRYPTER_DECRYPTER, "members": ["serviceAccount:a@x.iam.gserviceaccount.com"]}
        ]}));
        let out = p.apply(
            &[],
            &[Grant::new(
                ROLE_ENCRYPTER_DECRYPTER,
                "serviceAccount:a@x.iam.gserviceaccount.com",
            )],
        );
        assert_eq!(out.removed.len(), 1);
        assert_eq!(p.bindings.len(), 1);
        assert_eq!(p.bindings[0].members.len(), 2);
    }

    #[test]
    fn a_conditional_grant_is_distinct_from_the_unconditional_one() {
        let cond = Expr {
            expression: "true".into(),
            title: Some("t".into()),
            ..Default::default()
        };
        let mut p = Policy::default();
        let conditional = Grant {
            condition: Some(cond),
            ..Grant::new("roles/r", "user:u@example.com")
        };
        p.apply(std::slice::from_ref(&conditional), &[]);
        assert!(!p.grants("roles/r", "user:u@example.com"));
        assert!(p.has(&conditional));
        assert_eq!(p.version, Some(3));
        p.apply(&[], std::slice::from_ref(&conditional));
        assert!(p.bindings.is_empty());
    }

    #[test]
    fn round_trips_an_empty_google_policy() {
        let p = policy(json!({"etag": "ACAB"}));
        assert_eq!(serde_json::to_value(&p).unwrap(), json!({"etag": "ACAB"}));
    }
}
