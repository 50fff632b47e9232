//! Cloud Asset Inventory and KMS Inventory over HTTP (issue #12): the searches answer the
//! scope's Cloud KMS resources exactly as Cloud KMS shows them, permission is checked on the
//! scope, pages are bounded, the per-minute quota answers 429 RESOURCE_EXHAUSTED with its
//! ErrorInfo, and every exchange validates against the vendored discovery documents.
mod common;

use cmek_sandbox::seed::{DEMO_PROJECT_ID as P, EXISTING_KEY, GCP_ORGANIZATION};
use cmek_sandbox::{InventoryQuotas, DEFAULT_GOOGLE_MEMBER};
use common::start;
use reqwest::Method;
use serde_json::Value;

fn grant_asset_viewer(api: &common::Api) {
    api.sb.with_state(|s| {
        s.add_binding_direct(
            GCP_ORGANIZATION,
            "roles/cloudasset.viewer",
            DEFAULT_GOOGLE_MEMBER,
        );
    });
}

async fn get(api: &common::Api, path: &str) -> (u16, Value) {
    api.google(Method::GET, path, None).await
}

#[tokio::test]
async fn search_all_resources_serves_kms_resources_as_kms_shows_them() {
    let api = start().await;
    grant_asset_viewer(&api);
    let path = format!(
        "cloudasset/v1/{GCP_ORGANIZATION}:searchAllResources?assetTypes=cloudkms.googleapis.com/CryptoKey&readMask=*&pageSize=500"
    );
    let (s, body) = get(&api, &path).await;
    assert_eq!(s, 200, "{body}");
    let results = body["results"].as_array().expect("results");
    let hit = results
        .iter()
        .find(|r| r["name"] == format!("//cloudkms.googleapis.com/{EXISTING_KEY}"))
        .expect("the demo key is in the organisation");
    assert_eq!(hit["assetType"], "cloudkms.googleapis.com/CryptoKey");
    let (s, key) = get(&api, &format!("kms/v1/{EXISTING_KEY}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        hit["versionedResources"][0]["resource"], key,
        "the resource body is the key as cryptoKeys.get returns it"
    );
    assert!(results
        .iter()
        .all(|r| r["assetType"] == "cloudkms.googleapis.com/CryptoKey"));
    assert!(
        api.sb.spec_violations().is_empty(),
        "{:?}",
        api.sb.spec_violations()
    );
}

#[tokio::test]
async fn searches_need_the_permission_on_the_scope() {
    let api = start().await;
    let (s, body) = get(
        &api,
        &format!("cloudasset/v1/{GCP_ORGANIZATION}:searchAllIamPolicies"),
    )
    .await;
    assert_eq!(s, 403, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("cloudasset.assets.searchAllIamPolicies"));
    let (s, held) = api
        .google(
            Method::POST,
            &format!("crm/v3/{GCP_ORGANIZATION}:testIamPermissions"),
            Some(serde_json::json!({"permissions": ["cloudasset.assets.searchAllResources"]})),
        )
        .await;
    assert_eq!((s, held), (200, serde_json::json!({})));
}

#[tokio::test]
async fn pages_are_at_most_500_and_chain_by_token() {
    let api = start().await;
    grant_asset_viewer(&api);
    let base = format!("cloudasset/v1/projects/{P}:searchAllResources?pageSize=2");
    let (s, first) = get(&api, &base).await;
    assert_eq!(s, 200);
    assert_eq!(first["results"].as_array().map(Vec::len), Some(2));
    let token = first["nextPageToken"].as_str().expect("more pages");
    let (s, second) = get(&api, &format!("{base}&pageToken={token}")).await;
    assert_eq!(s, 200);
    assert_ne!(first["results"][0], second["results"][0]);
}

#[tokio::test]
async fn the_per_minute_quota_answers_429_with_its_error_info() {
    let api = start().await;
    grant_asset_viewer(&api);
    api.sb.with_state(|s| {
        s.set_inventory_quotas(InventoryQuotas {
            search_resources_per_project: Some(2),
            ..InventoryQuotas::PRODUCTION
        })
    });
    let path = format!("cloudasset/v1/{GCP_ORGANIZATION}:searchAllResources");
    for _ in 0..2 {
        assert_eq!(get(&api, &path).await.0, 200);
    }
    let (s, body) = get(&api, &path).await;
    assert_eq!(s, 429, "{body}");
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    let info = &body["error"]["details"][0];
    assert_eq!(info["reason"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(info["metadata"]["quota_limit_value"], "2");
    // The other search has its own quota.
    let (s, _) = get(
        &api,
        &format!("cloudasset/v1/{GCP_ORGANIZATION}:searchAllIamPolicies"),
    )
    .await;
    assert_eq!(s, 200);
    let refused = api.sb.with_state(|s| s.inventory_quota_refusals());
    assert_eq!(refused.get("SearchAllResources"), Some(&1));
}

#[tokio::test]
async fn kms_inventory_lists_a_projects_keys_and_searches_protected_resources() {
    let api = start().await;
    let (s, body) = get(&api, &format!("kmsinventory/v1/projects/{P}/cryptoKeys")).await;
    assert_eq!(s, 200, "{body}");
    let keys = body["cryptoKeys"].as_array().expect("keys");
    let (_, key) = get(&api, &format!("kms/v1/{EXISTING_KEY}")).await;
    assert!(keys.contains(&key), "the key as cryptoKeys.get shows it");
    let org = GCP_ORGANIZATION;
    api.sb.with_state(|s| {
        s.add_binding_direct(org, "roles/cloudkms.admin", DEFAULT_GOOGLE_MEMBER);
    });
    let (s, body) = get(
        &api,
        &format!("kmsinventory/v1/{org}/protectedResources:search?cryptoKey={EXISTING_KEY}"),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.get("protectedResources").is_none(),
        "no Google resource uses it"
    );
    assert!(
        api.sb.spec_violations().is_empty(),
        "{:?}",
        api.sb.spec_violations()
    );
}
