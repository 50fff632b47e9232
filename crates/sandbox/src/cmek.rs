//! CockroachDB's side of CMEK, simulated honestly: the access check CockroachDB performs through
//! the *effective* (propagated) GCP IAM state (AWS: the role, trust and key policy chain of
//! [`crate::aws::crdb`]), and the asynchronous region state machine
//! (ENABLING/ROTATING/REVOKING -> ENABLED/ENABLE_FAILED/ROTATE_FAILED/REVOKED).
//!
//! Key access after enablement ([`recheck_key_access`], `SandboxHandle::recheck_key_access`):
//! removing IAM access alone does not stop a running cluster (managing-cmek.md, field report
//! B42), so nothing changes on its own. The knob simulates what happens when CockroachDB next
//! needs the key (its periodic check, a node restart): every settled ENABLED region re-runs the
//! IAM chain check on its current spec. A region whose chain is broken becomes `REVOKED` — the
//! spec defines REVOKED as "the customer has revoked CockroachLab's permissions for their key",
//! which is what a removed grant is, whoever it was meant for — and its current key info's
//! `user_message` (which "elaborates on the key's status") becomes [`KEY_ACCESS_FAILING`] plus
//! the reason. Restoring access does not bring it back: "even if access to the CMEK is
//! restored, affected nodes cannot automatically recover" (managing-cmek.md), so a later
//! passing recheck only changes the message to [`KEY_ACCESS_RESTORED`]. REVOKE (PATCH) is the
//! customer telling CockroachDB, and goes REVOKING -> REVOKED whatever the IAM state.

use std::time::Instant;

use serde_json::{json, Value};

use crate::iam_policy::{granted, service_account_known};
use crate::service_accounts::sa_resource;
use crate::state::{now_rfc3339, CmekRegion, Pending, State};

/// The 400 message CockroachDB returns while IAM grants are not (yet) effective (B09).
pub const INSUFFICIENT_PERMISSIONS: &str =
    "invalid argument - returned while enabling CMEK - Insufficient permissions to access the KMS key";

/// `crl-kms-user-{last 12 chars of cluster id}@{account_id}.iam.gserviceaccount.com`.
pub fn crl_kms_principal(cluster_id: &str, account_id: &str) -> String {
    let suffix: String = cluster_id
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("crl-kms-user-{suffix}@{account_id}.iam.gserviceaccount.com")
}

/// Parses `projects/P/locations/L/keyRings/R/cryptoKeys/K` -> (P, L).
pub(crate) fn parse_key_uri(uri: &str) -> Option<(String, String)> {
    let p: Vec<&str> = uri.split('/').collect();
    let ok = p.len() == 8
        && p[0] == "projects"
        && p[2] == "locations"
        && p[4] == "keyRings"
        && p[6] == "cryptoKeys"
        && p.iter().all(|s| !s.is_empty());
    ok.then(|| (p[1].to_string(), p[3].to_string()))
}

/// Whether a key location can serve a cluster region (same region, `global` or its multi-region).
pub(crate) fn location_compatible(location: &str, region: &str) -> bool {
    location == region || location == "global" || region.starts_with(&format!("{location}-"))
}

/// What CockroachDB checks before it can use the key in a region: Err(user_message) if not.
pub(crate) fn check_gcp_access(state: &State, cluster: &Value, spec: &Value) -> Result<(), String> {
    let uri = spec["uri"].as_str().unwrap_or_default();
    let sa = spec["auth_principal"].as_str().unwrap_or_default();
    let principal = crl_kms_principal(
        cluster["id"].as_str().unwrap_or_default(),
        cluster["account_id"].as_str().unwrap_or_default(),
    );
    let Some((key_project, _)) = parse_key_uri(uri) else {
        return Err(format!("invalid GCP key URI {uri}"));
    };
    if !service_account_known(state, sa) {
        return Err(format!(
            "The service account {sa} does not exist. Check auth_principal."
        ));
    }
    let Some(entry) = state.service_accounts.get(sa) else {
        return Err(format!(
            "The service account {sa} is not in a customer project."
        ));
    };
    if entry.value.get("disabled") == Some(&json!(true)) {
        return Err(format!(
            "The service account {sa} is disabled; enable it and retry."
        ));
    }
    let sa_chain = vec![
        sa_resource(&entry.project, sa),
        format!("projects/{}", entry.project),
    ];
    if !granted(
        state,
        &format!("serviceAccount:{principal}"),
        &sa_chain,
        "iam.serviceAccounts.getAccessToken",
    ) {
        return Err(format!(
            "Insufficient permissions to access the KMS key: {principal} cannot impersonate {sa}. Grant roles/iam.serviceAccountTokenCreator on the service account to serviceAccount:{principal}."
        ));
    }
    if !state.service_enabled(&key_project, "cloudkms.googleapis.com") {
        return Err(format!(
            "The Cloud KMS API is disabled in project {key_project}."
        ));
    }
    let Some(key) = state.crypto_key(uri) else {
        return Err(format!("Insufficient permissions to access the KMS key: key {uri} was not found or {sa} cannot see it."));
    };
    let key_chain = crate::kms::chain(state, uri);
    let member = format!("serviceAccount:{sa}");
    let can_use = [
        "cloudkms.cryptoKeyVersions.useToEncrypt",
        "cloudkms.cryptoKeyVersions.useToDecrypt",
    ]
    .iter()
    .all(|p| granted(state, &member, &key_chain, p));
    if !can_use {
        return Err(format!(
            "Insufficient permissions to access the KMS key: {sa} lacks roles/cloudkms.cryptoKeyEncrypterDecrypter on {uri}."
        ));
    }
    match key.pointer("/primary/state").and_then(Value::as_str) {
        Some("ENABLED") => Ok(()),
        Some(s) => Err(format!(
            "The primary version of {uri} is {s}; it must be ENABLED."
        )),
        None => Err(format!("The key {uri} has no primary version.")),
    }
}

/// CockroachDB's key access check for the cluster's cloud (GCP above, AWS in
/// [`crate::aws::crdb`]): Ok(note for the `user_message`, usually empty) or Err(why not).
pub(crate) fn check_access(state: &State, cluster: &Value, spec: &Value) -> Result<String, String> {
    match cluster["cloud_provider"].as_str() {
        Some("GCP") => check_gcp_access(state, cluster, spec).map(|()| String::new()),
        Some("AWS") => crate::aws::crdb::check_aws_access(state, cluster, spec),
        _ => Ok(String::new()),
    }
}

/// Builds a `CMEKKeyInfo`.
pub(crate) fn key_info(spec: &Value, status: &str) -> Value {
    let now = now_rfc3339();
    json!({"spec": spec, "status": status, "user_message": "", "created_at": now, "updated_at": now})
}

/// Starts an asynchronous transition of a region.
pub(crate) fn start(region: &mut CmekRegion, status: &str) {
    region.status = status.to_string();
    region.pending = Some(Pending {
        since: Instant::now(),
        polls: 0,
    });
}

/// Cluster-level status from the region statuses.
fn aggregate(regions: &[CmekRegion]) -> String {
    let st: Vec<&str> = regions.iter().map(|r| r.status.as_str()).collect();
    st.iter()
        .find(|s| s.ends_with("_FAILED"))
        .or_else(|| st.iter().find(|s| s.ends_with("ING")))
        .or_else(|| st.iter().find(|s| **s == "REVOKED"))
        .or(st.first())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "DISABLED".into())
}

/// Renders `CMEKClusterInfo` (regions sorted by name, as the real API does).
pub(crate) fn render_info(regions: &[CmekRegion]) -> Value {
    let mut infos: Vec<Value> = regions
        .iter()
        .map(|r| json!({"region": r.region, "status": r.status, "key_infos": r.key_infos}))
        .collect();
    infos.sort_by(|a, b| a["region"].as_str().cmp(&b["region"].as_str()));
    json!({"status": aggregate(regions), "region_infos": infos})
}

/// `operation_status` of a cluster given its CMEK state.
pub(crate) fn operation_status(regions: Option<&Vec<CmekRegion>>) -> &'static str {
    let Some(rs) = regions else {
        return "UNSPECIFIED";
    };
    if rs.iter().any(|r| r.pending.is_some()) {
        "CRDB_CMEK_OPERATION_RUNNING"
    } else if rs.iter().any(|r| r.status.ends_with("_FAILED")) {
        "CRDB_CMEK_OPERATION_FAILED"
    } else {
        "UNSPECIFIED"
    }
}

/// Advances pending transitions of a cluster; `poll` counts this call as a status poll.
pub(crate) fn advance(state: &mut State, cluster_id: &str, poll: bool) {
    let Some(cluster) = state.clusters.get(cluster_id).cloned() else {
        return;
    };
    let Some(mut regions) = state.cmek.remove(cluster_id) else {
        return;
    };
    let (need_polls, need_time) = (
        state.config.cmek_polls_before_done,
        state.config.cmek_transition,
    );
    for r in &mut regions {
        let Some(p) = r.pending.as_mut() else {
            continue;
        };
        if p.polls < need_polls || p.since.elapsed() < need_time {
            if poll {
                p.polls += 1;
            }
            continue;
        }
        r.pending = None;
        let now = now_rfc3339();
        let transitional = matches!(r.status.as_str(), "ENABLING" | "ROTATING" | "REVOKING");
        if state.cmek_failures_left > 0 && transitional {
            // A fault plan: CockroachDB reports the transition as failed (`*_FAILED`).
            state.cmek_failures_left -= 1;
            let failed = match r.status.as_str() {
                "ENABLING" => "ENABLE_FAILED",
                "ROTATING" => "ROTATE_FAILED",
                _ => "REVOKE_FAILED",
            }
            .to_string();
            r.status = failed.clone();
            if let Some(i) = r.key_infos.last_mut() {
                i["status"] = json!(failed);
                i["user_message"] = json!("The operation failed on CockroachDB's side; retry it.");
                i["updated_at"] = json!(now);
            }
            state.injected.push(crate::faults::InjectedFault {
                kind: "cmek_failed".into(),
                operation: failed,
                applied: false,
            });
            continue;
        }
        let last = r.key_infos.len().saturating_sub(1);
        let check = |spec: &Value| check_access(state, &cluster, spec);
        let (region_status, info_status, msg) = match r.status.as_str() {
            "ENABLING" => match check(&r.key_infos[last]["spec"]) {
                Ok(note) => ("ENABLED", "ENABLED", note),
                Err(m) => ("ENABLE_FAILED", "ENABLE_FAILED", m),
            },
            "ROTATING" => match check(&r.key_infos[last]["spec"]) {
                Ok(note) => {
                    for i in &mut r.key_infos[..last] {
                        if i["status"] == "ENABLED" {
                            i["status"] = json!("DISABLED");
                            i["updated_at"] = json!(now);
                        }
                    }
                    ("ENABLED", "ENABLED", note)
                }
                Err(m) => ("ROTATE_FAILED", "ROTATE_FAILED", m),
            },
            "REVOKING" => ("REVOKED", "REVOKED", String::new()),
            other => (other, other, String::new()),
        };
        let (rs, is, m) = (region_status.to_string(), info_status.to_string(), msg);
        r.status = rs;
        if let Some(i) = r.key_infos.get_mut(last) {
            i["status"] = json!(is);
            i["user_message"] = json!(m);
            i["updated_at"] = json!(now);
        }
    }
    state.cmek.insert(cluster_id.to_string(), regions);
}

/// Prefix of the `user_message` of a region cut off by a failed key access check.
pub const KEY_ACCESS_FAILING: &str =
    "Key access is failing; restarted nodes will not be able to rejoin the cluster";

/// `user_message` of such a region once access is back: it stays REVOKED until support acts.
pub const KEY_ACCESS_RESTORED: &str = "Key access is restored, but affected nodes cannot recover by themselves: contact Cockroach Labs support";

/// Re-runs CockroachDB's key access check on every settled ENABLED region of a cluster (see
/// the module doc). Returns (region, access ok) for each region checked.
pub(crate) fn recheck_key_access(state: &mut State, cluster_id: &str) -> Vec<(String, bool)> {
    let Some(cluster) = state.clusters.get(cluster_id).cloned() else {
        return Vec::new();
    };
    let Some(mut regions) = state.cmek.remove(cluster_id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in regions.iter_mut().filter(|r| r.pending.is_none()) {
        let cut_off = |i: &Value| {
            i["user_message"]
                .as_str()
                .is_some_and(|m| m.starts_with(KEY_ACCESS_FAILING) || m == KEY_ACCESS_RESTORED)
        };
        let was_enabled = r.status == "ENABLED";
        let Some(i) = r.key_infos.iter_mut().rev().find(|i| {
            (was_enabled && i["status"] == "ENABLED") || (i["status"] == "REVOKED" && cut_off(i))
        }) else {
            continue;
        };
        let res = check_access(state, &cluster, &i["spec"]);
        let msg = match (&res, was_enabled) {
            (Ok(note), true) => note.clone(),
            (Ok(_), false) => KEY_ACCESS_RESTORED.to_string(),
            (Err(m), _) => format!("{KEY_ACCESS_FAILING}: {m}"),
        };
        if i["user_message"] != json!(msg) {
            i["user_message"] = json!(msg);
            i["updated_at"] = json!(now_rfc3339());
        }
        if res.is_err() && was_enabled {
            i["status"] = json!("REVOKED");
            r.status = "REVOKED".into();
        }
        out.push((r.region.clone(), res.is_ok()));
    }
    state.cmek.insert(cluster_id.to_string(), regions);
    out
}
