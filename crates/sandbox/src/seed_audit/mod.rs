//! The audit seed (issue #4): an organisation with one deliberate misconfiguration per audit
//! check and a clean twin for each, plus CockroachDB clusters with CMEK state covering the
//! CockroachDB checks (B18 location mismatch, B43 region missing from the CMEK specs). Enabled
//! by [`crate::SandboxConfig::audit_demo`] / `with_audit_seed()`. [`seed_audit_scale`] adds
//! many clean keys for the scan benchmark.
//!
//! The day-two cases (C14 frozen key with rotation scheduled; drift on a CockroachDB key and
//! service account, with a clean twin) are in `day_two`.
//!
//! Every key is "clean" unless its id says otherwise: `ENCRYPT_DECRYPT`, primary ENABLED,
//! rotation 30 days with the next rotation 10 days ahead, destroy delay 30 days, no key policy.
//! `*-bad` keys break exactly the check in their name; `*-clean` keys are their twins.

use serde_json::{json, Value};

use crate::config::DEFAULT_GOOGLE_MEMBER;
use crate::iam_policy::seed_policy;
use crate::seed::GCP_ORGANIZATION;
use crate::state::{rfc3339, Project, State};

/// Project holding the per-check keys; the officer is only `roles/viewer` (no owner: A07 twin).
pub const AUDIT_KEYS_PROJECT: &str = "audit-keys-prj";
/// Project with a (legacy) owner and a project-wide Token Creator (A07 and A15 cases); the
/// officer is a viewer there.
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

/// The `audit-clean` cluster's key, which also protects a BigQuery dataset and a Cloud Storage
/// bucket of [`AUDIT_OWNER_PROJECT`] (`crate::kms_inventory::PROTECTED`).
pub const PROTECTING_KEY: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/crdb-ring/cryptoKeys/clean";
/// The officer may search what keys protect in the organisation (KMS Inventory).
pub const PROTECTED_VIEWER_ROLE: &str = "roles/cloudkms.protectedResourcesViewer";

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

mod alerting;
mod clusters;
mod day_two;
pub use alerting::{ALARMS_KEY, KMS_ADMIN_FILTER, KMS_ADMIN_METRIC};
use clusters::seed_clusters;
pub use clusters::{AUDIT_ACCOUNT_ID, AWS_CMEK_CLUSTER, CLUSTERS, CMEK_ENABLED_AT};
pub use day_two::{
    AUDIT_DRIFT_PROJECT, DRIFT_CLEAN_KEY, DRIFT_CLUSTERS, DRIFT_COLLEAGUE, DRIFT_DEVELOPER,
    DRIFT_KEY, DRIFT_RING, FREEZE_BAD_KEY, FREEZE_CLEAN_KEY, FREEZE_RING, SA_DRIFT, SA_DRIFT_CLEAN,
};

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
        // A legacy owner (the A07 case); the officer only reads this project.
        json!([{"role": "roles/owner", "members": ["user:legacy-admin@example.com"]},
        {"role": "roles/viewer", "members": [DEFAULT_GOOGLE_MEMBER]},
        {"role": TOKEN, "members": ["user:dev@example.com"]}]),
    );
    // Only the KMS Inventory search at the organisation: no check reads organisation policies.
    crate::iam_policy::seed_policy(
        state,
        GCP_ORGANIZATION,
        json!({"bindings": [{"role": PROTECTED_VIEWER_ROLE, "members": [DEFAULT_GOOGLE_MEMBER]}]}),
    );
    crate::kms_inventory::seed(state);
    seed_keys(state);
    seed_clusters(state);
    day_two::seed_day_two(state);
    alerting::seed_alerting(state);
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
