//! Building a [`Plan`]: validate, read, derive. No write call is made here.
//!
//! The CMEK state machine (`cmek_core::lifecycle`) is asked first: setup on a revoked (or
//! revoking) cluster is refused before anything else is read, and a request naming other keys
//! than an ENABLED cluster uses yields a rotation plan (`crate::rotate`), not a setup plan that
//! would create and grant the new key and only then fail at enable.

use crate::connection::Connection;
use crate::keys_plan;
use cmek_core::change::PlanChange;
use cmek_core::cockroach::{Cluster, CmekKeySpec, CmekRegionSpec, CmekSpecBody};
use cmek_core::gcloud::{self, CommandInputs};
use cmek_core::iam::{service_account_member, Grant, Policy, ROLE_TOKEN_CREATOR};
use cmek_core::lifecycle::{self, CmekAction};
use cmek_core::names::{
    cockroach_principal, service_account_email, ClusterId, CryptoKeyName, KeyRingName,
};
use cmek_core::plan::{
    KeyLayout, Plan, PlanStep, PlannedIamChange, PlannedKey, ProtectionLevel, SetupRequest,
    StepKind,
};
use cmek_core::service_usage::{SERVICE_IAM, SERVICE_KMS};
use cmek_core::{Error, ErrorCode, Result};

/// A sensible request for a cluster: names derived from the cluster id suffix, a key per
/// region in that region (B18: default to the cluster's regions), HSM off, 90-day rotation.
///
/// On a cluster whose CMEK is already ENABLED, setup only verifies the keys in use
/// (`cmek_core::lifecycle`), so the suggestion names them ([`in_use_request`]) and plans as a
/// setup with nothing to change, never as a rotation; a change of keys is `suggest_rotation`.
pub async fn suggest_request(conn: &Connection, cluster_id: &str) -> Result<SetupRequest> {
    let id = ClusterId::parse(cluster_id)?;
    let cluster = conn.cockroach.get_cluster(id.as_str()).await?;
    if cluster.plan == "ADVANCED" {
        let info = conn.cockroach.get_cmek(id.as_str()).await?;
        if info.as_ref().is_some_and(|i| i.status == "ENABLED") {
            return in_use_request(conn, &id, &cluster, info.as_ref()).await;
        }
    }
    let regions = cluster.region_names();
    let layout = match regions.as_slice() {
        [only] => KeyLayout::SingleKey {
            location: only.clone(),
        },
        _ => KeyLayout::KeyPerRegion,
    };
    Ok(SetupRequest {
        cluster_id: id.to_string(),
        project: suggest_project(conn).await,
        key_project: None,
        service_account_id: format!("crdb-cmek-{}", id.suffix()),
        key_ring: "cockroachdb-cmek".into(),
        crypto_key: format!("crdb-{}", id.suffix()),
        layout,
        protection_level: ProtectionLevel::Software,
        rotation_period_days: Some(90.into()),
    })
}

/// The setup request that names what an ENABLED cluster uses now: its service account, and
/// its keys as one key or one key per region (`{key}-{region}`). Errors `FailedPrecondition`
/// (setup does not apply; rotate instead) when the keys in use cannot be named by one request
/// (several projects or key rings, per-region ids that do not share a base, or a cluster region
/// no key serves yet).
async fn in_use_request(
    conn: &Connection,
    id: &ClusterId,
    cluster: &Cluster,
    info: Option<&cmek_core::cockroach::CmekClusterInfo>,
) -> Result<SetupRequest> {
    let specs = crate::change_common::current_specs(info);
    let does_not_apply = || {
        Error::new(
            ErrorCode::FailedPrecondition,
            format!("CMEK is already enabled on {} with keys one setup request cannot name, so setup does not apply; to change its keys, rotate.", cluster.name),
        )
    };
    let first = specs.first().ok_or_else(does_not_apply)?;
    let name = CryptoKeyName::parse(&first.key_spec.uri)?;
    let (sa_id, sa_project) = first
        .key_spec
        .auth_principal
        .split_once('@')
        .and_then(|(a, d)| Some((a, d.strip_suffix(".iam.gserviceaccount.com")?)))
        .ok_or_else(does_not_apply)?;
    let ring = &name.key_ring;
    let same_ring = |n: &CryptoKeyName| {
        n.key_ring.project == ring.project && n.key_ring.key_ring == ring.key_ring
    };
    let mut names = Vec::new();
    for s in &specs {
        let n = CryptoKeyName::parse(&s.key_spec.uri)?;
        if !same_ring(&n) || s.key_spec.auth_principal != first.key_spec.auth_principal {
            return Err(does_not_apply());
        }
        names.push((s.region.clone(), n));
    }
    let covered: Vec<&str> = specs.iter().map(|s| s.region.as_str()).collect();
    if cluster
        .region_names()
        .iter()
        .any(|r| !covered.contains(&r.as_str()))
    {
        return Err(does_not_apply());
    }
    let one_key = names.iter().all(|(_, n)| n.to_string() == name.to_string());
    let (crypto_key, layout) = if one_key {
        (
            name.crypto_key.clone(),
            KeyLayout::SingleKey {
                location: ring.location.clone(),
            },
        )
    } else {
        let base = name
            .crypto_key
            .strip_suffix(&format!("-{}", first.region))
            .ok_or_else(does_not_apply)?
            .to_owned();
        let derived = names
            .iter()
            .all(|(r, n)| n.key_ring.location == *r && n.crypto_key == format!("{base}-{r}"));
        if !derived {
            return Err(does_not_apply());
        }
        (base, KeyLayout::KeyPerRegion)
    };
    let key = conn.google.kms.get_crypto_key(&name.to_string()).await?;
    Ok(SetupRequest {
        cluster_id: id.to_string(),
        project: sa_project.to_owned(),
        // Keys in another project than the service account: the separate key project (C12).
        key_project: (sa_project != ring.project).then(|| ring.project.clone()),
        service_account_id: sa_id.to_owned(),
        key_ring: ring.key_ring.clone(),
        crypto_key,
        layout,
        protection_level: match key.as_ref().map(|k| k.protection_level()) {
            Some("HSM") => ProtectionLevel::Hsm,
            _ => ProtectionLevel::Software,
        },
        rotation_period_days: key
            .and_then(|k| k.rotation_period)
            .and_then(|p| cmek_core::names::parse_duration_secs(&p))
            .map(|s| ((s / 86_400).max(1) as u32).into()),
    })
}

/// The first visible project where the identity may create service accounts and key rings,
/// else the first visible project (the plan's permission check will then say what is missing).
async fn suggest_project(conn: &Connection) -> String {
    const NEEDED: &[&str] = &["iam.serviceAccounts.create", "cloudkms.keyRings.create"];
    for project in &conn.info.projects {
        if let Ok(granted) = conn.google.crm.test_iam_permissions(project, NEEDED).await {
            if NEEDED.iter().all(|p| granted.iter().any(|g| g == p)) {
                return project.clone();
            }
        }
    }
    conn.info.projects.first().cloned().unwrap_or_default()
}

/// Checks every field of the request locally; the error names the field by its label and the
/// rule ([`crate::form::validate`]).
pub(crate) fn validate(req: &SetupRequest) -> Result<ClusterId> {
    crate::form::validate(req)
}

/// The keys a request asks for: resource name, location, regions served.
pub(crate) fn planned_keys(
    req: &SetupRequest,
    cluster: &Cluster,
) -> Result<Vec<(CryptoKeyName, Vec<String>)>> {
    let regions = cluster.region_names();
    let key = |location: &str, id: String| CryptoKeyName {
        key_ring: KeyRingName {
            project: req.keys_project().to_owned(),
            location: location.to_owned(),
            key_ring: req.key_ring.clone(),
        },
        crypto_key: id,
    };
    Ok(match &req.layout {
        KeyLayout::SingleKey { location } => {
            crate::form::location_serves(location, &regions)?;
            vec![(key(location, req.crypto_key.clone()), regions)]
        }
        KeyLayout::KeyPerRegion => crate::form::derived_key_ids(&req.crypto_key, &regions)?
            .into_iter()
            .zip(regions)
            .map(|(id, r)| (key(&r, id), vec![r]))
            .collect(),
    })
}

/// Reads the cluster and what exists, and lays out the steps. Errors: `InvalidInput` (a field),
/// `NotEligible` (plan/visibility/state/provider), or the read's own error.
pub async fn plan(conn: &Connection, request: SetupRequest) -> Result<Plan> {
    let id = validate(&request)?;
    let cluster = conn.cockroach.get_cluster(id.as_str()).await?;
    // The state machine first (issue 10): a revoked or revoking cluster is refused before
    // anything else is read (its running revocation would otherwise read as "not eligible").
    let cmek = match cluster.plan.as_str() {
        "ADVANCED" => conn.cockroach.get_cmek(id.as_str()).await?,
        _ => None,
    };
    lifecycle::require(cmek.as_ref(), CmekAction::Setup, &cluster.name)?;
    cluster.check_eligible()?;
    if cluster.cloud_provider != "GCP" {
        return Err(Error::new(
            ErrorCode::NotEligible,
            format!(
                "Cluster {} runs on {}; this setup creates Google Cloud keys.",
                cluster.name, cluster.cloud_provider
            ),
        ));
    }
    // Other keys than an ENABLED cluster uses: the plan is a rotation.
    if let Some(rotation) =
        crate::rotate::rotation_instead(conn, &request, &cluster, cmek.as_ref()).await?
    {
        return Ok(rotation);
    }
    let principal = cockroach_principal(&id, &cluster.account_id);
    let sa_email = service_account_email(&request.service_account_id, &request.project);
    let g = &conn.google;

    let sa = match g.iam.get_service_account(&request.project, &sa_email).await {
        Ok(sa) => sa,
        Err(e) if e.code == ErrorCode::ServiceDisabled => None,
        Err(e) => return Err(e),
    };
    let sa_policy = match &sa {
        Some(_) => g.iam.get_iam_policy(&request.project, &sa_email).await?,
        None => Policy::default(),
    };

    // Cloud KMS is needed where the keys live, IAM where the service account lives.
    let key_project = request.keys_project().to_owned();
    let mut disabled_apis = Vec::new();
    for (service, project) in [
        (SERVICE_KMS, key_project.as_str()),
        (SERVICE_IAM, request.project.as_str()),
    ] {
        match g.service_usage.get_service(project, service).await {
            Ok(svc) if svc.is_enabled() => {}
            Ok(_) => disabled_apis.push((service, project)),
            // Without serviceusage.services.get we cannot tell; the apply's permission check says so.
            Err(e) if e.code == ErrorCode::PermissionDenied => {}
            Err(e) => return Err(e),
        }
    }
    let mut warnings = vec!["CockroachDB's advanced security add-on cannot be checked through the API; if it is off, CockroachDB will refuse the key and the last step will say so.".to_owned()];
    for (service, project) in &disabled_apis {
        warnings.push(format!("{service} is disabled in {project}; applying enables it and waits for the operation (it can take a few minutes)."));
    }
    let (permissions_title, apis_title) = match request.separate_key_project() {
        Some(kp) => (
            format!(
                "Check your permissions in {} and in key project {kp}",
                request.project
            ),
            format!(
                "Enable the IAM API in {} and the Cloud KMS API in {kp}",
                request.project
            ),
        ),
        None => (
            "Check your permissions".to_owned(),
            "Enable the Cloud KMS and IAM APIs".to_owned(),
        ),
    };
    let mut steps = vec![
        step(
            StepKind::CheckPermissions,
            &permissions_title,
            &format!("projects/{}", request.project),
            false,
        ),
        step(
            StepKind::EnableApis,
            &apis_title,
            &format!("projects/{}", request.project),
            disabled_apis.is_empty(),
        ),
        step(
            StepKind::CreateServiceAccount,
            "Create the service account CockroachDB will act as",
            &sa_email,
            sa.is_some(),
        ),
        step(
            StepKind::GrantTokenCreator,
            "Let CockroachDB's principal impersonate it (Token Creator)",
            &sa_email,
            sa_policy.grants(ROLE_TOKEN_CREATOR, &service_account_member(&principal)),
        ),
    ];
    let token_creator = Grant::new(ROLE_TOKEN_CREATOR, service_account_member(&principal));
    let mut iam_changes = vec![change(&sa_email, &sa_policy, token_creator)];
    let kp = keys_plan::plan_keys(conn, planned_keys(&request, &cluster)?, &sa_email).await?;
    // The key project matters for the keys this setup creates; adopted keys are where they are.
    let offer_key_project = kp.offers_key_project();
    warnings.extend(kp.warnings);
    if let (Some(kp_id), true) = (request.separate_key_project(), offer_key_project) {
        warnings.push(format!("Key project {kp_id} does not yet separate duties, so the audit will still report C12 on the keys (see above): choose a key project no person owns, where whoever holds Cloud KMS Admin holds no encrypt/decrypt role."));
    }
    steps.extend(kp.create_steps);
    steps.extend(kp.grant_steps);
    iam_changes.extend(kp.iam_changes);
    let (keys, rings) = (kp.keys, kp.rings);
    if request.protection_level == ProtectionLevel::Hsm {
        warnings.push("HSM keys are billed per key version per month.".into());
    }

    let region_specs = region_specs(&keys, &sa_email);
    let enabled = cmek.as_ref().is_some_and(|c| c.status == "ENABLED");
    steps.push(step(
        StepKind::EnableCmek,
        "Ask CockroachDB to use the keys (enable CMEK)",
        id.as_str(),
        enabled,
    ));
    steps.push(step(
        StepKind::WaitForCmek,
        "Wait until every region is ENABLED",
        id.as_str(),
        enabled,
    ));

    let body = serde_json::to_string(&CmekSpecBody {
        region_specs: region_specs.clone(),
    })
    .unwrap_or_default();
    let next = next_rotation_time(request.rotation_days());
    let commands = gcloud::commands(&CommandInputs {
        request: &request,
        cockroach_principal: &principal,
        service_account_email: &sa_email,
        keys: &keys,
        next_rotation_time: next.as_deref(),
        cmek_body_json: &body,
    });
    Ok(Plan {
        plan_id: String::new(),
        digest: String::new(),
        change: PlanChange::Setup,
        request,
        cluster,
        cockroach_principal: principal,
        service_account_email: sa_email,
        service_account_exists: sa.is_some(),
        key_ring_names: rings,
        keys,
        steps,
        iam_changes,
        region_specs,
        commands,
        warnings,
        changes: 0,
        offer_key_project,
    })
}

pub(crate) fn step(kind: StepKind, title: &str, resource: &str, already_done: bool) -> PlanStep {
    let slug = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    PlanStep {
        id: format!("{slug}:{resource}"),
        kind,
        title: title.to_owned(),
        resource: resource.to_owned(),
        already_done,
    }
}

pub(crate) fn change(resource: &str, policy: &Policy, grant: Grant) -> PlannedIamChange {
    let before = policy.grants_list();
    let mut after_policy = policy.clone();
    after_policy.apply(std::slice::from_ref(&grant), &[]);
    PlannedIamChange {
        resource: resource.to_owned(),
        grant,
        before,
        after: after_policy.grants_list(),
    }
}

/// One region spec per cluster region, matched by name.
pub(crate) fn region_specs(keys: &[PlannedKey], sa_email: &str) -> Vec<CmekRegionSpec> {
    let mut specs: Vec<CmekRegionSpec> = keys
        .iter()
        .flat_map(|k| {
            k.regions.iter().map(|r| CmekRegionSpec {
                region: r.clone(),
                key_spec: CmekKeySpec {
                    key_type: "GCP_CLOUD_KMS".into(),
                    uri: k.name.clone(),
                    auth_principal: sa_email.to_owned(),
                },
            })
        })
        .collect();
    specs.sort_by(|a, b| a.region.cmp(&b.region));
    specs
}

/// `now + period`, RFC 3339 UTC, for `nextRotationTime` (always sent with `rotationPeriod`, B20).
pub(crate) fn next_rotation_time(days: Option<u32>) -> Option<String> {
    let days = days?;
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
    t.replace_nanosecond(0)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}
