//! The seeded demo organisation (same in `demo()` and `for_tests()`): three GCP projects (one
//! for keys only, [`KEYS_PROJECT_ID`]), an existing key, and CockroachDB clusters covering the
//! cases the app must handle. The AWS side
//! (the customer account, empty, and the audit account) is in [`crate::aws::seed`]. All ids are
//! fixed and exported as constants.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::cmek::crl_kms_principal;
use crate::config::DEFAULT_GOOGLE_MEMBER;
use crate::iam_policy::seed_policy;
use crate::state::{Project, State};

/// CockroachDB Cloud organisation id.
pub const ORG_ID: &str = "7c5a8f9e-3b1d-4e2a-9f60-1a2b3c4d5e6f";
/// CockroachDB Cloud organisation name.
pub const ORG_NAME: &str = "Demo Org";
/// GCP project where the operator is owner and KMS + IAM are enabled.
pub const DEMO_PROJECT_ID: &str = "cmek-demo-project";
/// Number of [`DEMO_PROJECT_ID`].
pub const DEMO_PROJECT_NUMBER: &str = "123456789012";
/// GCP project where `cloudkms.googleapis.com` is disabled (field report B19).
pub const FRESH_PROJECT_ID: &str = "cmek-fresh-project";
/// Number of [`FRESH_PROJECT_ID`].
pub const FRESH_PROJECT_NUMBER: &str = "234567890123";
/// GCP project for keys only (the audit's C12 fix, issue #11): the demo officer holds Cloud KMS
/// Admin and Viewer there but is not owner, and no person owns it; KMS and IAM are enabled.
/// A setup with `key_project` set to it keeps the service account in [`DEMO_PROJECT_ID`] and
/// raises no C12 on its keys.
pub const KEYS_PROJECT_ID: &str = "cmek-keys-project";
/// Number of [`KEYS_PROJECT_ID`].
pub const KEYS_PROJECT_NUMBER: &str = "345678901234";
/// GCP organisation that owns the demo projects.
pub const GCP_ORGANIZATION: &str = "organizations/998877665544";
/// A pre-existing key ring in the demo project (us-east4).
pub const EXISTING_KEY_RING: &str =
    "projects/cmek-demo-project/locations/us-east4/keyRings/existing-ring";
/// A pre-existing key (version 1 ENABLED, primary) in [`EXISTING_KEY_RING`].
pub const EXISTING_KEY: &str =
    "projects/cmek-demo-project/locations/us-east4/keyRings/existing-ring/cryptoKeys/existing-key";

/// GCP ADVANCED PRIVATE cluster in `us-east4`, CREATED, eligible for CMEK.
pub const SINGLE_REGION_CLUSTER_ID: &str = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
/// `account_id` of [`SINGLE_REGION_CLUSTER_ID`].
pub const SINGLE_REGION_ACCOUNT_ID: &str = "crl-prod-abc";
/// GCP ADVANCED cluster in `europe-west4`, `us-east1`, `us-west2`.
pub const MULTI_REGION_CLUSTER_ID: &str = "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d";
/// `account_id` of [`MULTI_REGION_CLUSTER_ID`].
pub const MULTI_REGION_ACCOUNT_ID: &str = "crl-prod-def";
/// Regions of [`MULTI_REGION_CLUSTER_ID`] (sorted by name).
pub const MULTI_REGION_REGIONS: &[&str] = &["europe-west4", "us-east1", "us-west2"];
/// AWS ADVANCED cluster in `us-east-1`.
pub const AWS_CLUSTER_ID: &str = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
/// `account_id` (AWS account) of [`AWS_CLUSTER_ID`].
pub const AWS_ACCOUNT_ID: &str = "810912345678";
/// GCP STANDARD PUBLIC cluster: not eligible for CMEK.
pub const STANDARD_CLUSTER_ID: &str = "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f";
/// `account_id` of [`STANDARD_CLUSTER_ID`].
pub const STANDARD_ACCOUNT_ID: &str = "crl-prod-ghi";

const SERVICES: &[&str] = &[
    "cloudkms.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
];

fn project(id: &str, number: &str, name: &str, kms: bool) -> Project {
    let services: BTreeMap<String, bool> = SERVICES
        .iter()
        .map(|s| (s.to_string(), kms || *s != "cloudkms.googleapis.com"))
        .collect();
    Project {
        id: id.into(),
        number: number.into(),
        display_name: name.into(),
        parent: GCP_ORGANIZATION.into(),
        create_time: "2025-03-01T09:00:00.000000Z".into(),
        services,
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn cluster(
    id: &str,
    name: &str,
    account: &str,
    provider: &str,
    plan: &str,
    vis: &str,
    regions: &[&str],
    machine: &str,
) -> Value {
    let short = &id[..8];
    let regions: Vec<Value> = regions
        .iter()
        .map(|r| {
            json!({
                "name": r, "node_count": 3,
                "sql_dns": format!("{name}-{short}.{r}.crdb.io"),
                "ui_dns": format!("admin-{name}-{short}.{r}.crdb.io"),
                "internal_dns": format!("internal-{name}-{short}.{r}.crdb.io"),
                "private_endpoint_dns": "",
                "machine_type": machine, "num_virtual_cpus": 4,
            })
        })
        .collect();
    json!({
        "id": id, "name": name, "account_id": account, "cloud_provider": provider, "plan": plan,
        "network_visibility": vis, "state": "CREATED", "operation_status": "UNSPECIFIED",
        "cockroach_version": "v25.2.4", "upgrade_status": "FINALIZED",
        "creator_id": "b8e2c1f0-1d2e-4f3a-8b4c-5d6e7f8a9b0c",
        "config": {"dedicated": {"machine_type": machine, "num_virtual_cpus": 4, "storage_gib": 150, "memory_gib": 16, "disk_iops": 0}},
        "regions": regions, "cidr_range": if provider == "GCP" { "172.28.0.0/14" } else { "" },
        "labels": {}, "is_customer_cloud_account": false, "delete_protection": "DISABLED",
        "egress_traffic_policy": "ALLOW_ALL", "parent_id": "root",
        "created_at": "2025-06-01T12:00:00Z", "updated_at": "2025-06-01T12:30:00Z",
    })
}

/// Fills `state` with the demo organisation.
pub(crate) fn seed(state: &mut State) {
    state.organization = json!({"id": ORG_ID, "label": "demo-org", "name": ORG_NAME, "created_at": "2025-01-15T10:00:00Z"});
    for p in [
        project(DEMO_PROJECT_ID, DEMO_PROJECT_NUMBER, "CMEK Demo", true),
        project(FRESH_PROJECT_ID, FRESH_PROJECT_NUMBER, "CMEK Fresh", false),
    ] {
        let key = format!("projects/{}", p.id);
        state.projects.insert(p.id.clone(), p);
        seed_policy(
            state,
            &key,
            json!({"bindings": [{"role": "roles/owner", "members": [DEFAULT_GOOGLE_MEMBER]}]}),
        );
    }
    let keys = project(KEYS_PROJECT_ID, KEYS_PROJECT_NUMBER, "CMEK Keys", true);
    state.projects.insert(keys.id.clone(), keys);
    seed_policy(
        state,
        &format!("projects/{KEYS_PROJECT_ID}"),
        json!({"bindings": [
            {"role": "roles/cloudkms.admin", "members": [DEFAULT_GOOGLE_MEMBER]},
            {"role": "roles/viewer", "members": [DEFAULT_GOOGLE_MEMBER]},
        ]}),
    );
    state.key_rings.insert(
        EXISTING_KEY_RING.into(),
        json!({"name": EXISTING_KEY_RING, "createTime": "2025-04-01T08:00:00.000000Z"}),
    );
    state.crypto_keys.insert(
        EXISTING_KEY.into(),
        json!({"name": EXISTING_KEY, "purpose": "ENCRYPT_DECRYPT", "createTime": "2025-04-01T08:01:00.000000Z",
            "versionTemplate": {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "SOFTWARE"},
            "destroyScheduledDuration": "2592000s", "_primaryId": "1"}),
    );
    crate::kms_versions::new_version(state, EXISTING_KEY, "ENABLED");

    let clusters = [
        cluster(
            SINGLE_REGION_CLUSTER_ID,
            "prod-payments",
            SINGLE_REGION_ACCOUNT_ID,
            "GCP",
            "ADVANCED",
            "PRIVATE",
            &["us-east4"],
            "n2-standard-4",
        ),
        cluster(
            MULTI_REGION_CLUSTER_ID,
            "global-ledger",
            MULTI_REGION_ACCOUNT_ID,
            "GCP",
            "ADVANCED",
            "PRIVATE",
            MULTI_REGION_REGIONS,
            "n2-standard-4",
        ),
        cluster(
            AWS_CLUSTER_ID,
            "aws-analytics",
            AWS_ACCOUNT_ID,
            "AWS",
            "ADVANCED",
            "PRIVATE",
            &["us-east-1"],
            "m6i.xlarge",
        ),
        cluster(
            STANDARD_CLUSTER_ID,
            "dev-sandbox",
            STANDARD_ACCOUNT_ID,
            "GCP",
            "STANDARD",
            "PUBLIC",
            &["us-central1"],
            "",
        ),
    ];
    for c in clusters {
        let id = c["id"].as_str().unwrap_or_default().to_string();
        if c["cloud_provider"] == "GCP" {
            let principal = crl_kms_principal(&id, c["account_id"].as_str().unwrap_or_default());
            state.external_service_accounts.push(principal);
        }
        state.clusters.insert(id, c);
    }
    if state.config.seed_audit {
        crate::seed_audit::seed_audit(state);
        crate::aws::seed::seed_audit(state);
    }
}
