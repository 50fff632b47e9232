//! OCSF-compatible findings: one OCSF 1.1.0 Detection Finding (`class_uid` 2004, category 2
//! Findings, `activity_id` 1 Create, `type_uid` 200401) per finding, as a JSON array. Field
//! names follow the OCSF schema: `time` (epoch ms), `severity_id` (1 Informational … 5
//! Critical), `status_id` (1 New), `finding_info` {`uid`, `title`, `desc`, `types`,
//! `created_time`}, `resources[]` {`uid`, `name`, `type`, `cloud_partition`, `region`},
//! `cloud` {`provider`, `account`}, `remediation` {`desc`, `references`}, `metadata`
//! {`version`, `product`, `profiles`}, `actor.user.name` (the signed-in identity), and
//! `unmapped` for the evidence and scan facts OCSF has no field for.
//!
//! Only failed checks are Detection Findings. A check that did not run is no detection and is
//! never sent as one (no severity, no `New` status): it is left out of the events and listed,
//! with its reason, in every event's `unmapped.not_evaluated` (with `unmapped.summary`, the
//! counts every surface shows); the JSON, CSV and HTML exports carry it as a row. What else the
//! keys CockroachDB uses protect (KMS Inventory) is in `unmapped.protected_resources`.

use crate::model::{AuditReport, Finding, FindingStatus, Severity};
use crate::time_util::parse_time;
use serde_json::{json, Value};

/// OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.1.0";

/// OCSF `severity_id`.
pub fn severity_id(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// What else each key a CockroachDB cluster uses protects (`unmapped.protected_resources`).
fn protected(r: &AuditReport) -> Value {
    Value::Array(
        r.keys()
            .filter_map(|k| {
                let p = k.protected_resources.as_ref()?;
                Some(json!({"key": k.name, "result": p, "summary": p.line()}))
            })
            .collect(),
    )
}

fn event(r: &AuditReport, f: &Finding, time_ms: i64, not_evaluated: &Value) -> Value {
    let cloud = r.finding_cloud(f);
    let kind = if f.resource.starts_with("clusters/") {
        "CockroachDB Cluster"
    } else if f.resource.contains("/cryptoKeys/") {
        "Cloud KMS CryptoKey"
    } else if f.resource.contains(":key/") || f.resource.starts_with("alias/") {
        "AWS KMS Key"
    } else if f.resource.contains(":role/") {
        "AWS IAM Role"
    } else if f.resource == "aws" {
        "AWS Account"
    } else if f.resource.contains('@') {
        "Service Account"
    } else {
        "Project"
    };
    let provider = if f.resource.starts_with("clusters/") {
        "CockroachDB Cloud"
    } else {
        cloud
    };
    let mut refs: Vec<&String> = f
        .sources
        .cis
        .iter()
        .chain(&f.sources.prowler)
        .chain(&f.sources.scoutsuite)
        .chain(&f.sources.scc)
        .chain(&f.sources.other)
        .collect();
    refs.dedup();
    json!({
        "class_uid": 2004, "class_name": "Detection Finding",
        "category_uid": 2, "category_name": "Findings",
        "activity_id": 1, "activity_name": "Create", "type_uid": 200401,
        "time": time_ms,
        "severity_id": severity_id(f.severity), "severity": severity_name(f.severity),
        "status_id": 1, "status": "New",
        "message": f.message,
        "finding_info": {
            "uid": format!("{}:{}", f.check_id, f.resource),
            "title": f.title, "desc": f.message,
            "types": ["Failed check"],
            "created_time": time_ms,
            "analytic": {"uid": f.check_id, "name": f.title, "type_id": 1, "type": "Rule"},
        },
        "resources": [{"uid": f.resource, "name": f.resource, "type": kind, "cloud_partition": provider}],
        "cloud": {"provider": provider, "account": {"uid": f.project.clone().unwrap_or_default()}},
        "remediation": {"desc": f.remediation, "references": refs},
        "actor": {"user": {"name": r.identity}},
        "metadata": {"version": OCSF_VERSION, "profiles": ["cloud"],
            "product": {"name": "CMEK Desk", "vendor_name": "CMEK Desk", "version": r.app_version}},
        "unmapped": {"scan_time": r.scan_time, "identity": r.identity, "app_version": r.app_version,
            "status": f.status.as_str(), "schema_version": r.schema_version, "cloud": cloud,
            "summary": crate::model::FindingCounts::of(&r.findings), "not_evaluated": not_evaluated,
            "protected_resources": protected(r),
            "evidence": f.evidence.iter().map(|e| json!({"field": e.field, "value": e.value})).collect::<Vec<_>>()},
    })
}

/// The failed findings as OCSF Detection Finding events (a JSON array value); checks not
/// evaluated are listed in each event's `unmapped.not_evaluated`, never events themselves.
pub fn to_ocsf(r: &AuditReport) -> Value {
    let ms = parse_time(&r.scan_time).map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    let not_evaluated = Value::Array(
        r.findings
            .iter()
            .filter(|f| f.status == FindingStatus::NotEvaluated)
            .map(|f| json!({"check_id": f.check_id, "resource": f.resource, "cloud": r.finding_cloud(f), "reason": f.message}))
            .collect(),
    );
    Value::Array(
        r.findings
            .iter()
            .filter(|f| f.status == FindingStatus::Fail)
            .map(|f| event(r, f, ms, &not_evaluated))
            .collect(),
    )
}

/// Pretty-printed JSON text of [`to_ocsf`].
pub fn to_ocsf_string(r: &AuditReport) -> String {
    serde_json::to_string_pretty(&to_ocsf(r)).unwrap_or_default()
}
