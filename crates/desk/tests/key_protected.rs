//! The key emergency actions' preview through the application core says what else the key
//! protects in its organisation (issue 12, KMS Inventory, against the core's in-process sandbox
//! with the audit seed): the `audit-clean` cluster's key lists the seeded BigQuery dataset and
//! Cloud Storage bucket; a key no other resource uses is "nothing else". (Without the permission
//! the same `cmek_audit::protected::for_key` says so: `crates/audit/tests/protected_resources.rs`,
//! whose sandbox has no IAM propagation delay.)

mod scan_kept;

use cmek_core::protected::ProtectedResources;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use cmek_sandbox::seed::GCP_ORGANIZATION;
use cmek_sandbox::seed_audit::{DRIFT_CLEAN_KEY, PROTECTING_KEY};
use std::sync::Arc;

async fn connected(dir: &std::path::Path) -> Desk {
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    let desk = Desk::new(Session::new(
        settings,
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ));
    desk.connect_sandbox().await.expect("sandbox connects");
    desk
}

#[tokio::test]
async fn the_key_preview_lists_what_else_the_key_protects() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;

    let p = desk.preview_key(PROTECTING_KEY).await.unwrap();
    assert!(!p.to_disable.is_empty(), "the rest of the preview is there");
    let Some(ProtectedResources::Evaluated {
        organization,
        resources,
    }) = &p.protected_resources
    else {
        panic!("evaluated: {:?}", p.protected_resources)
    };
    assert_eq!(organization, GCP_ORGANIZATION);
    let types: Vec<&str> = resources.iter().map(|r| r.resource_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "bigquery.googleapis.com/Dataset",
            "storage.googleapis.com/Bucket"
        ]
    );

    let other = desk.preview_key(DRIFT_CLEAN_KEY).await.unwrap();
    assert_eq!(
        other.protected_resources.map(|p| p.resources().len()),
        Some(0)
    );
}
