//! The campaign's invariants, checked after every schedule:
//! (a) no binding, condition or audit config the app does not own was lost or changed on any
//!     policy the run touched (seeded ones and every other writer's additions);
//! (b) the run converged, or stopped with an error naming its step and cause, and a resume
//!     without faults converged;
//! (c) the activity log matches the sandbox's recorded writes, write for write.

use cmek_activity::{ActivityEntry, EntryKind};
use cmek_sandbox::{RecordedRequest, SandboxHandle};
use serde_json::Value;
use std::collections::BTreeSet;

/// One grant as a comparable tuple: (resource, role, member, condition JSON).
pub type Tuple = (String, String, String, String);

/// Members the app owns grants for: the cluster's service account and CockroachDB's
/// principals (`crl-kms-user-…`).
pub fn owned_member(member: &str, app_sa: &str) -> bool {
    member == format!("serviceAccount:{app_sa}") || member.contains("crl-kms-user")
}

const APP_ROLES: &[&str] = &[
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/iam.serviceAccountTokenCreator",
];

/// Whether the app may add or remove this grant (an app role, to an app member, unconditional).
pub fn owned(t: &Tuple, app_sa: &str) -> bool {
    APP_ROLES.contains(&t.1.as_str()) && owned_member(&t.2, app_sa) && t.3 == "null"
}

/// Every grant of `resource`'s policy, and its audit configs (as JSON text).
pub fn grants(sb: &SandboxHandle, resource: &str) -> (BTreeSet<Tuple>, String) {
    let p = sb.iam_policy(resource);
    let mut out = BTreeSet::new();
    for b in p["bindings"].as_array().into_iter().flatten() {
        let role = b["role"].as_str().unwrap_or_default().to_owned();
        let cond = b
            .get("condition")
            .cloned()
            .unwrap_or(Value::Null)
            .to_string();
        for m in b["members"].as_array().into_iter().flatten() {
            out.insert((
                resource.to_owned(),
                role.clone(),
                m.as_str().unwrap_or_default().to_owned(),
                cond.clone(),
            ));
        }
    }
    let audit = p
        .get("auditConfigs")
        .cloned()
        .unwrap_or(Value::Null)
        .to_string();
    (out, audit)
}

/// The unowned state of the watched policies: grants and audit configs.
#[derive(Debug, Clone, Default)]
pub struct Foreign {
    pub grants: BTreeSet<Tuple>,
    pub audit: Vec<(String, String)>,
}

pub fn foreign(sb: &SandboxHandle, resources: &[String], app_sa: &str) -> Foreign {
    let mut f = Foreign::default();
    for r in resources {
        let (g, a) = grants(sb, r);
        f.grants.extend(g.into_iter().filter(|t| !owned(t, app_sa)));
        f.audit.push((r.clone(), a));
    }
    f
}

/// (a): every unowned grant seen before, and every grant another writer added during the run,
/// is still there, unchanged (a changed condition shows as a missing tuple); audit configs are
/// byte-identical. Returns the violations.
pub fn nothing_unowned_lost(
    sb: &SandboxHandle,
    before: &Foreign,
    resources: &[String],
    app_sa: &str,
) -> Vec<String> {
    let mut watched: BTreeSet<String> = resources.iter().cloned().collect();
    let mut expected = before.grants.clone();
    for (res, role, member) in sb.foreign_writes() {
        watched.insert(res.clone());
        expected.insert((res, role, member, "null".into()));
    }
    let watched: Vec<String> = watched.into_iter().collect();
    let after = foreign(sb, &watched, app_sa);
    let mut v: Vec<String> = expected
        .difference(&after.grants)
        .map(|t| {
            format!(
                "(a) unowned grant lost or changed: {} {} {} condition={}",
                t.0, t.1, t.2, t.3
            )
        })
        .collect();
    for (res, audit) in &before.audit {
        if let Some((_, now)) = after.audit.iter().find(|(r, _)| r == res) {
            if now != audit {
                v.push(format!(
                    "(a) audit configs of {res} changed: {audit} -> {now}"
                ));
            }
        }
    }
    v
}

/// The URL a recorded Google / CockroachDB request was sent to (without query).
fn url_of(base: &str, r: &RecordedRequest) -> String {
    format!("{base}/{}{}", r.service, r.path)
}

/// The log's intents, and a violation for each intent without its outcome (part of (c)).
fn intents_with_outcomes(entries: &[ActivityEntry]) -> (Vec<&ActivityEntry>, Vec<String>) {
    let intents: Vec<&ActivityEntry> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .collect();
    let missing = intents
        .iter()
        .filter(|i| {
            !entries
                .iter()
                .any(|o| o.kind == EntryKind::Outcome && o.intent_id == Some(i.id))
        })
        .map(|i| format!("(c) intent #{} {} has no outcome", i.id, i.summary))
        .collect();
    (intents, missing)
}

/// (c) for operations whose every write attempt is logged (setup, rotation, AWS setup): the intents of
/// the log's operations since `first_entry` and the sandbox's recorded writes since
/// `first_request` are the same calls in the same order, and every intent has its outcome.
pub fn log_matches_writes(
    base: &str,
    entries: &[ActivityEntry],
    requests: &[RecordedRequest],
) -> Vec<String> {
    let (intents, mut v) = intents_with_outcomes(entries);
    // AWS calls are logged as `POST {endpoint}/#Action` and recorded by action: both are
    // compared as `POST aws#Action`.
    let logged: Vec<String> = intents
        .iter()
        .map(|i| {
            let b = i.before.clone().unwrap_or(Value::Null);
            let url = b["url"].as_str().unwrap_or("?");
            let url = match url.split_once("/#") {
                Some((_, action)) => format!("aws#{action}"),
                None => url.to_owned(),
            };
            format!("{} {url}", b["method"].as_str().unwrap_or("?"))
        })
        .collect();
    let sent: Vec<String> = requests
        .iter()
        .filter(|r| r.is_write)
        .map(|r| match r.service.starts_with("aws") {
            true => format!("{} aws#{}", r.method, r.operation),
            false => format!("{} {}", r.method, url_of(base, r)),
        })
        .collect();
    if logged != sent {
        v.push(format!(
            "(c) activity log intents {logged:#?} != sandbox writes {sent:#?}"
        ));
    }
    v
}

/// (c) for operations logged per logical change (revocation, recovery, key actions): every
/// intent has an outcome, and every write the sandbox applied (2xx) is covered by an intent
/// on the same target resource.
pub fn log_covers_applied_writes(
    entries: &[ActivityEntry],
    requests: &[RecordedRequest],
) -> Vec<String> {
    let (intents, mut v) = intents_with_outcomes(entries);
    for r in requests
        .iter()
        .filter(|r| r.is_write && (200..300).contains(&r.status))
    {
        let covered = intents.iter().any(|i| {
            !i.target.is_empty()
                && (r.path.contains(&i.target)
                    || i.target.contains(r.path.trim_start_matches("/v1/"))
                    || r.path
                        .contains(i.target.split('/').next_back().unwrap_or("\u{0}")))
        });
        if !covered {
            v.push(format!(
                "(c) applied write {} {}{} has no intent in the activity log",
                r.method, r.service, r.path
            ));
        }
    }
    v
}
