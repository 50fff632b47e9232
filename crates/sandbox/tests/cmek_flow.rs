//! CockroachDB CMEK flows over HTTP: enable (ENABLING -> ENABLED), missing Token Creator and
//! IAM propagation (B09), ENABLE_FAILED after access removal, multi-region specs, rotation and
//! revoke (B42).
mod common;

use std::time::Duration;

use cmek_sandbox::seed::*;
use cmek_sandbox::{crl_kms_principal, SandboxConfig, INSUFFICIENT_PERMISSIONS};
use common::crdb::{cmek_url, enable, provision, provision_single_region, settle, spec, SA};
use common::{start, start_with, P};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn enable_happy_path_enabling_then_enabled() {
    let api = start().await;
    let key = provision_single_region(&api, true).await;
    let url = cmek_url(SINGLE_REGION_CLUSTER_ID);
    let (s, info) = enable(&api, &url, &[spec("us-east4", &key)]).await;
    assert_eq!(s, 200, "{info}");
    assert_eq!(info["status"], "ENABLING");
    assert_eq!(info["region_infos"][0]["key_infos"][0]["spec"]["uri"], key);
    let (_, c) = api
        .crdb(
            Method::GET,
            &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"),
            None,
        )
        .await;
    assert_eq!(c["operation_status"], "CRDB_CMEK_OPERATION_RUNNING");
    // for_tests(): one poll still shows ENABLING, the next one resolves
    let (_, p1) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(p1["status"], "ENABLING");
    let (_, p2) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(p2["status"], "ENABLED", "{p2}");
    assert_eq!(p2["region_infos"][0]["status"], "ENABLED");
    assert_eq!(p2["region_infos"][0]["key_infos"][0]["status"], "ENABLED");
    let (_, c) = api
        .crdb(
            Method::GET,
            &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"),
            None,
        )
        .await;
    assert_eq!(c["operation_status"], "UNSPECIFIED");
    // POST again -> 400
    let (s, b) = enable(&api, &url, &[spec("us-east4", &key)]).await;
    assert_eq!(s, 400);
    assert!(b["message"].as_str().unwrap().contains("already enabled"));

    // Removing IAM access alone does not stop a running cluster (B42): stays ENABLED.
    api.sb.with_state(|st| {
        st.remove_binding_direct(
            &key,
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            &format!("serviceAccount:{SA}"),
        );
    });
    let (_, p3) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(p3["status"], "ENABLED");

    // Revoke -> REVOKING -> REVOKED
    let (s, r) = api
        .crdb(Method::PATCH, &url, Some(json!({"action": "REVOKE"})))
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["status"], "REVOKING");
    let done = settle(&api, &url).await;
    assert_eq!(done["status"], "REVOKED");
    assert_eq!(
        api.sb.cmek_info(SINGLE_REGION_CLUSTER_ID).unwrap()["region_infos"][0]["status"],
        "REVOKED"
    );
}

#[tokio::test]
async fn missing_token_creator_is_400_b09() {
    let api = start().await;
    let key = provision_single_region(&api, false).await;
    let url = cmek_url(SINGLE_REGION_CLUSTER_ID);
    let (s, b) = enable(&api, &url, &[spec("us-east4", &key)]).await;
    assert_eq!(s, 400);
    assert_eq!(b["message"], INSUFFICIENT_PERMISSIONS);
    assert!(b["details"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("roles/iam.serviceAccountTokenCreator"));
    assert!(
        api.sb.cmek_info(SINGLE_REGION_CLUSTER_ID).is_none(),
        "nothing started"
    );
    // Token Creator on the *project* policy also counts (effective IAM)
    api.sb.with_state(|st| {
        st.add_binding_direct(
            &format!("projects/{P}"),
            "roles/iam.serviceAccountTokenCreator",
            &format!(
                "serviceAccount:{}",
                crl_kms_principal(SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID)
            ),
        );
    });
    let (s, b) = enable(&api, &url, &[spec("us-east4", &key)]).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn grants_become_effective_after_propagation_b09() {
    let api =
        start_with(SandboxConfig::for_tests().with_iam_propagation(Duration::from_millis(700)))
            .await;
    let key = provision_single_region(&api, true).await;
    let url = cmek_url(SINGLE_REGION_CLUSTER_ID);
    let body = json!({"region_specs": [spec("us-east4", &key)]});
    let (s, b) = api.crdb(Method::POST, &url, Some(body.clone())).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (400, Some(INSUFFICIENT_PERMISSIONS))
    );
    // getIamPolicy already shows the grant: visible is not effective
    assert!(api.sb.iam_policy(&key)["bindings"].to_string().contains(SA));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (s, b) = api.crdb(Method::POST, &url, Some(body)).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn access_removed_while_enabling_gives_enable_failed() {
    let api = start().await;
    let key = provision_single_region(&api, true).await;
    let url = cmek_url(SINGLE_REGION_CLUSTER_ID);
    let (s, _) = enable(&api, &url, &[spec("us-east4", &key)]).await;
    assert_eq!(s, 200);
    // the SA is disabled before CockroachDB finishes
    let (s, _) = api
        .google(
            Method::POST,
            &format!("iam/v1/projects/{P}/serviceAccounts/{SA}:disable"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);
    let info = settle(&api, &url).await;
    assert_eq!(info["status"], "ENABLE_FAILED", "{info}");
    let msg = info["region_infos"][0]["key_infos"][0]["user_message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("disabled"), "{msg}");
    let (_, c) = api
        .crdb(
            Method::GET,
            &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"),
            None,
        )
        .await;
    assert_eq!(c["operation_status"], "CRDB_CMEK_OPERATION_FAILED");
}

#[tokio::test]
async fn multi_region_needs_every_region_and_rotation_keeps_history() {
    let api = start().await;
    let key = provision(
        &api,
        MULTI_REGION_CLUSTER_ID,
        MULTI_REGION_ACCOUNT_ID,
        "global",
        true,
    )
    .await;
    let url = cmek_url(MULTI_REGION_CLUSTER_ID);
    let (s, b) = enable(
        &api,
        &url,
        &[spec("us-east1", &key), spec("us-west2", &key)],
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        b["message"].as_str().unwrap().contains("europe-west4"),
        "{b}"
    );
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east1", &key), spec("us-west2", &key), spec("asia-east1", &key)]}))).await;
    assert_eq!(s, 400, "{b}");
    let all: Vec<Value> = MULTI_REGION_REGIONS.iter().map(|r| spec(r, &key)).collect();
    let (s, b) = enable(&api, &url, &all).await;
    assert_eq!(s, 200, "{b}");
    let names: Vec<&str> = b["region_infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(names, MULTI_REGION_REGIONS, "sorted by name");
    let b = settle(&api, &url).await;
    assert_eq!(b["status"], "ENABLED");
    // rotate one region with PUT
    let (s, b) = api
        .crdb(
            Method::PUT,
            &url,
            Some(json!({"region_specs": [spec("us-east1", &key)]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = b["region_infos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "us-east1")
        .unwrap()
        .clone();
    assert_eq!(r["status"], "ROTATING");
    let b = settle(&api, &url).await;
    let r = b["region_infos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "us-east1")
        .unwrap()
        .clone();
    assert_eq!(r["status"], "ENABLED");
    let statuses: Vec<&str> = r["key_infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["DISABLED", "ENABLED"], "past spec kept");
}
