//! Planning a rotation to new keys (cmek-procedure §7, §11): the new key ring(s) and key(s)
//! (or existing keys chosen by name, adopted), the Encrypter/Decrypter grant of the service
//! account CockroachDB already acts as, and `PUT /api/v1/clusters/{id}/cmek` with the regions
//! whose key changes. The old keys are kept: CockroachDB lists them in `key_infos` and still
//! needs them to decrypt. Reads only; applying is the common engine (`crate::apply`).
//!
//! A rotation plan keeps the setup plan's shape (`Plan` with `change: Rotation`): its
//! `region_specs` are the target of every region, and the `PUT` step sends, at apply time, only
//! the regions not yet on their target, so an interrupted rotation resumes under the same plan.

use crate::change_common::{
    account_id, apis_step, auth_principal, commands, current_specs, keep_old_keys,
    permissions_step, read_cluster, settled_on,
};
use crate::connection::Connection;
use crate::keys_plan::plan_keys;
use crate::plan::{planned_keys, region_specs, step};
use cmek_core::change::{PlanChange, RotationChange, RotationRequest};
use cmek_core::cockroach::{Cluster, CmekClusterInfo, CmekRegionSpec, CmekSpecBody};
use cmek_core::lifecycle::{self, CmekAction, CmekPhase};
use cmek_core::names::{cockroach_principal, service_account_email, ClusterId, CryptoKeyName};
use cmek_core::plan::{KeyLayout, Plan, ProtectionLevel, SetupRequest, StepKind};
use cmek_core::{Error, ErrorCode, Result};

/// A rotation request for `cluster_id`: the current key's project and key ring, a new key id
/// stamped with today's date (`{current id}-{yyyymmdd}`), the current layout, protection level
/// and rotation period.
pub async fn suggest_rotation(conn: &Connection, cluster_id: &str) -> Result<RotationRequest> {
    let id = ClusterId::parse(cluster_id)?;
    let (cluster, info) = read_cluster(conn, id.as_str()).await?;
    if CmekPhase::of(info.as_ref()) != CmekPhase::Rotating {
        lifecycle::require(info.as_ref(), CmekAction::Rotate, &cluster.name)?;
    }
    let current = current_specs(info.as_ref());
    let first = current.first().ok_or_else(|| {
        Error::new(
            ErrorCode::FailedPrecondition,
            format!("CMEK is not enabled on {}; set it up first.", cluster.name),
        )
    })?;
    let name = CryptoKeyName::parse(&first.key_spec.uri)?;
    let key = conn.google.kms.get_crypto_key(&name.to_string()).await?;
    let base = name
        .crypto_key
        .strip_suffix(&format!("-{}", first.region))
        .unwrap_or(&name.crypto_key);
    let today = time::OffsetDateTime::now_utc().date();
    let stamp = format!(
        "{:04}{:02}{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    Ok(RotationRequest {
        cluster_id: id.to_string(),
        project: name.key_ring.project.clone(),
        key_ring: name.key_ring.key_ring.clone(),
        crypto_key: format!("{base}-{stamp}"),
        // The current layout, unless a cluster region has no key yet (e.g. a region added
        // without one): then a key per region, so the new keys serve every region (issue #11).
        layout: {
            let served: Vec<&str> = current.iter().map(|s| s.region.as_str()).collect();
            let all = cluster
                .region_names()
                .iter()
                .all(|r| served.contains(&r.as_str()));
            (!all).then_some(KeyLayout::KeyPerRegion)
        },
        protection_level: match key.as_ref().map(|k| k.protection_level()) {
            Some("HSM") => ProtectionLevel::Hsm,
            _ => ProtectionLevel::Software,
        },
        rotation_period_days: key
            .and_then(|k| k.rotation_period)
            .and_then(|p| cmek_core::names::parse_duration_secs(&p))
            .map(|s| ((s / 86_400) as u32).into())
            .or(Some(90.into())),
    })
}

fn validate(req: &RotationRequest) -> Result<ClusterId> {
    let id = crate::form::cluster_id(&req.cluster_id)?;
    crate::form::project(&req.project)?;
    crate::form::key_ring(&req.key_ring)?;
    crate::form::crypto_key(&req.crypto_key)?;
    if let Some(KeyLayout::SingleKey { location }) = &req.layout {
        crate::form::location(location)?;
    }
    crate::form::rotation(req.rotation_period_days.as_ref())?;
    Ok(id)
}

/// The cluster's layout now: one key at its location when every region shares it, else one
/// key per region.
fn layout_now(current: &[CmekRegionSpec]) -> KeyLayout {
    let mut uris: Vec<&str> = current.iter().map(|s| s.key_spec.uri.as_str()).collect();
    uris.dedup();
    match uris.as_slice() {
        [one] => match CryptoKeyName::parse(one) {
            Ok(n) => KeyLayout::SingleKey {
                location: n.key_ring.location,
            },
            Err(_) => KeyLayout::KeyPerRegion,
        },
        _ => KeyLayout::KeyPerRegion,
    }
}

/// Plans moving `request.cluster_id` to the requested keys. Errors: `InvalidInput` (a field),
/// `FailedPrecondition` (the state machine refuses, e.g. REVOKED; or several service
/// accounts), `NotEligible` (not Google Cloud, or not eligible), or a read's error.
pub async fn plan_rotation(conn: &Connection, request: RotationRequest) -> Result<Plan> {
    let id = validate(&request)?;
    let (cluster, info) = read_cluster(conn, id.as_str()).await?;
    let phase = CmekPhase::of(info.as_ref());
    // ROTATING is allowed only to resume this very rotation (checked below, once the targets
    // are known); everything else is the state machine's call.
    if phase != CmekPhase::Rotating {
        lifecycle::require(info.as_ref(), CmekAction::Rotate, &cluster.name)?;
        cluster.check_eligible()?;
    }
    let current = current_specs(info.as_ref());
    let sa_email = auth_principal(&current, &cluster.name)?;
    let setup_request = SetupRequest {
        cluster_id: id.to_string(),
        project: request.project.clone(),
        key_project: None,
        service_account_id: account_id(&sa_email),
        key_ring: request.key_ring.clone(),
        crypto_key: request.crypto_key.clone(),
        layout: request
            .layout
            .clone()
            .unwrap_or_else(|| layout_now(&current)),
        protection_level: request.protection_level,
        rotation_period_days: request.rotation_period_days.clone(),
    };
    let kp = plan_keys(conn, planned_keys(&setup_request, &cluster)?, &sa_email).await?;
    let offer_key_project = kp.offers_key_project();
    let targets = region_specs(&kp.keys, &sa_email);
    let region_info = |r: &str| info.as_ref().and_then(|i| i.region(r));
    let (unchanged, changed): (Vec<&CmekRegionSpec>, Vec<&CmekRegionSpec>) = targets
        .iter()
        .partition(|t| settled_on(region_info(&t.region), &t.key_spec));
    if phase == CmekPhase::Rotating && !changed.is_empty() {
        lifecycle::require(info.as_ref(), CmekAction::Rotate, &cluster.name)?;
    }
    let changed_regions: Vec<String> = changed.iter().map(|s| s.region.clone()).collect();
    // The key each region moves away from: its newest spec other than the target. The same
    // before and after the PUT, so an interrupted rotation resumes under its digest, and a
    // rotation someone else made in between changes it.
    let from: Vec<CmekRegionSpec> = targets
        .iter()
        .filter_map(|t| {
            let k = region_info(&t.region)?
                .key_infos
                .iter()
                .filter(|k| k.spec.uri != t.key_spec.uri)
                .max_by(|a, b| a.created_at.cmp(&b.created_at))?;
            Some(CmekRegionSpec {
                region: t.region.clone(),
                key_spec: k.spec.clone(),
            })
        })
        .collect();
    let mut warnings = Vec::new();
    let mut old: Vec<String> = from.iter().map(|c| c.key_spec.uri.clone()).collect();
    old.sort();
    old.dedup();
    if !old.is_empty() {
        warnings.push(keep_old_keys(&old));
    }
    if changed.is_empty() && phase == CmekPhase::Enabled {
        warnings.push("Every region already uses these keys: there is nothing to rotate.".into());
    }
    let (apis, api_warnings) = apis_step(conn, &request.project).await?;
    warnings.extend(api_warnings);
    warnings.extend(kp.warnings);
    if request.protection_level == ProtectionLevel::Hsm {
        warnings.push("HSM keys are billed per key version per month.".into());
    }
    let mut steps = vec![permissions_step(&request.project), apis];
    steps.extend(kp.create_steps);
    steps.extend(kp.grant_steps);
    steps.push(step(
        StepKind::UpdateCmek,
        "Ask CockroachDB to use the new keys (rotate)",
        id.as_str(),
        changed.is_empty(),
    ));
    steps.push(step(
        StepKind::WaitForCmek,
        "Wait until every region is ENABLED on its new key",
        id.as_str(),
        changed.is_empty() && phase == CmekPhase::Enabled,
    ));
    let body = serde_json::to_value(CmekSpecBody {
        region_specs: changed.iter().map(|s| (*s).clone()).collect(),
    })
    .unwrap_or_default();
    let commands = commands(
        &setup_request,
        &sa_email,
        &kp.keys,
        "PUT",
        &format!("api/v1/clusters/{id}/cmek"),
        &body,
    );
    let unchanged_regions = unchanged.iter().map(|s| s.region.clone()).collect();
    Ok(Plan {
        plan_id: String::new(),
        digest: String::new(),
        change: PlanChange::Rotation(RotationChange {
            request,
            from,
            changed_regions,
            unchanged_regions,
        }),
        request: setup_request,
        cockroach_principal: cockroach_principal(&id, &cluster.account_id),
        cluster,
        service_account_email: sa_email,
        service_account_exists: true,
        key_ring_names: kp.rings,
        keys: kp.keys,
        steps,
        iam_changes: kp.iam_changes,
        region_specs: targets,
        commands,
        warnings,
        changes: 0,
        // The fix for C12 on the new keys is the rotation's own project field (issue 11):
        // offered when a key the rotation creates would get it.
        offer_key_project,
    })
}

/// For a setup request on a cluster whose CMEK is ENABLED (or ENABLING) with other keys than
/// the request names: the rotation plan instead (ENABLED), or a refusal (ENABLING), decided
/// before anything is written. `None` when the setup plan stands.
pub(crate) async fn rotation_instead(
    conn: &Connection,
    request: &SetupRequest,
    cluster: &Cluster,
    info: Option<&CmekClusterInfo>,
) -> Result<Option<Plan>> {
    let phase = CmekPhase::of(info);
    if !matches!(phase, CmekPhase::Enabled | CmekPhase::Enabling) {
        return Ok(None);
    }
    let sa_email = service_account_email(&request.service_account_id, &request.project);
    let wanted = planned_keys(request, cluster)?;
    let current = current_specs(info);
    let target_of = |region: &str| {
        wanted
            .iter()
            .find(|(_, regions)| regions.iter().any(|r| r == region))
            .map(|(name, _)| name.to_string())
    };
    let other_keys = current
        .iter()
        .any(|c| target_of(&c.region).is_some_and(|t| t != c.key_spec.uri));
    if !other_keys {
        if let Some(c) = current
            .iter()
            .find(|c| c.key_spec.auth_principal != sa_email)
        {
            return Err(Error::new(ErrorCode::FailedPrecondition, format!(
                "CockroachDB already uses these keys on {} through {}, not {sa_email}; this app does not change the service account of a CMEK cluster.",
                cluster.name, c.key_spec.auth_principal
            )));
        }
        return Ok(None);
    }
    if phase == CmekPhase::Enabling {
        return Err(Error::new(ErrorCode::FailedPrecondition, format!(
            "CockroachDB is enabling other keys on {} now. Wait until every region is ENABLED (`cmek status CLUSTER --wait`); changing keys after that is a rotation.",
            cluster.name
        )));
    }
    let rotation = RotationRequest {
        cluster_id: request.cluster_id.clone(),
        project: request.keys_project().to_owned(),
        key_ring: request.key_ring.clone(),
        crypto_key: request.crypto_key.clone(),
        layout: Some(request.layout.clone()),
        protection_level: request.protection_level,
        rotation_period_days: request.rotation_period_days.clone(),
    };
    let mut plan = plan_rotation(conn, rotation).await?;
    let mut notes = vec![format!(
        "CMEK on {} is already ENABLED with other keys, so this plan is a rotation to the keys you named: nothing is written before you apply it.",
        cluster.name
    )];
    if plan.service_account_email != sa_email {
        notes.push(format!(
            "The rotation keeps the service account CockroachDB acts as now, {}; {sa_email} from the request is not used.",
            plan.service_account_email
        ));
    }
    plan.warnings.splice(0..0, notes);
    Ok(Some(plan))
}
