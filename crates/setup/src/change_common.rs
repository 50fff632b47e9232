//! What rotation and add-region plans share: reading the cluster and its CMEK state, the spec
//! each region uses now, the one service account CockroachDB acts as, the API step, and the
//! equivalent commands; and [`allowed_actions`], the state machine's verdicts with what the
//! cluster itself rules out. Reads only.

use crate::connection::Connection;
use crate::plan::step;
use cmek_core::cockroach::{
    Cluster, CmekClusterInfo, CmekKeySpec, CmekRegionInfo, CmekRegionSpec, CC_VERSION,
};
use cmek_core::gcloud::{self, CommandInputs};
use cmek_core::lifecycle::{self, ActionAvailability, CmekAction};
use cmek_core::plan::{PlanStep, PlannedKey, SetupRequest, StepKind};
use cmek_core::service_usage::{SERVICE_IAM, SERVICE_KMS};
use cmek_core::{Error, ErrorCode, Result};

/// Every action with what the CMEK state machine says for the cluster's status
/// (`cmek_core::lifecycle`), and what the cluster itself rules out: no change of keys while it
/// is not eligible (plan, visibility, state, a running operation); rotation and new regions
/// for Google Cloud clusters only; setup for Google Cloud and AWS clusters.
pub async fn allowed_actions(
    conn: &Connection,
    cluster_id: &str,
) -> Result<Vec<ActionAvailability>> {
    let id = cmek_core::names::ClusterId::parse(cluster_id)?;
    let cluster = conn.cockroach.get_cluster(id.as_str()).await?;
    let info = match cluster.plan.as_str() {
        "ADVANCED" => conn.cockroach.get_cmek(id.as_str()).await?,
        _ => None,
    };
    Ok(actions_for(&cluster, info.as_ref()))
}

/// [`allowed_actions`] for a cluster and CMEK state already read.
pub(crate) fn actions_for(
    cluster: &Cluster,
    info: Option<&CmekClusterInfo>,
) -> Vec<ActionAvailability> {
    let mut actions = lifecycle::allowed_actions(info);
    let ineligible = cluster.ineligibility();
    let provider = cluster.cloud_provider.as_str();
    for a in actions.iter_mut().filter(|a| a.allowed) {
        if !matches!(
            a.action,
            CmekAction::Setup | CmekAction::Rotate | CmekAction::AddRegion
        ) {
            continue;
        }
        let (why, what_to_do) = match (&ineligible, provider, a.action) {
            (Some(why), _, _) => (
                format!("Cluster {} cannot take this change now: {why}.", cluster.name),
                "Wait for a running operation to finish; CMEK needs an Advanced, private cluster in state CREATED.".to_owned(),
            ),
            (None, "GCP", _) | (None, "AWS", CmekAction::Setup) => continue,
            (None, "AWS", _) => (
                "Rotating and adding a region with its key are for Google Cloud clusters for now.".to_owned(),
                "Change this cluster's AWS keys with the AWS console or API and CockroachDB Cloud's API.".to_owned(),
            ),
            (None, other, _) => (
                format!("Cluster {} runs on {other}; this app covers Google Cloud and AWS clusters.", cluster.name),
                format!("Manage its keys in {other} and CockroachDB Cloud's API."),
            ),
        };
        a.allowed = false;
        a.note = None;
        a.reason = Some(why);
        a.what_to_do = Some(what_to_do);
    }
    actions
}

/// Every action refused because the CMEK status could not be read (`error` says why).
pub(crate) fn unreadable(error: &Error) -> Vec<ActionAvailability> {
    CmekAction::ALL
        .iter()
        .map(|&action| ActionAvailability {
            action,
            allowed: false,
            status: "UNKNOWN".into(),
            reason: Some(format!("CockroachDB's CMEK status could not be read: {}", error.message)),
            what_to_do: Some("Try again; the API key needs a role that can read the cluster's CMEK status (Cluster Admin or Cluster Operator).".into()),
            note: None,
        })
        .collect()
}

/// The cluster and its CMEK state. Errors: `NotEligible` for a cluster not on Google Cloud.
pub(crate) async fn read_cluster(
    conn: &Connection,
    cluster_id: &str,
) -> Result<(Cluster, Option<CmekClusterInfo>)> {
    let cluster = conn.cockroach.get_cluster(cluster_id).await?;
    if cluster.cloud_provider != "GCP" {
        return Err(Error::new(
            ErrorCode::NotEligible,
            format!(
                "Cluster {} runs on {}; this change uses Google Cloud keys.",
                cluster.name, cluster.cloud_provider
            ),
        ));
    }
    let info = conn.cockroach.get_cmek(cluster_id).await?;
    Ok((cluster, info))
}

/// The spec each region uses now (its newest key info), sorted by region.
pub(crate) fn current_specs(info: Option<&CmekClusterInfo>) -> Vec<CmekRegionSpec> {
    let mut specs: Vec<CmekRegionSpec> = info
        .into_iter()
        .flat_map(|i| &i.region_infos)
        .filter_map(|r| {
            r.current().map(|k| CmekRegionSpec {
                region: r.region.clone(),
                key_spec: k.spec.clone(),
            })
        })
        .collect();
    specs.sort_by(|a, b| a.region.cmp(&b.region));
    specs
}

/// The service account CockroachDB acts as (`auth_principal`), the same in every region.
/// Errors: `FailedPrecondition` when no region has a spec or regions use different ones.
pub(crate) fn auth_principal(current: &[CmekRegionSpec], cluster: &str) -> Result<String> {
    let mut principals: Vec<&str> = current
        .iter()
        .map(|s| s.key_spec.auth_principal.as_str())
        .collect();
    principals.sort();
    principals.dedup();
    match principals.as_slice() {
        [one] if !one.is_empty() => Ok((*one).to_owned()),
        [] | [_] => Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!("CockroachDB reports no key for any region of {cluster}; set up CMEK first."),
        )),
        several => Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "The regions of {cluster} use different service accounts ({}); this app changes keys for clusters that use one.",
                several.join(", ")
            ),
        )),
    }
}

/// The account id of a service account email (`crdb-cmek-x@p.iam…` → `crdb-cmek-x`).
pub(crate) fn account_id(email: &str) -> String {
    email.split('@').next().unwrap_or_default().to_owned()
}

/// True when the region already uses `target` and CockroachDB accepted it (ENABLED, or still
/// ENABLING/ROTATING to it): nothing to send for that region.
pub(crate) fn settled_on(region: Option<&CmekRegionInfo>, target: &CmekKeySpec) -> bool {
    region.is_some_and(|r| {
        r.current().is_some_and(|k| &k.spec == target)
            && matches!(r.status.as_str(), "ENABLED" | "ENABLING" | "ROTATING")
    })
}

/// The `EnableApis` step for the key project (done when Cloud KMS and IAM are on), and a warning
/// for each API that is off.
pub(crate) async fn apis_step(conn: &Connection, project: &str) -> Result<(PlanStep, Vec<String>)> {
    let mut off = Vec::new();
    for service in [SERVICE_KMS, SERVICE_IAM] {
        match conn.google.service_usage.get_service(project, service).await {
            Ok(svc) if svc.is_enabled() => {}
            Ok(_) => off.push(format!("{service} is disabled in {project}; applying enables it and waits for the operation (it can take a few minutes).")),
            // Without serviceusage.services.get we cannot tell; key creation will say.
            Err(e) if e.code == ErrorCode::PermissionDenied => {}
            Err(e) => return Err(e),
        }
    }
    let step = step(
        StepKind::EnableApis,
        "Enable the Cloud KMS and IAM APIs",
        &format!("projects/{project}"),
        off.is_empty(),
    );
    Ok((step, off))
}

/// The permissions check every change starts with.
pub(crate) fn permissions_step(project: &str) -> PlanStep {
    step(
        StepKind::CheckPermissions,
        "Check your permissions on the keys",
        &format!("projects/{project}"),
        false,
    )
}

/// Equivalent commands: the `gcloud kms` lines for the keys and grants, then the CockroachDB
/// call (`method` on `path` with the JSON `body`).
pub(crate) fn commands(
    request: &SetupRequest,
    sa_email: &str,
    keys: &[PlannedKey],
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> Vec<String> {
    let next = crate::plan::next_rotation_time(request.rotation_days());
    let new_keys: Vec<PlannedKey> = keys.iter().filter(|k| !k.exists).cloned().collect();
    let mut out: Vec<String> = gcloud::commands(&CommandInputs {
        request,
        cockroach_principal: "",
        service_account_email: sa_email,
        keys: &new_keys,
        next_rotation_time: next.as_deref(),
        cmek_body_json: "",
    })
    .into_iter()
    .filter(|c| c.starts_with("gcloud kms"))
    .collect();
    for k in keys.iter().filter(|k| k.exists) {
        if let Ok(name) = cmek_core::names::CryptoKeyName::parse(&k.name) {
            out.push(format!(
                "gcloud kms keys add-iam-policy-binding {} --keyring={} --location={} --project={} --member=serviceAccount:{sa_email} --role={}",
                name.crypto_key, name.key_ring.key_ring, name.key_ring.location, name.key_ring.project, cmek_core::iam::ROLE_ENCRYPTER_DECRYPTER
            ));
        }
    }
    out.push(format!(
        "curl -X {method} https://cockroachlabs.cloud/{path} -H \"Authorization: Bearer $COCKROACH_API_KEY\" -H \"Cc-Version: {CC_VERSION}\" --json '{body}'",
    ));
    out
}

/// The warning every change that leaves an old key behind carries (cmek-procedure §11).
pub(crate) fn keep_old_keys(old: &[String]) -> String {
    format!(
        "Keep {}: CockroachDB keeps every earlier key in its key history and still needs it to decrypt data written under it. Never disable, schedule for destruction or destroy it; the app refuses to.",
        old.join(", ")
    )
}
