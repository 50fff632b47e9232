//! A11 / C13 against the audit seed over HTTP: the partial alerting case fails with evidence,
//! a project with no alerting at all fails, and a 403 on Cloud Logging or Cloud Monitoring is
//! "could not evaluate" (never a pass, never silent) without failing the key inventory.

mod common;

use cmek_audit::FindingStatus;
use cmek_sandbox::seed_audit::*;
use cmek_sandbox::Fault;
use common::*;
use serde_json::json;
use std::sync::atomic::AtomicBool;

fn denied(permission: &str, domain: &str, project: &str) -> Fault {
    Fault {
        operation: if domain.starts_with("logging") {
            "logging.projects.metrics.list"
        } else {
            "monitoring.projects.alertPolicies.list"
        }
        .into(),
        status: 403,
        body: json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
            "message": format!("Permission '{permission}' denied on resource 'projects/{project}' (or it may not exist)."),
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED", "domain": domain,
                "metadata": {"permission": permission, "resource": format!("projects/{project}")}}]}}),
        times: 5,
        retry_after_secs: None,
    }
}

#[tokio::test]
async fn partial_alerting_fails_with_what_was_found_and_the_twin_reads_clean() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    let a11 = r
        .findings_of("A11")
        .find(|f| f.resource == format!("projects/{AUDIT_OWNER_PROJECT}"))
        .expect("A11 on the partial project");
    assert_eq!(a11.status, FindingStatus::Fail);
    let field = |n: &str| {
        a11.evidence
            .iter()
            .filter(|e| e.field == n)
            .map(|e| e.value.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        field("uncoveredEvents"),
        vec!["DestroyCryptoKeyVersion, UpdateCryptoKeyVersion, SetIamPolicy"]
    );
    assert!(
        field("disabledAlertPolicy")
            .iter()
            .any(|v| v.contains("enabled=false")),
        "{:#?}",
        a11.evidence
    );
    assert!(
        field("unalertedLogMetric")
            .iter()
            .any(|v| v.starts_with("kms-destroy")),
        "{:#?}",
        a11.evidence
    );
    assert!(
        a11.remediation.contains("gcloud logging metrics create")
            && a11
                .remediation
                .contains("gcloud monitoring policies create")
    );
    let keys = r
        .projects
        .iter()
        .find(|p| p.project_id == AUDIT_KEYS_PROJECT)
        .unwrap();
    let alerting = keys.alerting.as_ref().expect("alerting read");
    assert!(alerting.metrics.iter().any(|m| m.name == KMS_ADMIN_METRIC
        && m.metric_type == format!("logging.googleapis.com/user/{KMS_ADMIN_METRIC}")));
    assert_eq!(alerting.alert_policies.len(), 2);
    assert!(alerting
        .alert_policies
        .iter()
        .all(|p| p.enabled == Some(true) && p.conditions[0].kind == "conditionThreshold"));
    let c13 = r.findings_of("C13").next().expect("C13");
    assert_eq!(c13.project.as_deref(), Some(AUDIT_OWNER_PROJECT));
    assert!(c13.message.contains("audit-alarms"), "{}", c13.message);
}

#[tokio::test]
async fn a_project_with_keys_and_no_alerting_at_all_fails() {
    let sb = audit_sandbox().await;
    sb.with_state(|s| cmek_sandbox::seed_audit::seed_audit_scale(s, 1, 2));
    let (r, _) = run(&sb, options(&["bench-p0"]), &AtomicBool::new(false), |_| {}).await;
    let f = r.findings_of("A11").next().expect("A11");
    assert_eq!(
        (f.status, f.resource.as_str()),
        (FindingStatus::Fail, "projects/bench-p0")
    );
    let alerting = r.projects[0].alerting.as_ref().unwrap();
    assert!(
        alerting.metrics.is_empty()
            && alerting.alert_policies.is_empty()
            && alerting.metrics_error.is_none()
    );
}

#[tokio::test]
async fn forbidden_logging_or_monitoring_is_could_not_evaluate_and_keeps_the_keys() {
    for (permission, domain) in [
        ("logging.logMetrics.list", "logging.googleapis.com"),
        ("monitoring.alertPolicies.list", "monitoring.googleapis.com"),
    ] {
        let sb = audit_sandbox().await;
        sb.inject_fault(denied(permission, domain, AUDIT_KEYS_PROJECT));
        let (r, _) = run(
            &sb,
            options(&[AUDIT_KEYS_PROJECT]),
            &AtomicBool::new(false),
            |_| {},
        )
        .await;
        let p = &r.projects[0];
        assert!(
            p.error.is_none(),
            "{permission}: key inventory must not fail: {:?}",
            p.error
        );
        assert!(!p.keys.is_empty());
        let f = r
            .findings_of("A11")
            .next()
            .unwrap_or_else(|| panic!("{permission}: A11 must be reported"));
        assert_eq!(f.status, FindingStatus::NotEvaluated, "{permission}");
        assert!(
            f.message.starts_with(&format!(
                "could not evaluate: missing permission {permission}"
            )),
            "{}",
            f.message
        );
        assert!(
            f.evidence
                .iter()
                .any(|e| e.field == "readError" && e.value.contains("PermissionDenied")),
            "{:#?}",
            f.evidence
        );
        // C13 for clusters keyed in that project says the same; none passes silently.
        let c13: Vec<_> = r
            .findings_of("C13")
            .filter(|f| f.resource.contains(cluster_id("audit-clean")))
            .collect();
        assert_eq!(c13.len(), 1, "{permission}");
        assert_eq!(c13[0].status, FindingStatus::NotEvaluated);
        assert!(
            c13[0]
                .message
                .starts_with("could not evaluate: missing permission"),
            "{}",
            c13[0].message
        );
    }
}
