//! Planning a new region for a CMEK cluster (cmek-procedure §7, §9, §14): the region's key is
//! provisioned (or adopted) and granted first, then one `PATCH /api/v1/clusters/{id}` carries
//! `dedicated.region_nodes` (every region, the new one included) and
//! `dedicated.cmek_region_specs` for the new region only; the new region then goes `ENABLING` →
//! `ENABLED`. Reads only; applying is the common engine (`crate::apply`).
//!
//! Which key serves the new region follows the cluster's layout: when every region shares one
//! key whose location covers the new region (`global`, or a multi-region containing it:
//! `cmek_core::names::location_serves_region`), that key is reused; otherwise the region gets
//! its own key in that region, in the current key's project and key ring, named
//! `{base}-{region}` like the keys setup creates one per region.

use crate::change_common::{
    account_id, apis_step, auth_principal, commands, current_specs, permissions_step, read_cluster,
    settled_on,
};
use crate::connection::Connection;
use crate::keys_plan::plan_keys;
use crate::plan::step;
use cmek_core::change::{AddRegionChange, AddRegionRequest, PlanChange};
use cmek_core::cockroach::{ClusterUpdateBody, CmekKeySpec, CmekRegionSpec, DedicatedUpdate};
use cmek_core::lifecycle::{self, CmekAction};
use cmek_core::names::{
    cockroach_principal, is_multi_region_location, location_serves_region, parse_duration_secs,
    validate_kms_id, validate_location, validate_project_id, ClusterId, CryptoKeyName, KeyRingName,
};
use cmek_core::plan::{KeyLayout, Plan, ProtectionLevel, SetupRequest, StepKind};
use cmek_core::{Error, Result};
use std::collections::BTreeMap;

/// Most nodes one region may be given (the Cloud Console's largest choice).
pub const MAX_REGION_NODES: i32 = 150;

/// The nodes as typed, 1 to [`MAX_REGION_NODES`]: `INVALID_INPUT` "Nodes: …" (resource
/// `node_count`) with the value as typed, never a serde error.
fn node_count(n: &cmek_core::input::NumberText) -> Result<i32> {
    let range = 1..=MAX_REGION_NODES as u64;
    n.whole("node_count", range).map(|n| n as i32)
}

fn validate(req: &AddRegionRequest) -> Result<ClusterId> {
    let id = ClusterId::parse(&req.cluster_id)?;
    validate_location("region", &req.region)?;
    if is_multi_region_location(&req.region) {
        return Err(Error::invalid_input(
            "region",
            "a cluster region is a single region such as europe-west1",
        ));
    }
    if let Some(n) = &req.node_count {
        node_count(n)?;
    }
    if let Some(p) = &req.project {
        validate_project_id("project", p)?;
    }
    if let Some(r) = &req.key_ring {
        validate_kms_id("key_ring", r)?;
    }
    if let Some(k) = &req.crypto_key {
        validate_kms_id("crypto_key", k)?;
    }
    Ok(id)
}

/// Plans adding `request.region` to a CMEK cluster. Errors: `InvalidInput` (a field, or a
/// region the cluster already has with another key), `FailedPrecondition` (the state machine
/// refuses, e.g. REVOKED or never enabled), `NotEligible`, or a read's error.
pub async fn plan_add_region(conn: &Connection, request: AddRegionRequest) -> Result<Plan> {
    let id = validate(&request)?;
    let (cluster, info) = read_cluster(conn, id.as_str()).await?;
    let region = request.region.clone();
    // Already in the cluster: only to resume this very change (checked once the key is known).
    let in_cluster = cluster.regions.iter().any(|r| r.name == region);
    if !in_cluster {
        lifecycle::require(info.as_ref(), CmekAction::AddRegion, &cluster.name)?;
        cluster.check_eligible()?;
    }
    let current: Vec<CmekRegionSpec> = current_specs(info.as_ref())
        .into_iter()
        .filter(|s| s.region != region)
        .collect();
    let sa_email = auth_principal(&current, &cluster.name)?;
    let template = CryptoKeyName::parse(&current[0].key_spec.uri)?;
    let mut uris: Vec<&str> = current.iter().map(|s| s.key_spec.uri.as_str()).collect();
    uris.dedup();
    let explicit =
        request.project.is_some() || request.key_ring.is_some() || request.crypto_key.is_some();
    let reuses_key = uris.len() == 1
        && !explicit
        && location_serves_region(&template.key_ring.location, &region) == Some(true);
    let key = if reuses_key {
        template.clone()
    } else {
        let base = template
            .crypto_key
            .strip_suffix(&format!("-{}", current[0].region))
            .unwrap_or(&template.crypto_key);
        CryptoKeyName {
            key_ring: KeyRingName {
                project: request
                    .project
                    .clone()
                    .unwrap_or_else(|| template.key_ring.project.clone()),
                location: region.clone(),
                key_ring: request
                    .key_ring
                    .clone()
                    .unwrap_or_else(|| template.key_ring.key_ring.clone()),
            },
            crypto_key: request
                .crypto_key
                .clone()
                .unwrap_or_else(|| format!("{base}-{region}")),
        }
    };
    validate_kms_id("crypto_key", &key.crypto_key)?;
    let target = CmekRegionSpec {
        region: region.clone(),
        key_spec: CmekKeySpec {
            key_type: "GCP_CLOUD_KMS".into(),
            uri: key.to_string(),
            auth_principal: sa_email.clone(),
        },
    };
    let region_info = info.as_ref().and_then(|i| i.region(&region));
    if in_cluster && !settled_on(region_info, &target.key_spec) {
        return Err(Error::invalid_input(
            "region",
            format!(
                "{region} is already a region of {}; to change its key, rotate",
                cluster.name
            ),
        ));
    }
    // New keys copy the protection level and rotation period of the key they sit beside.
    let like = conn
        .google
        .kms
        .get_crypto_key(&template.to_string())
        .await?;
    let setup_request = SetupRequest {
        cluster_id: id.to_string(),
        project: key.key_ring.project.clone(),
        key_project: None,
        service_account_id: account_id(&sa_email),
        key_ring: key.key_ring.key_ring.clone(),
        crypto_key: key.crypto_key.clone(),
        layout: KeyLayout::SingleKey {
            location: key.key_ring.location.clone(),
        },
        protection_level: match like.as_ref().map(|k| k.protection_level()) {
            Some("HSM") => ProtectionLevel::Hsm,
            _ => ProtectionLevel::Software,
        },
        rotation_period_days: like
            .and_then(|k| k.rotation_period)
            .and_then(|p| parse_duration_secs(&p))
            .map(|s| ((s / 86_400).max(1) as u32).into()),
    };
    let kp = plan_keys(conn, vec![(key.clone(), vec![region.clone()])], &sa_email).await?;
    let others: Vec<_> = cluster
        .regions
        .iter()
        .filter(|r| r.name != region)
        .collect();
    let nodes = request
        .node_count
        .as_ref()
        .and_then(|n| node_count(n).ok())
        .or_else(|| others.first().map(|r| r.node_count).filter(|n| *n > 0))
        .unwrap_or(3);
    let mut region_nodes: BTreeMap<String, i32> = others
        .iter()
        .map(|r| (r.name.clone(), r.node_count))
        .collect();
    region_nodes.insert(region.clone(), nodes);

    let mut warnings = vec![format!(
        "{} gets {nodes} node(s) in {region}; CockroachDB rebalances data onto them.",
        cluster.name
    )];
    warnings.push(if reuses_key {
        format!(
            "{key} already serves {region} (its location {} covers it): no new key.",
            key.key_ring.location
        )
    } else {
        format!("{region} gets its own key, {key}, in {region}.")
    });
    let (apis, api_warnings) = apis_step(conn, &key.key_ring.project).await?;
    warnings.extend(api_warnings);
    warnings.extend(kp.warnings);
    let mut steps = vec![permissions_step(&key.key_ring.project), apis];
    steps.extend(kp.create_steps);
    steps.extend(kp.grant_steps);
    steps.push(step(
        StepKind::AddRegion,
        &format!("Add {region} with its key ({nodes} nodes)"),
        id.as_str(),
        in_cluster,
    ));
    steps.push(step(
        StepKind::WaitForCmek,
        &format!("Wait until {region} is ENABLED"),
        id.as_str(),
        in_cluster && region_info.is_some_and(|r| r.status == "ENABLED"),
    ));
    let body = serde_json::to_value(ClusterUpdateBody {
        dedicated: DedicatedUpdate {
            region_nodes: region_nodes.clone(),
            cmek_region_specs: vec![target.clone()],
        },
    })
    .unwrap_or_default();
    let commands = commands(
        &setup_request,
        &sa_email,
        &kp.keys,
        "PATCH",
        &format!("api/v1/clusters/{id}"),
        &body,
    );
    Ok(Plan {
        plan_id: String::new(),
        digest: String::new(),
        change: PlanChange::AddRegion(AddRegionChange {
            request,
            region_nodes,
            reuses_key,
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
        region_specs: vec![target],
        commands,
        warnings,
        changes: 0,
        offer_key_project: false,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn nodes_as_typed_are_refused_by_label() {
        for (json, want) in [
            (
                "-5",
                "Nodes: -5 is negative; enter a whole number from 1 to 150",
            ),
            ("0.5", "Nodes: 0.5 is not a whole number"),
            ("\"three\"", "Nodes: three is not a whole number"),
            (
                "151",
                "Nodes: 151 is too large; enter a whole number from 1 to 150",
            ),
        ] {
            let typed = serde_json::from_str(json).expect("never a serde error");
            let e = super::node_count(&typed).unwrap_err();
            assert!(e.message.starts_with(want), "{json}: {}", e.message);
            assert_eq!(e.resource.as_deref(), Some("node_count"));
        }
        assert_eq!(super::node_count(&5u32.into()).ok(), Some(5));
    }
}
