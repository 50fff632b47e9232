//! The audit seed (issue #4): an organisation with one deliberate misconfiguration per audit
//! check and a clean twin for each, plus CockroachDB clusters with CMEK state covering the
//! CockroachDB checks (B18 location mismatch, B43 region missing from the CMEK specs). Enabled
//! by [`crate::SandboxConfig::audit_demo`] / `with_audit_seed()`. [`seed_audit_scale`] adds
//! many clean keys for the scan benchmark.
//!
//! Every key is "clean" unless its id says otherwise: `ENCRYPT_DECRYPT`, primary ENABLED,
//! rotation 30 days with the next rotation 10 days ahead, destroy delay 30 days, no key policy.
//! `*-bad` keys break exactly the check in their name; `*-clean` keys are their twins.

use serde_json::{json, Value};

use crate::cmek::crl_kms_principal;
use crate::config::DEFAULT_GOOGLE_MEMBER;
use crate::iam_policy::seed_policy;
use crate::seed::GCP_ORGANIZATION;
use crate::service_accounts::{insert_sa, sa_resource};
use crate::state::{rfc3339, CmekRegion, Project, State};

/// Project holding the per-check keys; the officer is only `roles/viewer` (no owner: A07 twin).
pub const AUDIT_KEYS_PROJECT: &str = "audit-keys-prj";
/// Project with an owner and a project-wide Token Creator (A07 and A15 cases).
pub const AUDIT_OWNER_PROJECT: &str = "audit-owner-prj";
/// Key ring of the per-check keys (us-east4).
pub const AUDIT_RING: &str = "projects/audit-keys-prj/locations/us-east4/keyRings/audit-ring";
/// Key ring whose own policy is public (A01 via the key ring) and grants `cloudkms.admin` (A06).
pub const AUDIT_SHARED_RING: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/shared-ring";
/// The ids of keys in [`AUDIT_RING`] (`a01-bad`, `a01-clean`, …); see [`audit_key`].
pub const KEY_IDS: &[&str] = &[
    "a01-bad",
    "a01-clean",
    "a03-bad",
    "a03-clean",
    "a03-asym",
    "a04-bad",
    "a04-clean",
    "a06-clean",
    "a08-bad",
    "a08-clean",
    "a09-bad",
    "a09-clean",
    "a10-bad",
    "a10-clean",
    "a14-bad",
    "a14-clean",
    "a16-bad",
    "a16-clean",
];
/// Key in [`AUDIT_SHARED_RING`]: public through the ring (A01), admin at ring + encrypter at key (A06).
pub const RING_PUBLIC_KEY: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/shared-ring/cryptoKeys/a06-bad";
/// A key in [`AUDIT_OWNER_PROJECT`] (so A07 applies there).
pub const OWNER_PROJECT_KEY: &str =
    "projects/audit-owner-prj/locations/us-east4/keyRings/owned/cryptoKeys/k";

/// Full name of a key of [`AUDIT_RING`].
pub fn audit_key(id: &str) -> String {
    format!("{AUDIT_RING}/cryptoKeys/{id}")
}

/// The CockroachDB service account that is set up correctly for its clusters.
pub const SA_GOOD: &str = "crdb-good@audit-keys-prj.iam.gserviceaccount.com";
/// Has Token Creator for its cluster but no role on the key (C03).
pub const SA_NO_KEY_ROLE: &str = "crdb-noperm@audit-keys-prj.iam.gserviceaccount.com";
/// Has the key role but CockroachDB cannot impersonate it (C04).
pub const SA_NO_IMPERSONATION: &str = "crdb-noimp@audit-keys-prj.iam.gserviceaccount.com";
/// Its own policy names a deleted principal (C10).
pub const SA_HYGIENE: &str = "crdb-hygiene@audit-keys-prj.iam.gserviceaccount.com";

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
];
/// AWS ADVANCED cluster with CMEK (C05 reported as not applicable).
pub const AWS_CMEK_CLUSTER: &str = "a0000000-0000-4000-8000-00000000c05a";
/// CockroachDB's account id for the audit clusters.
pub const AUDIT_ACCOUNT_ID: &str = "crl-prod-audit";
/// When every audit CMEK key info was created (before any seeded version, so C02 sees them).
pub const CMEK_ENABLED_AT: &str = "2025-06-01T13:00:00Z";

const ENC: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
const TOKEN: &str = "roles/iam.serviceAccountTokenCreator";

fn project(id: &str, number: &str) -> Project {
    let services = [
        "cloudkms.googleapis.com",
        "iam.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "serviceusage.googleapis.com",
    ]
    .iter()
    .map(|s| (s.to_string(), true))
    .collect();
    Project {
        id: id.into(),
        number: number.into(),
        display_name: id.into(),
        parent: GCP_ORGANIZATION.into(),
        create_time: "2025-03-01T09:00:00.000000Z".into(),
        services,
    }
}

fn in_days(d: i64) -> String {
    rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(d))
}

/// Inserts a clean key (see the module doc), then applies `patch` to its stored JSON.
pub fn add_key(state: &mut State, name: &str, patch: Value) {
    let ring = name
        .split("/cryptoKeys/")
        .next()
        .unwrap_or_default()
        .to_string();
    state
        .key_rings
        .entry(ring.clone())
        .or_insert_with(|| json!({"name": ring, "createTime": "2025-05-01T08:00:00.000000Z"}));
    let mut k = json!({"name": name, "purpose": "ENCRYPT_DECRYPT", "createTime": "2025-05-01T08:01:00.000000Z",
        "versionTemplate": {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "SOFTWARE"},
        "rotationPeriod": "2592000s", "nextRotationTime": in_days(10),
        "destroyScheduledDuration": "2592000s", "_primaryId": "1"});
    if let (Some(o), Some(p)) = (k.as_object_mut(), patch.as_object()) {
        for (f, v) in p {
            if v.is_null() {
                o.remove(f);
            } else {
                o.insert(f.clone(), v.clone());
            }
        }
    }
    state.crypto_keys.insert(name.to_string(), k);
    crate::kms_versions::new_version(state, name, "ENABLED");
}

/// Sets the state of version `id` (1-based) of `key`, adding versions as needed.
fn set_version(state: &mut State, key: &str, id: usize, st: &str) {
    while state.versions.get(key).map_or(0, Vec::len) < id {
        crate::kms_versions::new_version(state, key, "ENABLED");
    }
    if let Some(v) = state
        .versions
        .get_mut(key)
        .and_then(|vs| vs.get_mut(id - 1))
    {
        v["state"] = json!(st);
        if st == "DESTROY_SCHEDULED" {
            v["destroyTime"] = json!(in_days(20));
        }
    }
}

fn policy(state: &mut State, res: &str, bindings: Value) {
    seed_policy(state, res, json!({"bindings": bindings}));
}

fn seed_keys(state: &mut State) {
    let asym = json!({"purpose": "ASYMMETRIC_SIGN", "rotationPeriod": null, "nextRotationTime": null, "_primaryId": null,
        "versionTemplate": {"algorithm": "EC_SIGN_P256_SHA256", "protectionLevel": "HSM"}});
    for id in KEY_IDS {
        let patch = match *id {
            "a03-bad" => json!({"rotationPeriod": null, "nextRotationTime": null}),
            "a03-asym" => asym.clone(),
            "a04-bad" => json!({"rotationPeriod": "7776001s", "nextRotationTime": in_days(10)}),
            "a04-clean" => json!({"rotationPeriod": "7776000s", "nextRotationTime": in_days(89)}),
            "a16-bad" => json!({"destroyScheduledDuration": "86400s"}),
            _ => json!({}),
        };
        add_key(state, &audit_key(id), patch);
    }
    set_version(state, &audit_key("a09-bad"), 2, "DESTROY_SCHEDULED");
    set_version(state, &audit_key("a09-clean"), 2, "DISABLED");
    set_version(state, &audit_key("a10-bad"), 1, "DISABLED");
    let ops = "group:kms-ops@example.com";
    policy(
        state,
        &audit_key("a01-bad"),
        json!([{"role": "roles/cloudkms.viewer", "members": ["allAuthenticatedUsers"]}]),
    );
    policy(
        state,
        &audit_key("a01-clean"),
        json!([{"role": "roles/cloudkms.viewer", "members": ["domain:example.com"]}]),
    );
    policy(
        state,
        &audit_key("a06-clean"),
        json!([{"role": ENC, "members": ["user:app@example.com"]}, {"role": "roles/cloudkms.admin", "members": ["user:admin@example.com"]}]),
    );
    policy(
        state,
        &audit_key("a08-bad"),
        json!([{"role": ENC, "members": ["user:a@example.com", "group:b@example.com"]},
        {"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["principalSet://iam.googleapis.com/locations/global/workforcePools/p/group/g", "domain:example.com"]}]),
    );
    policy(
        state,
        &audit_key("a08-clean"),
        json!([{"role": ENC, "members": ["user:a@example.com", "group:b@example.com"]},
        {"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["user:a@example.com", "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s"]},
        {"role": ENC, "members": ["group:b@example.com"], "condition": {"title": "business hours", "expression": "request.time.getHours('UTC') < 18"}}]),
    );
    policy(
        state,
        &audit_key("a14-bad"),
        json!([{"role": ENC, "members": ["deleted:serviceAccount:old@audit-keys-prj.iam.gserviceaccount.com?uid=123456789012345678901"]}]),
    );
    policy(
        state,
        &audit_key("a14-clean"),
        json!([{"role": ENC, "members": ["serviceAccount:app@audit-keys-prj.iam.gserviceaccount.com"]}]),
    );
    // A06 across levels, encrypter binding listed before admin (the Prowler order quirk), admin conditional.
    add_key(state, RING_PUBLIC_KEY, json!({}));
    policy(
        state,
        RING_PUBLIC_KEY,
        json!([{"role": ENC, "members": [ops]}]),
    );
    policy(
        state,
        AUDIT_SHARED_RING,
        json!([{"role": "roles/cloudkms.viewer", "members": ["allUsers"]},
        {"role": "roles/cloudkms.admin", "members": [ops], "condition": {"title": "break-glass", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}}]),
    );
    add_key(state, OWNER_PROJECT_KEY, json!({}));
}

fn cluster_json(id: &str, name: &str, provider: &str, account: &str, regions: &[&str]) -> Value {
    let regions: Vec<Value> = regions.iter().map(|r| json!({"name": r, "node_count": 3, "sql_dns": format!("{name}.{r}.crdb.io"), "ui_dns": format!("admin-{name}.{r}.crdb.io"),
        "internal_dns": format!("internal-{name}.{r}.crdb.io"), "private_endpoint_dns": "", "machine_type": "n2-standard-4", "num_virtual_cpus": 4})).collect();
    json!({"id": id, "name": name, "account_id": account, "cloud_provider": provider, "plan": "ADVANCED", "network_visibility": "PRIVATE", "state": "CREATED",
        "operation_status": "UNSPECIFIED", "cockroach_version": "v25.2.4", "upgrade_status": "FINALIZED", "creator_id": "b8e2c1f0-1d2e-4f3a-8b4c-5d6e7f8a9b0c",
        "config": {"dedicated": {"machine_type": "n2-standard-4", "num_virtual_cpus": 4, "storage_gib": 150, "memory_gib": 16, "disk_iops": 0}},
        "regions": regions, "cidr_range": "172.28.0.0/14", "labels": {}, "is_customer_cloud_account": false, "delete_protection": "DISABLED",
        "egress_traffic_policy": "ALLOW_ALL", "parent_id": "root", "created_at": "2025-06-01T12:00:00Z", "updated_at": "2025-06-01T12:30:00Z"})
}

fn region(name: &str, status: &str, key_type: &str, uri: &str, sa: &str, msg: &str) -> CmekRegion {
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

fn seed_clusters(state: &mut State) {
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
            n => (crdb_key(n.trim_start_matches("audit-")), SA_GOOD),
        };
        let patch = match *name {
            "audit-hygiene" => json!({"rotationPeriod": null, "nextRotationTime": null}),
            _ => json!({}),
        };
        if *name != "audit-location" {
            add_key(state, &key, patch);
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

/// Adds the audit organisation to `state` (called at start when the config asks for it).
pub fn seed_audit(state: &mut State) {
    for (id, number) in [
        (AUDIT_KEYS_PROJECT, "310000000001"),
        (AUDIT_OWNER_PROJECT, "310000000002"),
    ] {
        state.projects.insert(id.into(), project(id, number));
    }
    policy(
        state,
        &format!("projects/{AUDIT_KEYS_PROJECT}"),
        json!([{"role": "roles/viewer", "members": [DEFAULT_GOOGLE_MEMBER]}]),
    );
    policy(
        state,
        &format!("projects/{AUDIT_OWNER_PROJECT}"),
        json!([{"role": "roles/owner", "members": [DEFAULT_GOOGLE_MEMBER]},
        {"role": TOKEN, "members": ["user:dev@example.com"]}]),
    );
    seed_keys(state);
    seed_clusters(state);
}

/// Adds `projects` projects `bench-p{i}` (officer viewer), each with `keys_per_project` clean keys
/// spread over 5 key rings in us-east4, for the scan benchmark.
pub fn seed_audit_scale(state: &mut State, projects: usize, keys_per_project: usize) {
    for p in 0..projects {
        let id = format!("bench-p{p}");
        state
            .projects
            .insert(id.clone(), project(&id, &format!("4100000{p:05}")));
        policy(
            state,
            &format!("projects/{id}"),
            json!([{"role": "roles/viewer", "members": [DEFAULT_GOOGLE_MEMBER]}]),
        );
        for k in 0..keys_per_project {
            add_key(
                state,
                &format!(
                    "projects/{id}/locations/us-east4/keyRings/ring-{}/cryptoKeys/key-{k}",
                    k % 5
                ),
                json!({}),
            );
        }
    }
}
