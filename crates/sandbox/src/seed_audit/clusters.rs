//! CockroachDB side of the audit seed: clusters whose CMEK state covers the CockroachDB checks
//! C01-C12, including B18 (key location does not match a cluster region) and B43 (a cluster
//! region missing from the CMEK region specs).

use serde_json::{json, Value};

use super::*;
use crate::cmek::crl_kms_principal;
use crate::service_accounts::{insert_sa, sa_resource};
use crate::state::{CmekRegion, State};

/// (cluster id, name, regions, what it demonstrates). All GCP ADVANCED PRIVATE.
pub const CLUSTERS: &[(&str, &str, &[&str], &str)] = &[
    (
        "a0000000-0000-4000-8000-00000000c001",
        "audit-clean",
        &["us-east4"],
        "twin of every C check",
    ),
    (
        "a0000000-0000-4000-8000-00000000c006",
        "audit-location",
        &["us-east1", "us-west2"],
        "C06/B18: multi-region key and mismatched region",
    ),
    (
        "a0000000-0000-4000-8000-00000000c007",
        "audit-missing-region",
        &["europe-west4", "us-east1", "us-west2"],
        "C07/B43: us-west2 has no CMEK spec",
    ),
    (
        "a0000000-0000-4000-8000-00000000c008",
        "audit-failed",
        &["us-east4"],
        "C08: ENABLE_FAILED with user_message",
    ),
    (
        "a0000000-0000-4000-8000-00000000c01a",
        "audit-disabled-key",
        &["us-east4"],
        "C01: primary DISABLED",
    ),
    (
        "a0000000-0000-4000-8000-00000000c02a",
        "audit-destroy",
        &["us-east4"],
        "C02: version scheduled for destruction",
    ),
    (
        "a0000000-0000-4000-8000-00000000c03a",
        "audit-noperm",
        &["us-east4"],
        "C03: service account lacks Encrypter/Decrypter",
    ),
    (
        "a0000000-0000-4000-8000-00000000c04a",
        "audit-noimp",
        &["us-east4"],
        "C04: CockroachDB cannot impersonate",
    ),
    (
        "a0000000-0000-4000-8000-00000000c09a",
        "audit-hygiene",
        &["us-east4"],
        "C09 C10 C11 C12: public, deleted principal, no rotation, human SoD",
    ),
    (
        "a0000000-0000-4000-8000-00000000c13a",
        "audit-alarms",
        &["us-east4"],
        "C13: key project without an enabled alert on key changes",
    ),
];
/// AWS ADVANCED cluster with CMEK (C05 reported as not applicable).
pub const AWS_CMEK_CLUSTER: &str = "a0000000-0000-4000-8000-00000000c05a";
/// CockroachDB's account id for the audit clusters.
pub const AUDIT_ACCOUNT_ID: &str = "crl-prod-audit";
/// When every audit CMEK key info was created (before any seeded version, so C02 sees them).
pub const CMEK_ENABLED_AT: &str = "2025-06-01T13:00:00Z";

pub(super) fn cluster_json(
    id: &str,
    name: &str,
    provider: &str,
    account: &str,
    regions: &[&str],
) -> Value {
    let regions: Vec<Value> = regions.iter().map(|r| json!({"name": r, "node_count": 3, "sql_dns": format!("{name}.{r}.crdb.io"), "ui_dns": format!("admin-{name}.{r}.crdb.io"),
        "internal_dns": format!("internal-{name}.{r}.crdb.io"), "private_endpoint_dns": "", "machine_type": "n2-standard-4", "num_virtual_cpus": 4})).collect();
    json!({"id": id, "name": name, "account_id": account, "cloud_provider": provider, "plan": "ADVANCED", "network_visibility": "PRIVATE", "state": "CREATED",
        "operation_status": "UNSPECIFIED", "cockroach_version": "v25.2.4", "upgrade_status": "FINALIZED", "creator_id": "b8e2c1f0-1d2e-4f3a-8b4c-5d6e7f8a9b0c",
        "config": {"dedicated": {"machine_type": "n2-standard-4", "num_virtual_cpus": 4, "storage_gib": 150, "memory_gib": 16, "disk_iops": 0}},
        "regions": regions, "cidr_range": "172.28.0.0/14", "labels": {}, "is_customer_cloud_account": false, "delete_protection": "DISABLED",
        "egress_traffic_policy": "ALLOW_ALL", "parent_id": "root", "created_at": "2025-06-01T12:00:00Z", "updated_at": "2025-06-01T12:30:00Z"})
}

pub(super) fn region(
    name: &str,
    status: &str,
    key_type: &str,
    uri: &str,
    sa: &str,
    msg: &str,
) -> CmekRegion {
    let spec = json!({"type": key_type, "uri": uri, "auth_principal": sa});
    let info = json!({"spec": spec, "status": status, "user_message": msg, "created_at": CMEK_ENABLED_AT, "updated_at": CMEK_ENABLED_AT});
    CmekRegion {
        region: name.into(),
        status: status.into(),
        key_infos: vec![info],
        pending: None,
    }
}

fn crdb_key(id: &str) -> String {
    format!("projects/{AUDIT_KEYS_PROJECT}/locations/us-east4/keyRings/crdb-ring/cryptoKeys/{id}")
}

pub(super) fn seed_clusters(state: &mut State) {
    let (multi, eu) = (
        "projects/audit-keys-prj/locations/us/keyRings/crdb-multi/cryptoKeys/k",
        "projects/audit-keys-prj/locations/europe-west1/keyRings/crdb-eu/cryptoKeys/k",
    );
    for email in [SA_GOOD, SA_NO_KEY_ROLE, SA_NO_IMPERSONATION, SA_HYGIENE] {
        insert_sa(
            state,
            AUDIT_KEYS_PROJECT,
            email.split('@').next().unwrap_or_default(),
            Some("CockroachDB CMEK"),
            None,
            0,
        );
    }
    let mut good_token = Vec::new();
    for (id, name, regions, _) in CLUSTERS {
        let crl = crl_kms_principal(id, AUDIT_ACCOUNT_ID);
        state.external_service_accounts.push(crl.clone());
        state.clusters.insert(
            id.to_string(),
            cluster_json(id, name, "GCP", AUDIT_ACCOUNT_ID, regions),
        );
        let (key, sa) = match *name {
            "audit-noperm" => (crdb_key("noperm"), SA_NO_KEY_ROLE),
            "audit-noimp" => (crdb_key("noimp"), SA_NO_IMPERSONATION),
            "audit-hygiene" => (crdb_key("hygiene"), SA_HYGIENE),
            "audit-alarms" => (super::ALARMS_KEY.to_owned(), SA_GOOD),
            n => (crdb_key(n.trim_start_matches("audit-")), SA_GOOD),
        };
        let patch = match *name {
            "audit-hygiene" => json!({"rotationPeriod": null, "nextRotationTime": null}),
            _ => json!({}),
        };
        if *name != "audit-location" {
            // audit-alarms uses the owner project's existing key (seeded with the A checks).
            if *name != "audit-alarms" {
                add_key(state, &key, patch);
            }
            let mut b = vec![json!({"role": ENC, "members": [format!("serviceAccount:{sa}")]})];
            if *name == "audit-noperm" {
                b = vec![
                    json!({"role": "roles/cloudkms.viewer", "members": [format!("serviceAccount:{sa}")]}),
                ];
            }
            if *name == "audit-hygiene" {
                b.push(json!({"role": "roles/cloudkms.viewer", "members": ["allUsers"]}));
                b.push(
                    json!({"role": "roles/cloudkms.admin", "members": ["user:alice@example.com"]}),
                );
                b.push(json!({"role": ENC, "members": ["user:alice@example.com"]}));
                b.push(json!({"role": "roles/cloudkms.viewer", "members": ["deleted:group:old-team@example.com?uid=7"]}));
            }
            policy(state, &key, Value::Array(b));
        }
        if *name != "audit-noimp" {
            if sa == SA_GOOD {
                good_token.push(format!("serviceAccount:{crl}"));
            } else {
                let mut b =
                    vec![json!({"role": TOKEN, "members": [format!("serviceAccount:{crl}")]})];
                if sa == SA_HYGIENE {
                    b.push(json!({"role": "roles/iam.serviceAccountUser", "members": ["deleted:user:bob@example.com?uid=42"]}));
                }
                policy(state, &sa_resource(AUDIT_KEYS_PROJECT, sa), Value::Array(b));
            }
        }
        let gcp = "GCP_CLOUD_KMS";
        let regions_state: Vec<CmekRegion> = match *name {
            "audit-location" => vec![
                region("us-east1", "ENABLED", gcp, multi, sa, ""),
                region("us-west2", "ENABLED", gcp, eu, sa, ""),
            ],
            "audit-missing-region" => ["europe-west4", "us-east1"]
                .iter()
                .map(|r| region(r, "ENABLED", gcp, &key, sa, ""))
                .collect(),
            "audit-failed" => vec![region(
                "us-east4",
                "ENABLE_FAILED",
                gcp,
                &key,
                sa,
                "Insufficient permissions to access the KMS key",
            )],
            _ => regions
                .iter()
                .map(|r| region(r, "ENABLED", gcp, &key, sa, ""))
                .collect(),
        };
        state.cmek.insert(id.to_string(), regions_state);
    }
    for k in [multi, eu] {
        add_key(state, k, json!({}));
        policy(
            state,
            k,
            json!([{"role": ENC, "members": [format!("serviceAccount:{SA_GOOD}")]}]),
        );
    }
    policy(
        state,
        &sa_resource(AUDIT_KEYS_PROJECT, SA_GOOD),
        json!([{"role": TOKEN, "members": good_token}]),
    );
    set_version(state, &crdb_key("disabled-key"), 1, "DISABLED");
    set_version(state, &crdb_key("destroy"), 2, "DESTROY_SCHEDULED");
    let aws_arn = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
    state.clusters.insert(
        AWS_CMEK_CLUSTER.into(),
        cluster_json(
            AWS_CMEK_CLUSTER,
            "audit-aws",
            "AWS",
            "810912345678",
            &["us-east-1"],
        ),
    );
    state.cmek.insert(
        AWS_CMEK_CLUSTER.into(),
        vec![region(
            "us-east-1",
            "ENABLED",
            "AWS_KMS",
            aws_arn,
            "arn:aws:iam::123456789012:role/crdb-cmek",
            "",
        )],
    );
}
