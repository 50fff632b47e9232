//! Invariant (c) for revocations and recoveries (Google Cloud and AWS): the activity log
//! matches what the sandbox applied, write for write.
//!
//! A revocation or recovery logs one intent and one outcome per change (a policy edit, a
//! service account disabled or enabled, REVOKE), not per HTTP attempt. So the check pairs the
//! writes the sandbox *applied* (2xx, including those whose answer a reset or time-out lost)
//! with the log's outcome rows, in order:
//! - every applied IAM policy / service account / key policy / trust policy / REVOKE write has
//!   exactly one outcome row of the same kind on the same resource, and the pairs keep the
//!   order of both lists;
//! - every outcome row that says `ok` is paired with an applied write (no logged change the
//!   sandbox never saw); rows that failed or were skipped may stand alone (nothing applied);
//! - any other applied write (one the log has no kind for) is a violation.
//!
//! One exception, stated: an idempotent AWS write retried after its answer was lost
//! (`PutKeyPolicy` / `UpdateAssumeRolePolicy` with the same document, back to back: AWS has no
//! etag to refuse the second one) sets the same value again; the two applied requests are one
//! change and need one row. Google's `setIamPolicy` carries the etag, so its retry is refused
//! (409) and never applied twice.

use cmek_activity::{ActivityEntry, EntryKind, EntryStatus};
use cmek_sandbox::RecordedRequest;

/// The kind of change an applied write or an outcome row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    IamPolicy,
    ServiceAccount,
    Revoke,
    KeyPolicy,
    TrustPolicy,
    Other,
}

/// One applied write: its kind, the resource it names and its body (to fold AWS retries).
#[derive(Debug)]
struct Applied {
    kind: Kind,
    resource: String,
    operation: String,
    body: String,
}

fn applied(r: &RecordedRequest) -> Applied {
    let op = r.operation.as_str();
    let (kind, resource) = if op.ends_with("setIamPolicy") {
        let path = r.path.trim_start_matches("/v1/");
        (
            Kind::IamPolicy,
            path.trim_end_matches(":setIamPolicy").to_owned(),
        )
    } else if op.ends_with("serviceAccounts.disable") || op.ends_with("serviceAccounts.enable") {
        let path = r.path.trim_start_matches("/v1/");
        (
            Kind::ServiceAccount,
            path.split(':').next().unwrap_or(path).to_owned(),
        )
    } else if op.ends_with("UpdateCMEKStatus") {
        let id = r.path.split('/').nth(4).unwrap_or_default();
        (Kind::Revoke, id.to_owned())
    } else if op == "PutKeyPolicy" {
        let id = r.body["KeyId"].as_str().unwrap_or_default();
        (Kind::KeyPolicy, id.to_owned())
    } else if op == "UpdateAssumeRolePolicy" {
        let name = r.body["RoleName"].as_str().unwrap_or_default();
        (Kind::TrustPolicy, name.to_owned())
    } else {
        (Kind::Other, format!("{} {}{}", r.method, r.service, r.path))
    };
    Applied {
        kind,
        resource,
        operation: r.operation.clone(),
        body: r.body.to_string(),
    }
}

/// One outcome row of a change, with its intent's action and target.
#[derive(Debug)]
struct Row {
    id: i64,
    kinds: &'static [Kind],
    target: String,
    ok: bool,
    text: String,
}

/// The kinds of write an intent's action makes (`None`: the action writes nothing to a
/// cloud, e.g. `revoke.snapshot`).
fn kinds_of(action: &str) -> Option<&'static [Kind]> {
    Some(match action {
        "revoke.remove_access" | "recover.restore_grants" => &[Kind::IamPolicy],
        "revoke.disable_service_account" | "recover.enable_service_account" => {
            &[Kind::ServiceAccount]
        }
        "revoke.call_revoke" => &[Kind::Revoke],
        "revoke.remove_statement" | "recover.restore_statement" => {
            &[Kind::KeyPolicy, Kind::TrustPolicy]
        }
        _ => return None,
    })
}

fn same_resource(w: &Applied, target: &str) -> bool {
    match w.kind {
        // A key policy: the request names the key by ARN (or id), the row by ARN.
        Kind::KeyPolicy => {
            !w.resource.is_empty()
                && (target == w.resource || target.ends_with(&format!("/{}", w.resource)))
        }
        // A trust policy: the request names the role, the row its ARN.
        Kind::TrustPolicy => target.ends_with(&format!("/{}", w.resource)),
        // Google resources: the same name, or (a service account named by `projects/-/…`)
        // the same last two segments.
        Kind::IamPolicy | Kind::ServiceAccount => {
            fn tail(s: &str) -> Vec<&str> {
                s.rsplit('/').take(2).collect()
            }
            w.resource == target || tail(&w.resource) == tail(target)
        }
        Kind::Revoke => w.resource == target,
        Kind::Other => false,
    }
}

/// Invariant (c) for revocations and recoveries; returns the violations.
pub fn outcomes_match_applied_writes(
    entries: &[ActivityEntry],
    requests: &[RecordedRequest],
) -> Vec<String> {
    let mut v = Vec::new();
    let intents: Vec<&ActivityEntry> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .collect();
    let mut rows = Vec::new();
    for o in entries.iter().filter(|e| e.kind == EntryKind::Outcome) {
        let Some(intent) = intents.iter().find(|i| Some(i.id) == o.intent_id) else {
            v.push(format!("(c) outcome #{} has no intent", o.id));
            continue;
        };
        let Some(kinds) = kinds_of(&intent.action) else {
            continue;
        };
        rows.push(Row {
            id: o.id,
            kinds,
            target: intent.target.clone(),
            ok: o.status == Some(EntryStatus::Ok),
            text: format!(
                "#{} {} {} -> {:?}",
                o.id, intent.action, intent.target, o.status
            ),
        });
    }
    for i in &intents {
        if !entries
            .iter()
            .any(|o| o.kind == EntryKind::Outcome && o.intent_id == Some(i.id))
        {
            v.push(format!("(c) intent #{} {} has no outcome", i.id, i.summary));
        }
    }
    // Applied writes, an AWS set-a-value retry of the same document folded into one.
    let mut writes: Vec<Applied> = Vec::new();
    for r in requests
        .iter()
        .filter(|r| r.is_write && (200..300).contains(&r.status))
    {
        let w = applied(r);
        let repeat = writes.last().is_some_and(|p| {
            matches!(w.kind, Kind::KeyPolicy | Kind::TrustPolicy)
                && p.kind == w.kind
                && p.operation == w.operation
                && p.resource == w.resource
                && p.body == w.body
        });
        if !repeat {
            writes.push(w);
        }
    }
    if !aligned(&writes, &rows) {
        let w: Vec<String> = writes
            .iter()
            .map(|w| format!("{:?} {} ({})", w.kind, w.resource, w.operation))
            .collect();
        let r: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        v.push(format!(
            "(c) the sandbox's applied writes {w:#?} do not pair one to one, in order, with the activity log's outcome rows {r:#?} (every applied write needs exactly one row; every ok row needs its write)"
        ));
    }
    v
}

/// Whether an order-keeping pairing exists that covers every write and every ok row
/// (a small dynamic programme over both lists).
fn aligned(writes: &[Applied], rows: &[Row]) -> bool {
    let (n, m) = (writes.len(), rows.len());
    // can[i][j]: writes[i..] and rows[j..] can be paired.
    let mut can = vec![vec![false; m + 1]; n + 1];
    can[n][m] = true;
    for j in (0..m).rev() {
        can[n][j] = !rows[j].ok && can[n][j + 1];
    }
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let row = &rows[j];
            let pair = row.kinds.contains(&writes[i].kind)
                && same_resource(&writes[i], &row.target)
                && can[i + 1][j + 1];
            let skip = !row.ok && can[i][j + 1];
            can[i][j] = pair || skip;
        }
    }
    can[0][0]
}
