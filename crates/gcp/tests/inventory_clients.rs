//! The Cloud Asset and KMS Inventory clients against the sandbox over HTTP (issue #12): their
//! bases follow the Resource Manager base, pages chain by token, KMS Inventory lists the same
//! keys Cloud KMS lists, and a refused scope maps to PermissionDenied.

use cmek_core::{ErrorCode, Secret};
use cmek_gcp::{Google, GoogleEndpoints, GoogleHttp, StaticToken};
use cmek_sandbox::seed::{DEMO_PROJECT_ID, EXISTING_KEY, EXISTING_KEY_RING, GCP_ORGANIZATION};
use cmek_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, DEFAULT_GOOGLE_MEMBER, DEFAULT_GOOGLE_TOKEN,
};
use std::sync::Arc;

fn google(sb: &SandboxHandle) -> Google {
    let http = GoogleHttp::new(Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    )));
    Google::new(http, &GoogleEndpoints::single_server(&sb.base_url()))
}

#[test]
fn inventory_bases_follow_the_resource_manager_base() {
    let prod = GoogleEndpoints::production();
    assert_eq!(prod.asset(), "https://cloudasset.googleapis.com/");
    assert_eq!(prod.kms_inventory(), "https://kmsinventory.googleapis.com/");
    let one = GoogleEndpoints::single_server("http://127.0.0.1:9/");
    assert_eq!(one.asset(), "http://127.0.0.1:9/cloudasset/");
    assert_eq!(one.kms_inventory(), "http://127.0.0.1:9/kmsinventory/");
}

#[tokio::test]
async fn searches_page_and_kms_inventory_lists_what_cloud_kms_lists() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let g = google(&sb);
    let scope = format!("projects/{DEMO_PROJECT_ID}");
    // The officer owns the demo project but holds nothing on the organisation.
    let refused = g
        .asset
        .search_all_resources(
            GCP_ORGANIZATION,
            &["cloudkms.googleapis.com/CryptoKey"],
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::PermissionDenied,
        "{}",
        refused.message
    );
    assert!(g
        .crm
        .test_scope_permissions(GCP_ORGANIZATION, &["cloudasset.assets.searchAllResources"])
        .await
        .unwrap()
        .is_empty());

    sb.with_state(|s| {
        s.add_binding_direct(
            GCP_ORGANIZATION,
            "roles/cloudasset.viewer",
            DEFAULT_GOOGLE_MEMBER,
        );
    });
    let page = g
        .asset
        .search_all_resources(&scope, &["cloudkms.googleapis.com/CryptoKey"], None)
        .await
        .unwrap();
    let hit = page
        .items
        .iter()
        .find(|r| r.relative_name() == EXISTING_KEY)
        .expect("the demo key");
    let body = hit
        .resource()
        .expect("readMask asks for versionedResources");
    assert_eq!(body["name"], EXISTING_KEY);
    let policies = g
        .asset
        .search_all_iam_policies(
            GCP_ORGANIZATION,
            &["cloudresourcemanager.googleapis.com/Project"],
            None,
        )
        .await
        .unwrap();
    assert!(policies
        .items
        .iter()
        .all(|p| p.asset_type == "cloudresourcemanager.googleapis.com/Project"));

    let by_inventory = g
        .kms_inventory
        .list_crypto_keys(DEMO_PROJECT_ID, None)
        .await
        .unwrap();
    let by_kms = g.kms.list_crypto_keys(EXISTING_KEY_RING).await.unwrap();
    for k in &by_kms {
        assert!(
            by_inventory.items.contains(k),
            "{} listed by KMS Inventory as by Cloud KMS",
            k.name
        );
    }
}
