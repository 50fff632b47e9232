//! Unit tests of A11/C13 coverage on hand-built alerting inventories.

use super::*;
use crate::alerting::{AlertConditionRow, AlertPolicyRow};
use crate::model::KeyRow;
use cmek_core::Error;

const FULL: &str = "protoPayload.serviceName=\"cloudkms.googleapis.com\" AND (protoPayload.methodName:\"DestroyCryptoKeyVersion\" OR protoPayload.methodName:\"UpdateCryptoKeyVersion\" OR protoPayload.methodName:\"SetIamPolicy\")";

fn metric(name: &str, filter: &str, disabled: bool) -> LogMetricRow {
    LogMetricRow {
        name: name.into(),
        metric_type: format!("logging.googleapis.com/user/{name}"),
        filter: filter.into(),
        disabled,
        description: None,
    }
}

fn policy(enabled: Option<bool>, kind: &str, filter: &str) -> AlertPolicyRow {
    AlertPolicyRow {
        name: "projects/p/alertPolicies/1".into(),
        display_name: Some("kms".into()),
        enabled,
        conditions: vec![AlertConditionRow {
            display_name: None,
            kind: kind.into(),
            filter: filter.into(),
        }],
    }
}

fn threshold(metric: &str) -> String {
    format!("metric.type=\"logging.googleapis.com/user/{metric}\" AND resource.type=\"cloudkms_cryptokey\"")
}

fn project(alerting: AlertingInventory) -> ProjectRow {
    ProjectRow {
        project_id: "p".into(),
        keys: vec![KeyRow::default()],
        alerting: Some(alerting),
        ..Default::default()
    }
}

fn inv(metrics: Vec<LogMetricRow>, policies: Vec<AlertPolicyRow>) -> AlertingInventory {
    AlertingInventory {
        metrics,
        alert_policies: policies,
        ..Default::default()
    }
}

#[test]
fn metric_with_enabled_threshold_policy_covers_every_event() {
    let a = inv(
        vec![metric("kms", FULL, false)],
        vec![policy(Some(true), "conditionThreshold", &threshold("kms"))],
    );
    assert_eq!(evaluate(Some(&a)), Coverage::Covered);
    assert!(a11_project_alarms(&project(a)).is_none());
}

#[test]
fn log_match_alert_alone_covers_every_event() {
    let a = inv(vec![], vec![policy(None, "conditionMatchedLog", FULL)]);
    assert_eq!(evaluate(Some(&a)), Coverage::Covered);
}

#[test]
fn nothing_at_all_fails_with_every_event() {
    let f = a11_project_alarms(&project(inv(vec![], vec![]))).expect("fires");
    assert_eq!(f.status, FindingStatus::Fail);
    assert_eq!(f.resource, "projects/p");
    assert!(f.evidence.iter().any(|e| e.field == "uncoveredEvents"
        && e.value == "DestroyCryptoKeyVersion, UpdateCryptoKeyVersion, SetIamPolicy"));
}

#[test]
fn partial_setups_still_fail() {
    let cases = [
        ("metric without alert policy", inv(vec![metric("kms", FULL, false)], vec![])),
        ("alert policy disabled", inv(vec![metric("kms", FULL, false)], vec![policy(Some(false), "conditionThreshold", &threshold("kms"))])),
        ("metric disabled", inv(vec![metric("kms", FULL, true)], vec![policy(Some(true), "conditionThreshold", &threshold("kms"))])),
        ("destroy only", inv(vec![metric("d", "protoPayload.serviceName=\"cloudkms.googleapis.com\" AND protoPayload.methodName=\"DestroyCryptoKeyVersion\"", false)], vec![policy(Some(true), "conditionThreshold", &threshold("d"))])),
        ("SetIamPolicy not on KMS", inv(vec![metric("iam", "protoPayload.methodName=\"SetIamPolicy\" AND DestroyCryptoKeyVersion UpdateCryptoKeyVersion", false)], vec![policy(Some(true), "conditionThreshold", &threshold("iam"))])),
        ("policy on a metric with a longer id", inv(vec![metric("kms", FULL, false)], vec![policy(Some(true), "conditionThreshold", &threshold("kms-other"))])),
    ];
    for (what, a) in cases {
        let f = a11_project_alarms(&project(a)).unwrap_or_else(|| panic!("{what}: should fire"));
        assert_eq!(f.status, FindingStatus::Fail, "{what}");
    }
    let muted = a11_project_alarms(&project(inv(
        vec![metric("kms", FULL, false)],
        vec![policy(Some(false), "conditionThreshold", &threshold("kms"))],
    )))
    .unwrap();
    assert!(
        muted
            .evidence
            .iter()
            .any(|e| e.field == "disabledAlertPolicy"),
        "{:?}",
        muted.evidence
    );
    assert!(
        muted
            .evidence
            .iter()
            .any(|e| e.field == "unalertedLogMetric"),
        "{:?}",
        muted.evidence
    );
}

#[test]
fn forbidden_read_is_could_not_evaluate_not_a_pass() {
    let denied = Error::new(
        ErrorCode::PermissionDenied,
        "Permission 'logging.logMetrics.list' denied on resource 'projects/p'",
    );
    let a = AlertingInventory {
        metrics_error: Some(denied),
        alert_policies: vec![policy(Some(true), "conditionThreshold", &threshold("kms"))],
        ..Default::default()
    };
    let f = a11_project_alarms(&project(a)).expect("reported");
    assert_eq!(f.status, FindingStatus::NotEvaluated);
    assert!(
        f.message
            .starts_with("could not evaluate: missing permission logging.logMetrics.list"),
        "{}",
        f.message
    );
    assert!(f
        .evidence
        .iter()
        .any(|e| e.field == "readError" && e.value.contains("PermissionDenied")));
    // Coverage proven by what was read still passes.
    let denied = Error::new(ErrorCode::PermissionDenied, "denied");
    let a = AlertingInventory {
        metrics_error: Some(denied),
        alert_policies: vec![policy(Some(true), "conditionMatchedLog", FULL)],
        ..Default::default()
    };
    assert!(a11_project_alarms(&project(a)).is_none());
}

#[test]
fn a11_skips_projects_without_keys_and_reports_unread_inventory() {
    let mut p = project(inv(vec![], vec![]));
    p.keys.clear();
    assert!(a11_project_alarms(&p).is_none());
    let mut p = project(inv(vec![], vec![]));
    p.alerting = None;
    assert_eq!(
        a11_project_alarms(&p).unwrap().status,
        FindingStatus::NotEvaluated
    );
}
