//! CockroachDB Cloud API over HTTP: organization, clusters, auth headers, eligibility checks,
//! and the request log / fault injection hooks.
mod common;

use cmek_sandbox::seed::*;
use cmek_sandbox::Fault;
use common::crdb::{provision_single_region, spec};
use common::{start, P};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn organization_and_clusters() {
    let api = start().await;
    let (s, o) = api.crdb(Method::GET, "organization", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (o["id"].as_str(), o["name"].as_str()),
        (Some(ORG_ID), Some(ORG_NAME))
    );
    let (s, l) = api
        .crdb(Method::GET, "clusters?pagination.limit=2", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(l["pagination"]["next_page"], "2");
    let (_, l2) = api
        .crdb(
            Method::GET,
            "clusters?pagination.limit=2&pagination.page=2",
            None,
        )
        .await;
    assert_eq!(l2["clusters"].as_array().unwrap().len(), 2);
    assert!(l2["pagination"].get("next_page").is_none());
    let (s, c) = api
        .crdb(
            Method::GET,
            &format!("clusters/{SINGLE_REGION_CLUSTER_ID}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["account_id"], SINGLE_REGION_ACCOUNT_ID);
    assert_eq!(c["plan"], "ADVANCED");
    assert_eq!(c["regions"][0]["name"], "us-east4");
    let (s, _) = api
        .crdb(
            Method::GET,
            "clusters/00000000-0000-0000-0000-000000000000",
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = api
        .crdb(
            Method::GET,
            &format!("clusters/{SINGLE_REGION_CLUSTER_ID}/cmek"),
            None,
        )
        .await;
    assert_eq!(s, 404, "CMEK never enabled");
    // auth + version header
    let r = api
        .http
        .get(format!(
            "{}/cockroach/api/v1/organization",
            api.sb.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["code"], 16);
    let r = api
        .http
        .get(format!(
            "{}/cockroach/api/v1/organization",
            api.sb.base_url()
        ))
        .bearer_auth(cmek_sandbox::DEFAULT_COCKROACH_KEY)
        .header("Cc-Version", "2020-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn ineligible_and_mismatched_clusters_are_rejected() {
    let api = start().await;
    let key = provision_single_region(&api, true).await;
    let (s, b) = api
        .crdb(
            Method::POST,
            &format!("clusters/{STANDARD_CLUSTER_ID}/cmek"),
            Some(json!({"region_specs": [spec("us-central1", &key)]})),
        )
        .await;
    assert_eq!(s, 400);
    assert!(b["message"].as_str().unwrap().contains("Advanced"));
    let (s, _) = api
        .crdb(
            Method::POST,
            &format!("clusters/{AWS_CLUSTER_ID}/cmek"),
            Some(json!({"region_specs": [spec("us-east-1", &key)]})),
        )
        .await;
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
    api.google(
        Method::GET,
        &format!("kms/v1/{EXISTING_KEY}:getIamPolicy"),
        None,
    )
    .await;
    api.google(
        Method::POST,
        &format!("iam/v1/projects/{P}/serviceAccounts"),
        Some(json!({"accountId": "log-test"})),
    )
    .await;
    api.google(
        Method::POST,
        &format!(
            "iam/v1/projects/{P}/serviceAccounts/log-test@{P}.iam.gserviceaccount.com:getIamPolicy"
        ),
        None,
    )
    .await;
    api.google(
        Method::POST,
        &format!("crm/v3/projects/{P}:testIamPermissions"),
        Some(json!({"permissions": []})),
    )
    .await;
    api.crdb(Method::GET, "clusters", None).await;
    let reqs = api.sb.requests();
    let ops: Vec<(&str, bool)> = reqs
        .iter()
        .map(|r| (r.operation.as_str(), r.is_write))
        .collect();
    assert_eq!(
        ops,
        vec![
            (
                "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy",
                false
            ),
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
    let r = api
        .http
        .get(&url)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let r = api
        .http
        .get(&url)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "fault used up");
}
