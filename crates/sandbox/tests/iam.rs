//! IAM policies over HTTP: etag read-modify-write (B10/B11), conditional bindings and member
//! validation (B08).
mod common;

use cmek_sandbox::crl_kms_principal;
use cmek_sandbox::seed::{
    DEMO_PROJECT_ID as P, EXISTING_KEY, SINGLE_REGION_ACCOUNT_ID, SINGLE_REGION_CLUSTER_ID,
};
use common::start;
use reqwest::Method;
use serde_json::json;

fn key_url(verb: &str) -> String {
    format!("kms/v1/{EXISTING_KEY}:{verb}")
}

#[tokio::test]
async fn etag_conflict_409_aborted_b10_b11() {
    let api = start().await;
    let (s, p) = api
        .google(
            Method::GET,
            &format!(
                "{}?options.requestedPolicyVersion=3",
                key_url("getIamPolicy")
            ),
            None,
        )
        .await;
    assert_eq!(
        (s, &p),
        (200, &json!({"etag": "ACAB"})),
        "empty policy is just the etag"
    );

    // Another writer changes the policy between our read and our write.
    api.sb.before_next(
        "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy",
        Box::new(|st| {
            st.add_binding_direct(EXISTING_KEY, "roles/viewer", "user:other@example.com");
        }),
    );
    let mine = json!({"policy": {"etag": p["etag"], "bindings": [{"role": "roles/cloudkms.admin", "members": ["user:me@example.com"]}]}});
    let (s, b) = api
        .google(Method::POST, &key_url("setIamPolicy"), Some(mine.clone()))
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["status"], "ABORTED");
    let current = api.sb.iam_policy(EXISTING_KEY);
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff."));
    assert!(msg.contains(&format!(
        "The request's ETag 'ACAB' did not match the current policy's ETag '{}'",
        current["etag"].as_str().unwrap()
    )));
    assert_eq!(
        current["bindings"][0]["members"][0], "user:other@example.com",
        "nothing of ours written"
    );

    // Retry with a fresh read: works, new etag minted, the other writer's binding kept.
    let (_, fresh) = api
        .google(Method::GET, &key_url("getIamPolicy"), None)
        .await;
    let mut bindings = fresh["bindings"].as_array().unwrap().clone();
    bindings.push(json!({"role": "roles/cloudkms.admin", "members": ["user:me@example.com"]}));
    let (s, out) = api
        .google(
            Method::POST,
            &key_url("setIamPolicy"),
            Some(json!({"policy": {"etag": fresh["etag"], "bindings": bindings}})),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_ne!(out["etag"], fresh["etag"]);
    assert_eq!(out["version"], 1);
    assert_eq!(out["bindings"].as_array().unwrap().len(), 2);
    // no etag = unconditional overwrite; empty bindings are dropped
    let (s, out) = api
        .google(
            Method::POST,
            &key_url("setIamPolicy"),
            Some(json!({"policy": {"bindings": [{"role": "roles/viewer", "members": []}]}})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(out.get("bindings").is_none(), "{out}");
    assert_eq!(
        out["version"], 1,
        "a written empty policy keeps version 1 (recording)"
    );
}

#[tokio::test]
async fn conditional_bindings_need_v3_and_are_kept() {
    let api = start().await;
    let cond = json!({"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": ["user:temp@example.com"],
        "condition": {"title": "expires", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}});
    let (s, b) = api
        .google(
            Method::POST,
            &key_url("setIamPolicy"),
            Some(json!({"policy": {"bindings": [cond.clone()]}})),
        )
        .await;
    assert_eq!(s, 400, "version < 3 with a condition is rejected: {b}");
    assert_eq!(b["error"]["status"], "INVALID_ARGUMENT");
    let (s, b) = api
        .google(
            Method::POST,
            &key_url("setIamPolicy"),
            Some(json!({"policy": {"version": 3, "bindings": [cond.clone()]}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 3);
    let (_, p3) = api
        .google(
            Method::GET,
            &format!(
                "{}?options.requestedPolicyVersion=3",
                key_url("getIamPolicy")
            ),
            None,
        )
        .await;
    assert_eq!(p3["bindings"][0]["condition"], cond["condition"]);
    // read-modify-write adding an unconditional binding keeps the conditional one
    let mut bs = p3["bindings"].as_array().unwrap().clone();
    bs.push(json!({"role": "roles/viewer", "members": ["user:x@example.com"]}));
    let (s, out) = api
        .google(
            Method::POST,
            &key_url("setIamPolicy"),
            Some(json!({"policy": {"version": 3, "etag": p3["etag"], "bindings": bs}})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        out["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b.get("condition").is_some())
            .count(),
        1
    );
    // an old client (version 1) does not see the raw condition
    let (_, p1) = api
        .google(Method::GET, &key_url("getIamPolicy"), None)
        .await;
    assert_eq!(p1["version"], 1);
    assert!(p1["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b.get("condition").is_none()));
}

#[tokio::test]
async fn unknown_service_account_member_is_rejected_b08() {
    let api = start().await;
    let before = api.sb.iam_policy(EXISTING_KEY);
    // A missing SA in a project the sandbox simulates (a seeded cluster's CockroachDB account).
    let ghost = "crl-kms-user-000000000000@crl-prod-abc.iam.gserviceaccount.com";
    let (s, b) = api
        .google(Method::POST, &key_url("setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [format!("serviceAccount:{ghost}")]}]}})))
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        b["error"]["message"],
        format!("Service account {ghost} does not exist.")
    );
    assert_eq!(api.sb.iam_policy(EXISTING_KEY), before, "nothing written");
    // ... and one in the sandbox's own project
    let ghost = format!("ghost-sa@{P}.iam.gserviceaccount.com");
    let (s, _) = api
        .google(Method::POST, &key_url("setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/viewer", "members": [format!("serviceAccount:{ghost}")]}]}})))
        .await;
    assert_eq!(s, 400);
    // Projects the sandbox knows nothing about: accepted, as real IAM did in the recordings.
    let foreign = "test-sa@test-project.iam.gserviceaccount.com";
    let (s, p) = api
        .google(Method::POST, &key_url("setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/viewer", "members": [format!("serviceAccount:{foreign}")]}]}})))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["version"], 1);
    // the seeded cluster's CockroachDB principal is known
    let known = crl_kms_principal(SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID);
    assert_eq!(
        known,
        "crl-kms-user-5c4d3e2f1a0b@crl-prod-abc.iam.gserviceaccount.com"
    );
    let (s, _) = api
        .google(Method::POST, &key_url("setIamPolicy"), Some(json!({"policy": {"bindings": [{"role": "roles/viewer", "members": [format!("serviceAccount:{known}")]}]}})))
        .await;
    assert_eq!(s, 200);
}
