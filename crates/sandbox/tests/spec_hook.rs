//! The `cmek-spec` validation hook in the router: requests that break the API contract are
//! rejected with the field named the way Google / CockroachDB name it, and the sandbox's own
//! responses are checked (violations would be 500s, see `common::Api`'s drop check).

mod common;

use cmek_sandbox::seed::SINGLE_REGION_CLUSTER_ID;
use cmek_sandbox::SandboxConfig;
use common::{key_ring, kr, start, start_with};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn unknown_request_field_is_rejected_with_google_field_path() {
    let api = start().await;
    let ring = key_ring(&api, "us-east4", "spec").await;
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT", "versionTemplate": {"bogusField": 1}})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(
        b["error"]["message"],
        "Invalid JSON payload received. Unknown name \"bogus_field\" at 'crypto_key.version_template': Cannot find field."
    );
    assert_eq!(
        b["error"]["details"][0]["fieldViolations"][0]["field"],
        "crypto_key.version_template.bogus_field"
    );
    assert_eq!(
        api.sb.write_count(),
        2,
        "rejected writes are still recorded"
    );
    assert!(api
        .sb
        .crypto_key(&format!("{}/cryptoKeys/k", kr("us-east4", "spec")))
        .is_none());
    assert_eq!(
        api.sb.spec_rejections().len(),
        1,
        "recorded for the spec guard"
    );
}

#[tokio::test]
async fn cockroach_request_with_unknown_field_is_400() {
    let api = start().await;
    let (s, b) = api
        .crdb(
            Method::PATCH,
            &format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek"),
            Some(json!({"action": "REVOKE", "force": true})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("force"), "{b}");
    assert_eq!(
        api.sb.spec_rejections().len(),
        1,
        "recorded for the spec guard"
    );
}

#[tokio::test]
async fn validation_can_be_switched_off() {
    let api = start_with(SandboxConfig::for_tests().with_spec_validation(false)).await;
    let ring = key_ring(&api, "us-east4", "spec").await;
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT", "versionTemplate": {"bogusField": 1}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

#[test]
fn response_validation_is_not_vacuous() {
    use cmek_sandbox::router::{validate_response_against_spec, Service};
    let ok =
        json!({"name": "projects/p/locations/l/keyRings/r", "createTime": "2026-01-01T00:00:00Z"});
    assert!(validate_response_against_spec(
        Service::Kms,
        "v1",
        "cloudkms.projects.locations.keyRings.get",
        "",
        200,
        &ok
    )
    .is_ok());
    let bad = json!({"name": 5, "unexpected": true});
    assert!(validate_response_against_spec(
        Service::Kms,
        "v1",
        "cloudkms.projects.locations.keyRings.get",
        "",
        200,
        &bad
    )
    .is_err());
    let bad_cluster = json!({"id": 5});
    assert!(validate_response_against_spec(
        Service::Cockroach,
        "",
        "CockroachCloud_GetCluster",
        "",
        200,
        &bad_cluster
    )
    .is_err());
}

/// The Logging v2 and Monitoring v3 fakes are held to their discovery documents: the audit
/// organisation's metrics and alert policies are served without a spec finding, and a body
/// that breaks `ListAlertPoliciesResponse` / `ListLogMetricsResponse` is caught.
#[tokio::test]
async fn logging_and_monitoring_answers_follow_their_discovery_documents() {
    use cmek_sandbox::router::{validate_response_against_spec, Service};
    use cmek_sandbox::seed_audit::AUDIT_KEYS_PROJECT;
    let api = start_with(SandboxConfig::audit_demo()).await;
    let (s, metrics) = api
        .google(
            Method::GET,
            &format!("logging/v2/projects/{AUDIT_KEYS_PROJECT}/metrics"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{metrics}");
    assert!(!metrics["metrics"].as_array().unwrap().is_empty());
    let (s, policies) = api
        .google(
            Method::GET,
            &format!("monitoring/v3/projects/{AUDIT_KEYS_PROJECT}/alertPolicies"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{policies}");
    assert!(!policies["alertPolicies"].as_array().unwrap().is_empty());
    assert!(api.sb.spec_violations().is_empty());

    let bad_policy = json!({"alertPolicies": [{"enabled": "yes", "combiner": "SOMETIMES"}]});
    assert!(validate_response_against_spec(
        Service::Monitoring,
        "v3",
        "monitoring.projects.alertPolicies.list",
        "",
        200,
        &bad_policy
    )
    .is_err());
    let bad_metric = json!({"metrics": [{"name": "m", "disabled": "no", "bogus": 1}]});
    assert!(validate_response_against_spec(
        Service::Logging,
        "v2",
        "logging.projects.metrics.list",
        "",
        200,
        &bad_metric
    )
    .is_err());
    let good_metric = json!({"metrics": [{"name": "m", "filter": "severity>=ERROR"}]});
    assert!(validate_response_against_spec(
        Service::Logging,
        "v2",
        "logging.projects.metrics.list",
        "",
        200,
        &good_metric
    )
    .is_ok());
}
