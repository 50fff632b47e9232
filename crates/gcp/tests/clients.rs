//! The Google clients against the sandbox over HTTP: retries honour Retry-After, routing
//! follows the resource's location (B17), IAM edits are etag-safe, errors map to codes.

use cmek_core::iam::{Grant, ROLE_ENCRYPTER_DECRYPTER};
use cmek_core::{ErrorCode, Secret};
use cmek_gcp::http::RetryPolicy;
use cmek_gcp::{edit_policy, Google, GoogleEndpoints, GoogleHttp, PolicyTarget, StaticToken};
use cmek_sandbox::{
    seed, Fault, Sandbox, SandboxConfig, SandboxHandle, DEFAULT_GOOGLE_MEMBER, DEFAULT_GOOGLE_TOKEN,
};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn google(sb: &SandboxHandle) -> Google {
    let http = GoogleHttp::new(Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    )))
    .with_retry(RetryPolicy {
        max_attempts: 4,
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(5),
    });
    Google::new(http, &GoogleEndpoints::single_server(&sb.base_url()))
}

fn loc(l: &str) -> String {
    format!("projects/{}/locations/{l}", seed::DEMO_PROJECT_ID)
}

#[tokio::test]
async fn single_server_endpoints_match_the_sandbox_layout() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let e = sb.endpoints();
    let g = GoogleEndpoints::single_server(&sb.base_url());
    assert_eq!(
        (g.kms, g.iam, g.serviceusage, g.crm, g.logging, g.monitoring),
        (e.kms, e.iam, e.serviceusage, e.crm, e.logging, e.monitoring)
    );
    let with_slash = GoogleEndpoints::single_server(&format!("{}/", sb.base_url()));
    assert_eq!(with_slash.kms, sb.endpoints().kms);
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_retry_after() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb).await;
    sb.inject_fault(Fault {
        operation: "cloudkms.projects.locations.keyRings.get".into(),
        status: 429,
        body: json!({"error": {"code": 429, "message": "Quota exceeded for quota metric 'Read requests'", "status": "RESOURCE_EXHAUSTED"}}),
        times: 1,
        retry_after_secs: Some(1),
    });
    let start = Instant::now();
    let ring = g.kms.get_key_ring(seed::EXISTING_KEY_RING).await.unwrap();
    assert!(ring.is_some());
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited {:?}, less than Retry-After",
        start.elapsed()
    );
    let gets: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.operation.ends_with("keyRings.get"))
        .map(|r| r.status)
        .collect();
    assert_eq!(gets, vec![429, 200]);
}

#[tokio::test]
async fn persistent_503_gives_up_after_the_bound_with_unavailable() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb).await;
    sb.inject_fault(Fault {
        operation: "cloudkms.projects.locations.keyRings.get".into(),
        status: 503,
        body: json!({"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}),
        times: 100,
        retry_after_secs: None,
    });
    let e = g
        .kms
        .get_key_ring(seed::EXISTING_KEY_RING)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unavailable);
    assert_eq!(sb.requests().len(), 4, "max_attempts bounds the retries");
}

#[tokio::test]
async fn b17_regional_key_rings_are_addressed_and_routed_by_their_own_location() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb).await;
    for l in ["europe-west4", "global"] {
        g.kms.create_key_ring(&loc(l), "routing").await.unwrap();
        let name = format!("{}/keyRings/routing", loc(l));
        assert_eq!(g.kms.get_key_ring(&name).await.unwrap().unwrap().name, name);
    }
    // The sandbox rejects a routing header that names another location; none of ours did.
    let rejected: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.status == 400)
        .collect();
    assert!(rejected.is_empty(), "{rejected:#?}");
    let resp = reqwest::Client::new()
        .get(format!(
            "{}v1/{}/keyRings/routing",
            sb.endpoints().kms,
            loc("europe-west4")
        ))
        .bearer_auth(DEFAULT_GOOGLE_TOKEN)
        .header(
            "x-goog-request-params",
            format!("name={}/keyRings/routing", loc("global")).replace('/', "%2F"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        400,
        "a mis-routed call is refused, as a regional endpoint would"
    );
}

#[tokio::test]
async fn errors_from_the_sandbox_map_to_their_codes() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb).await;
    let e = g
        .kms
        .create_key_ring(
            &format!("projects/{}/locations/us-east4", seed::DEMO_PROJECT_ID),
            "existing-ring",
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    assert!(g
        .kms
        .get_crypto_key(&format!("{}/cryptoKeys/nope", seed::EXISTING_KEY_RING))
        .await
        .unwrap()
        .is_none());
    let e = g.crm.get_iam_policy("no-such-project-1").await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::PermissionDenied,
        "Resource Manager never confirms non-existence"
    );
    sb.set_service_enabled(seed::DEMO_PROJECT_ID, "cloudkms.googleapis.com", false);
    let e = g
        .kms
        .get_key_ring(seed::EXISTING_KEY_RING)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ServiceDisabled);
    assert_eq!(e.resource.as_deref(), Some("cloudkms.googleapis.com"));
}

#[tokio::test]
async fn edit_policy_is_a_noop_when_nothing_changes_and_never_drops_others() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb).await;
    let target = PolicyTarget::Kms(seed::EXISTING_KEY.into());
    sb.with_state(|s| {
        s.add_binding_direct(
            seed::EXISTING_KEY,
            "roles/cloudkms.viewer",
            "group:auditors@example.com",
        )
    });
    let grant = Grant::new(ROLE_ENCRYPTER_DECRYPTER, "user:app@example.com");
    let first = edit_policy(&g, &target, std::slice::from_ref(&grant), &[])
        .await
        .unwrap();
    assert_eq!(first.writes, 1);
    let second = edit_policy(&g, &target, std::slice::from_ref(&grant), &[])
        .await
        .unwrap();
    assert_eq!(second.writes, 0);
    let p = sb.iam_policy(seed::EXISTING_KEY).to_string();
    assert!(
        p.contains("group:auditors@example.com") && p.contains("user:app@example.com"),
        "{p}"
    );
    let removed = edit_policy(&g, &target, &[], std::slice::from_ref(&grant))
        .await
        .unwrap();
    assert_eq!(removed.outcome.removed, vec![grant]);
    assert!(sb
        .iam_policy(seed::EXISTING_KEY)
        .to_string()
        .contains("group:auditors@example.com"));
}
