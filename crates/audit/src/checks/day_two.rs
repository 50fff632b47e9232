//! Day-two checks (issue #10): C14, a rotation schedule that undoes a freeze (per key), and
//! C15/C16, drift on the keys and service accounts CockroachDB uses ([`crate::drift`]: an
//! extra binding, a missing one), each drift finding carrying its id for the one-click fix.

use super::{ev, fail, opt, Inputs};
use crate::drift::{from_report_rows, DriftFinding, DriftKind};
use crate::model::{Finding, KeyRow, PolicyLevel};

/// Version states of key material that cannot be used (a freeze, or destruction).
const FROZEN_STATES: &[&str] = &["DISABLED", "DESTROY_SCHEDULED", "DESTROYED"];

/// C14 — gcp-apis §3 (automatic rotation: at `nextRotationTime` Cloud KMS creates a new
/// ENABLED primary version); CMEK Desk's emergency action stops rotation for this reason.
/// FAIL if `nextRotationTime` is set, the primary version is absent or not ENABLED, and at
/// least one version is DISABLED, DESTROY_SCHEDULED or DESTROYED: the key (or its primary) is
/// frozen, and the next automatic rotation makes it usable again. A key whose primary is
/// ENABLED is not frozen (older disabled versions after a rotation are normal) and passes.
pub fn c14_schedule_undoes_freeze(key: &KeyRow) -> Option<Finding> {
    let next = key.next_rotation_time.as_deref()?;
    if key.primary_state.as_deref() == Some("ENABLED") {
        return None;
    }
    let frozen: Vec<_> = key
        .versions
        .iter()
        .filter(|v| FROZEN_STATES.contains(&v.state.as_str()))
        .collect();
    if frozen.is_empty() {
        return None;
    }
    let mut evidence = vec![
        ev("nextRotationTime", next),
        ev("rotationPeriod", opt(key.rotation_period.as_deref())),
        ev("primary.state", opt(key.primary_state.as_deref())),
    ];
    evidence.extend(
        frozen
            .iter()
            .map(|v| ev(&format!("version {}", v.id), &v.state)),
    );
    Some(fail(
        "C14",
        &key.name,
        Some(&key.project),
        format!("No usable primary version, but automatic rotation is still scheduled: at {next} Cloud KMS creates a new ENABLED primary and the key is usable again."),
        evidence,
    ))
}

/// Drift of the inventory ([`crate::drift::from_report_rows`]).
pub fn drift(inputs: &Inputs<'_>) -> Vec<DriftFinding> {
    from_report_rows(inputs.projects, inputs.service_accounts, inputs.clusters)
}

/// C15 (extra) and C16 (missing) — CockroachDB cmek-ops-gcp (the two bindings CMEK needs);
/// SCC `TOO_MANY_KMS_USERS`, `OVER_PRIVILEGED_SERVICE_ACCOUNT_USER` (least privilege).
/// One finding per drift finding: the resource is the key name or the service account's
/// email; evidence names the drift id, who, what, where and the level.
pub fn drift_findings(drift: &[DriftFinding]) -> Vec<Finding> {
    drift.iter().map(to_finding).collect()
}

fn to_finding(d: &DriftFinding) -> Finding {
    let id = match d.kind {
        DriftKind::Extra => "C15",
        DriftKind::Missing => "C16",
    };
    let (resource, level) = match d.level {
        PolicyLevel::ServiceAccount => (d.confirm_text.as_str(), "service account"),
        _ => (d.resource.as_str(), "key"),
    };
    let mut evidence = vec![
        ev("driftId", &d.id),
        ev("member", &d.member),
        ev("role", &d.role),
        ev("level", level),
        ev("policy", &d.resource),
    ];
    if let Some(c) = &d.condition {
        evidence.push(ev("condition", &c.expression));
    }
    let expected: Vec<String> = d
        .expected
        .iter()
        .map(|g| format!("{} {}", g.member, g.role))
        .collect();
    evidence.push(ev("expected", expected.join("; ")));
    let used: Vec<&str> = d.used_by.iter().map(|c| c.name.as_str()).collect();
    evidence.push(ev("used by", used.join(", ")));
    fail(id, resource, Some(&d.project), &d.message, evidence)
}
