//! CockroachDB Cloud API over HTTP: clusters, CMEK enable (happy path, missing Token Creator,
//! IAM propagation B09, missing region), ENABLE_FAILED after access removal, rotation,
//! revoke, and the request log's read/write classification.

mod common;

use std::time::Duration;

use cmek_sandbox::seed::*;
use cmek_sandbox::{crl_kms_principal, Fault, SandboxConfig, INSUFFICIENT_PERMISSIONS};
use common::{start, start_with, Api, P};
use reqwest::Method;
use serde_json::{json, Value};

const SA: &str = "crdb-cmek@cmek-demo-project.iam.gserviceaccount.com";

/// Does the GCP side of the procedure through the HTTP API: SA, Token Creator grant, key ring,
/// key, key grant. Returns the key URI.
async fn provision(api: &Api, cluster_id: &str, account_id: &str, location: &str, token_creator: bool) -> String {
    let (s, b) = api.google(Method::POST, &format!("iam/v1/projects/{P}/serviceAccounts"), Some(json!({"accountId": "crdb-cmek"}))).await;
    assert!(s == 200 || s == 409, "{b}");
    if token_creator {
        grant(api, &format!("iam/v1/projects/{P}/serviceAccounts/{SA}"), "roles/iam.serviceAccountTokenCreator", &format!("serviceAccount:{}", crl_kms_principal(cluster_id, account_id)), true).await;
    }
    api.google(Method::POST, &format!("kms/v1/projects/{P}/locations/{location}/keyRings?keyRingId=crdb"), Some(json!({}))).await;
    let ring = format!("projects/{P}/locations/{location}/keyRings/crdb");
    let (s, b) = api.google(Method::POST, &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=cmek"), Some(json!({"purpose": "ENCRYPT_DECRYPT"}))).await;
    assert!(s == 200 || s == 409, "{b}");
    let key = format!("{ring}/cryptoKeys/cmek");
    grant(api, &format!("kms/v1/{key}"), "roles/cloudkms.cryptoKeyEncrypterDecrypter", &format!("serviceAccount:{SA}"), false).await;
    key
}

async fn grant(api: &Api, res: &str, role: &str, member: &str, post_get: bool) {
    let m = if post_get { Method::POST } else { Method::GET };
    let (_, mut p) = api.google(m, &format!("{res}:getIamPolicy"), None).await;
    let mut bs = p["bindings"].as_array().cloned().unwrap_or_default();
    bs.push(json!({"role": role, "members": [member]}));
    p["bindings"] = Value::Array(bs);
    let (s, b) = api.google(Method::POST, &format!("{res}:setIamPolicy"), Some(json!({"policy": p}))).await;
    assert_eq!(s, 200, "{b}");
}

fn spec(region: &str, key: &str) -> Value {
    json!({"region": region, "key_spec": {"type": "GCP_CLOUD_KMS", "uri": key, "auth_principal": SA}})
}

#[tokio::test]
async fn organization_and_clusters() {
    let api = start().await;
    let (s, o) = api.crdb(Method::GET, "organization", None).await;
    assert_eq!(s, 200);
    assert_eq!((o["id"].as_str(), o["name"].as_str()), (Some(ORG_ID), Some(ORG_NAME)));
    let (s, l) = api.crdb(Method::GET, "clusters?pagination.limit=2", None).await;
    assert_eq!(s, 200);
    assert_eq!(l["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(l["pagination"]["next_page"], "2");
    let (_, l2) = api.crdb(Method::GET, "clusters?pagination.limit=2&pagination.page=2", None).await;
    assert_eq!(l2["clusters"].as_array().unwrap().len(), 2);
    assert!(l2["pagination"].get("next_page").is_none());
    let (s, c) = api.crdb(Method::GET, &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(c["account_id"], SINGLE_REGION_ACCOUNT_ID);
    assert_eq!(c["plan"], "ADVANCED");
    assert_eq!(c["regions"][0]["name"], "us-east4");
    let (s, _) = api.crdb(Method::GET, "clusters/00000000-0000-0000-0000-000000000000", None).await;
    assert_eq!(s, 404);
    let (s, _) = api.crdb(Method::GET, &format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek"), None).await;
    assert_eq!(s, 404, "CMEK never enabled");
    // auth + version header
    let r = api.http.get(format!("{}/cockroach/api/v1/organization", api.sb.base_url())).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["code"], 16);
    let r = api
        .http
        .get(format!("{}/cockroach/api/v1/organization", api.sb.base_url()))
        .bearer_auth(cmek_sandbox::DEFAULT_COCKROACH_KEY)
        .header("Cc-Version", "2020-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn enable_happy_path_enabling_then_enabled() {
    let api = start().await;
    let key = provision(&api, SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID, "us-east4", true).await;
    let url = format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek");
    let (s, info) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east4", &key)]}))).await;
    assert_eq!(s, 200, "{info}");
    assert_eq!(info["status"], "ENABLING");
    assert_eq!(info["region_infos"][0]["key_infos"][0]["spec"]["uri"], key);
    let (_, c) = api.crdb(Method::GET, &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"), None).await;
    assert_eq!(c["operation_status"], "CRDB_CMEK_OPERATION_RUNNING");
    // for_tests(): one poll still shows ENABLING, the next one resolves
    let (_, p1) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(p1["status"], "ENABLING");
    let (_, p2) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(p2["status"], "ENABLED", "{p2}");
    assert_eq!(p2["region_infos"][0]["status"], "ENABLED");
    assert_eq!(p2["region_infos"][0]["key_infos"][0]["status"], "ENABLED");
    let (_, c) = api.crdb(Method::GET, &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"), None).await;
    assert_eq!(c["operation_status"], "UNSPECIFIED");
    // POST again -> 400
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east4", &key)]}))).await;
    assert_eq!(s, 400);
    assert!(b["message"].as_str().unwrap().contains("already enabled"));

    // Removing IAM access alone does not stop a running cluster (B42): stays ENABLED.
    api.sb.with_state(|st| {
        st.remove_binding_direct(&key, "roles/cloudkms.cryptoKeyEncrypterDecrypter", &format!("serviceAccount:{SA}"));
    });
    let (_, p3) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(p3["status"], "ENABLED");

    // Revoke -> REVOKING -> REVOKED
    let (s, r) = api.crdb(Method::PATCH, &url, Some(json!({"action": "REVOKE"}))).await;
    assert_eq!(s, 200);
    assert_eq!(r["status"], "REVOKING");
    api.crdb(Method::GET, &url, None).await;
    let (_, done) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(done["status"], "REVOKED");
    assert_eq!(api.sb.cmek_info(SINGLE_REGION_CLUSTER_ID).unwrap()["region_infos"][0]["status"], "REVOKED");
}

#[tokio::test]
async fn missing_token_creator_is_400_b09() {
    let api = start().await;
    let key = provision(&api, SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID, "us-east4", false).await;
    let url = format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek");
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east4", &key)]}))).await;
    assert_eq!(s, 400);
    assert_eq!(b["message"], INSUFFICIENT_PERMISSIONS);
    assert!(b["details"][0]["detail"].as_str().unwrap().contains("roles/iam.serviceAccountTokenCreator"));
    assert!(api.sb.cmek_info(SINGLE_REGION_CLUSTER_ID).is_none(), "nothing started");
    // Token Creator on the *project* policy also counts (effective IAM)
    api.sb.with_state(|st| {
        st.add_binding_direct(&format!("projects/{P}"), "roles/iam.serviceAccountTokenCreator", &format!("serviceAccount:{}", crl_kms_principal(SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID)));
    });
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east4", &key)]}))).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn grants_become_effective_after_propagation_b09() {
    let api = start_with(SandboxConfig::for_tests().with_iam_propagation(Duration::from_millis(700))).await;
    let key = provision(&api, SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID, "us-east4", true).await;
    let url = format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek");
    let body = json!({"region_specs": [spec("us-east4", &key)]});
    let (s, b) = api.crdb(Method::POST, &url, Some(body.clone())).await;
    assert_eq!((s, b["message"].as_str()), (400, Some(INSUFFICIENT_PERMISSIONS)));
    // getIamPolicy already shows the grant: visible is not effective
    assert!(api.sb.iam_policy(&key)["bindings"].to_string().contains(SA));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (s, b) = api.crdb(Method::POST, &url, Some(body)).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn access_removed_while_enabling_gives_enable_failed() {
    let api = start().await;
    let key = provision(&api, SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID, "us-east4", true).await;
    let url = format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek");
    let (s, _) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east4", &key)]}))).await;
    assert_eq!(s, 200);
    // the SA is disabled before CockroachDB finishes
    let (s, _) = api.google(Method::POST, &format!("iam/v1/projects/{P}/serviceAccounts/{SA}:disable"), Some(json!({}))).await;
    assert_eq!(s, 200);
    api.crdb(Method::GET, &url, None).await;
    let (_, info) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(info["status"], "ENABLE_FAILED", "{info}");
    let msg = info["region_infos"][0]["key_infos"][0]["user_message"].as_str().unwrap();
    assert!(msg.contains("disabled"), "{msg}");
    let (_, c) = api.crdb(Method::GET, &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"), None).await;
    assert_eq!(c["operation_status"], "CRDB_CMEK_OPERATION_FAILED");
}

#[tokio::test]
async fn multi_region_needs_every_region_and_rotation_keeps_history() {
    let api = start().await;
    let key = provision(&api, MULTI_REGION_CLUSTER_ID, MULTI_REGION_ACCOUNT_ID, "global", true).await;
    let url = format!("clusters/{MULTI_REGION_CLUSTER_ID}/cmek");
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east1", &key), spec("us-west2", &key)]}))).await;
    assert_eq!(s, 400);
    assert!(b["message"].as_str().unwrap().contains("europe-west4"), "{b}");
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": [spec("us-east1", &key), spec("us-west2", &key), spec("asia-east1", &key)]}))).await;
    assert_eq!(s, 400, "{b}");
    let all: Vec<Value> = MULTI_REGION_REGIONS.iter().map(|r| spec(r, &key)).collect();
    let (s, b) = api.crdb(Method::POST, &url, Some(json!({"region_specs": all}))).await;
    assert_eq!(s, 200, "{b}");
    let names: Vec<&str> = b["region_infos"].as_array().unwrap().iter().map(|r| r["region"].as_str().unwrap()).collect();
    assert_eq!(names, MULTI_REGION_REGIONS, "sorted by name");
    api.crdb(Method::GET, &url, None).await;
    let (_, b) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(b["status"], "ENABLED");
    // rotate one region with PUT
    let (s, b) = api.crdb(Method::PUT, &url, Some(json!({"region_specs": [spec("us-east1", &key)]}))).await;
    assert_eq!(s, 200, "{b}");
    let r = b["region_infos"].as_array().unwrap().iter().find(|r| r["region"] == "us-east1").unwrap().clone();
    assert_eq!(r["status"], "ROTATING");
    api.crdb(Method::GET, &url, None).await;
    let (_, b) = api.crdb(Method::GET, &url, None).await;
    let r = b["region_infos"].as_array().unwrap().iter().find(|r| r["region"] == "us-east1").unwrap().clone();
    assert_eq!(r["status"], "ENABLED");
    let statuses: Vec<&str> = r["key_infos"].as_array().unwrap().iter().map(|k| k["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["DISABLED", "ENABLED"], "past spec kept");
}

#[tokio::test]
async fn ineligible_and_mismatched_clusters_are_rejected() {
    let api = start().await;
    let key = provision(&api, SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID, "us-east4", true).await;
    let (s, b) = api.crdb(Method::POST, &format!("clusters/{STANDARD_CLUSTER_ID}/cmek"), Some(json!({"region_specs": [spec("us-central1", &key)]}))).await;
    assert_eq!(s, 400);
    assert!(b["message"].as_str().unwrap().contains("Advanced"));
    let (s, _) = api.crdb(Method::POST, &format!("clusters/{AWS_CLUSTER_ID}/cmek"), Some(json!({"region_specs": [spec("us-east-1", &key)]}))).await;
    assert_eq!(s, 400, "GCP key for an AWS cluster");
    // key location must serve the region (B18)
    let (s, b) = api
        .crdb(Method::POST, &format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek"), Some(json!({"region_specs": [spec("us-east4", &key.replace("us-east4", "europe-west4"))]})))
        .await;
    assert_eq!(s, 400);
    assert!(b["message"].as_str().unwrap().contains("europe-west4"));
}

#[tokio::test]
async fn request_log_and_faults() {
    let api = start().await;
    api.sb.clear_requests();
    api.google(Method::GET, &format!("kms/v1/{EXISTING_KEY}:getIamPolicy"), None).await;
    api.google(Method::POST, &format!("iam/v1/projects/{P}/serviceAccounts"), Some(json!({"accountId": "log-test"}))).await;
    api.google(Method::POST, &format!("iam/v1/projects/{P}/serviceAccounts/log-test@{P}.iam.gserviceaccount.com:getIamPolicy"), None).await;
    api.google(Method::POST, &format!("crm/v3/projects/{P}:testIamPermissions"), Some(json!({"permissions": []}))).await;
    api.crdb(Method::GET, "clusters", None).await;
    let reqs = api.sb.requests();
    let ops: Vec<(&str, bool)> = reqs.iter().map(|r| (r.operation.as_str(), r.is_write)).collect();
    assert_eq!(
        ops,
        vec![
            ("cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy", false),
            ("iam.projects.serviceAccounts.create", true),
            ("iam.projects.serviceAccounts.getIamPolicy", false),
            ("cloudresourcemanager.projects.testIamPermissions", false),
            ("CockroachCloud_ListClusters", false),
        ]
    );
    assert_eq!(api.sb.write_count(), 1);
    assert_eq!(reqs[1].service, "iam");
    assert_eq!(reqs[4].service, "cockroach");
    assert_eq!(reqs[0].path, format!("/v1/{EXISTING_KEY}:getIamPolicy"));

    api.sb.inject_fault(Fault {
        operation: "cloudkms.projects.locations.keyRings.get".into(),
        status: 429,
        body: json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded"}}),
        times: 1,
        retry_after_secs: Some(1),
    });
    let url = format!("{}/kms/v1/{EXISTING_KEY_RING}", api.sb.base_url());
    let r = api.http.get(&url).bearer_auth(&api.token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let r = api.http.get(&url).bearer_auth(&api.token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "fault used up");
}
