//! Day-two cases of the audit seed (issue #10), added beside the original cases without
//! changing them:
//!
//! - **C14** (a rotation schedule that undoes a freeze): [`FREEZE_BAD_KEY`] has no ENABLED
//!   version (1 DISABLED, 2 DESTROY_SCHEDULED) and automatic rotation still scheduled;
//!   its twin [`FREEZE_CLEAN_KEY`] is frozen the same way with the schedule cleared.
//! - **Drift** (C15 extra, C16 missing bindings): cluster `audit-drift` uses its own key and
//!   service account, each with one binding granted out of band (a colleague may decrypt with
//!   the key; a developer may impersonate the account); its twin `audit-drift-clean` has
//!   exactly the bindings CockroachDB needs and nothing else. So that the one-click fix can run
//!   in the app's sandbox, the officer administers these (and only these): `roles/cloudkms.admin`
//!   on their key ring [`DRIFT_RING`], and `roles/iam.serviceAccountAdmin` on the project
//!   [`AUDIT_DRIFT_PROJECT`] that holds their service accounts (both levels drift does not
//!   cover; no check flags them).

use serde_json::{json, Value};

use super::clusters::{cluster_json, region};
use super::*;
use crate::cmek::crl_kms_principal;
use crate::service_accounts::{insert_sa, sa_resource};
use crate::state::State;

/// Key ring of the C14 keys (us-east4).
pub const FREEZE_RING: &str = "projects/audit-keys-prj/locations/us-east4/keyRings/freeze-ring";
/// Frozen (no ENABLED version) with rotation still scheduled: C14 fires.
pub const FREEZE_BAD_KEY: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/freeze-ring/cryptoKeys/c14-bad";
/// Frozen the same way, schedule cleared: C14 stays silent.
pub const FREEZE_CLEAN_KEY: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/freeze-ring/cryptoKeys/c14-clean";

/// (cluster id, name) of the drift case and its clean twin, both GCP us-east4 ENABLED.
pub const DRIFT_CLUSTERS: &[(&str, &str)] = &[
    ("a0000000-0000-4000-8000-00000000c15a", "audit-drift"),
    ("a0000000-0000-4000-8000-00000000c15c", "audit-drift-clean"),
];
/// Project of the drift service accounts (the officer: viewer and service account admin).
pub const AUDIT_DRIFT_PROJECT: &str = "audit-drift-prj";
/// Key ring of the drift keys, in [`AUDIT_KEYS_PROJECT`] (the officer: `roles/cloudkms.admin`).
pub const DRIFT_RING: &str = "projects/audit-keys-prj/locations/us-east4/keyRings/drift-ring";
/// Key of `audit-drift`; also grants `roles/cloudkms.cryptoKeyDecrypter` to [`DRIFT_COLLEAGUE`].
pub const DRIFT_KEY: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/drift-ring/cryptoKeys/drift";
/// Key of `audit-drift-clean`: only its service account's Encrypter/Decrypter.
pub const DRIFT_CLEAN_KEY: &str =
    "projects/audit-keys-prj/locations/us-east4/keyRings/drift-ring/cryptoKeys/drift-clean";
/// Service account of `audit-drift`; also lets [`DRIFT_DEVELOPER`] create its tokens.
pub const SA_DRIFT: &str = "crdb-drift@audit-drift-prj.iam.gserviceaccount.com";
/// Service account of `audit-drift-clean`: only CockroachDB's Token Creator.
pub const SA_DRIFT_CLEAN: &str = "crdb-drift-clean@audit-drift-prj.iam.gserviceaccount.com";
/// Granted out of band on [`DRIFT_KEY`].
pub const DRIFT_COLLEAGUE: &str = "user:colleague@example.com";
/// Granted out of band on [`SA_DRIFT`].
pub const DRIFT_DEVELOPER: &str = "user:dev@example.com";

fn set_policy(state: &mut State, res: &str, bindings: Value) {
    crate::iam_policy::seed_policy(state, res, json!({ "bindings": bindings }));
}

fn seed_freeze(state: &mut State) {
    add_key(state, FREEZE_BAD_KEY, json!({}));
    add_key(
        state,
        FREEZE_CLEAN_KEY,
        json!({"rotationPeriod": null, "nextRotationTime": null}),
    );
    set_version(state, FREEZE_BAD_KEY, 1, "DISABLED");
    set_version(state, FREEZE_BAD_KEY, 2, "DESTROY_SCHEDULED");
    set_version(state, FREEZE_CLEAN_KEY, 1, "DISABLED");
}

fn seed_drift(state: &mut State) {
    state.projects.insert(
        AUDIT_DRIFT_PROJECT.into(),
        project(AUDIT_DRIFT_PROJECT, "310000000003"),
    );
    set_policy(
        state,
        &format!("projects/{AUDIT_DRIFT_PROJECT}"),
        json!([{"role": "roles/viewer", "members": [DEFAULT_GOOGLE_MEMBER]},
        // May edit the service accounts' IAM policies (drift remediation), not create any: the
        // wizard never suggests this project for a new setup.
        {"role": "roles/iam.securityAdmin", "members": [DEFAULT_GOOGLE_MEMBER]}]),
    );
    state.key_rings.insert(
        DRIFT_RING.into(),
        json!({"name": DRIFT_RING, "createTime": "2025-05-01T08:00:00.000000Z"}),
    );
    set_policy(
        state,
        DRIFT_RING,
        json!([{"role": "roles/cloudkms.admin", "members": [DEFAULT_GOOGLE_MEMBER]}]),
    );
    for ((id, name), (key, sa)) in DRIFT_CLUSTERS
        .iter()
        .zip([(DRIFT_KEY, SA_DRIFT), (DRIFT_CLEAN_KEY, SA_DRIFT_CLEAN)])
    {
        let crl = crl_kms_principal(id, AUDIT_ACCOUNT_ID);
        state.external_service_accounts.push(crl.clone());
        state.clusters.insert(
            id.to_string(),
            cluster_json(id, name, "GCP", AUDIT_ACCOUNT_ID, &["us-east4"]),
        );
        let account = sa.split('@').next().unwrap_or_default();
        insert_sa(
            state,
            AUDIT_DRIFT_PROJECT,
            account,
            Some("CockroachDB CMEK"),
            None,
            0,
        );
        add_key(state, key, json!({}));
        let mut key_bindings =
            vec![json!({"role": ENC, "members": [format!("serviceAccount:{sa}")]})];
        let mut sa_bindings =
            vec![json!({"role": TOKEN, "members": [format!("serviceAccount:{crl}")]})];
        if *name == "audit-drift" {
            key_bindings.push(
                json!({"role": "roles/cloudkms.cryptoKeyDecrypter", "members": [DRIFT_COLLEAGUE]}),
            );
            sa_bindings.push(json!({"role": TOKEN, "members": [DRIFT_DEVELOPER]}));
        }
        set_policy(state, key, Value::Array(key_bindings));
        set_policy(
            state,
            &sa_resource(AUDIT_DRIFT_PROJECT, sa),
            Value::Array(sa_bindings),
        );
        let gcp = "GCP_CLOUD_KMS";
        state.cmek.insert(
            id.to_string(),
            vec![region("us-east4", "ENABLED", gcp, key, sa, "")],
        );
    }
}

/// Adds the day-two cases (called by [`super::seed_audit`]).
pub(super) fn seed_day_two(state: &mut State) {
    seed_freeze(state);
    seed_drift(state);
}
