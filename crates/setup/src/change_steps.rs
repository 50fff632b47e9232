//! Applying rotation and add-region plans: the state-machine gate every apply passes before
//! its first step, the permission check on the keys, `PUT …/cmek` with the regions not yet on
//! their new key, and `PATCH /clusters/{id}` adding a region with its key. Each is check → act
//! → verify like the setup steps; the key steps and the final wait are setup's own.

use crate::apply::{Run, StepDone};
use crate::change_common::settled_on;
use crate::cmek_steps::send_while_iam_propagates;
use crate::connection::Connection;
use cmek_core::change::PlanChange;
use cmek_core::cockroach::{CmekClusterInfo, CmekRegionSpec};
use cmek_core::lifecycle::{self, CmekAction, CmekPhase};
use cmek_core::plan::{Plan, StepKind, StepOutcome};
use cmek_core::{Error, ErrorCode, Result};

/// True when every planned region already uses its planned spec (and CockroachDB accepted it).
fn all_settled(plan: &Plan, info: Option<&CmekClusterInfo>) -> bool {
    plan.region_specs
        .iter()
        .all(|s| settled_on(info.and_then(|i| i.region(&s.region)), &s.key_spec))
}

/// Asks the state machine before the first step of any apply (window, command line, resume
/// after a crash): refuses, with nothing written, an action the cluster's CMEK status forbids.
/// Resuming a change whose CockroachDB call already went through is allowed (its steps only
/// verify, then wait).
pub(crate) async fn gate(conn: &Connection, plan: &Plan) -> Result<()> {
    let id = plan.request.cluster_id.as_str();
    let info = conn.cockroach.get_cmek(id).await?;
    let name = &plan.cluster.name;
    match &plan.change {
        PlanChange::Setup => lifecycle::require(info.as_ref(), CmekAction::Setup, name),
        PlanChange::Rotation(_) => {
            let resuming = CmekPhase::of(info.as_ref()) == CmekPhase::Rotating
                && all_settled(plan, info.as_ref());
            match resuming {
                true => Ok(()),
                false => lifecycle::require(info.as_ref(), CmekAction::Rotate, name),
            }
        }
        PlanChange::AddRegion(_) => match all_settled(plan, info.as_ref()) {
            true => Ok(()),
            false => lifecycle::require(info.as_ref(), CmekAction::AddRegion, name),
        },
    }
}

/// Cloud KMS permissions a change needs at the project (key rings and keys to create) or on
/// each existing key (reading it and editing its IAM policy), and Service Usage when an API must
/// be enabled first. Names every missing permission before any write.
pub(crate) async fn check_permissions(run: &Run<'_>) -> Result<StepDone> {
    let g = &run.conn.google;
    let project = &run.plan.request.project;
    let enable_apis = run
        .plan
        .steps
        .iter()
        .any(|s| s.kind == StepKind::EnableApis && !s.already_done);
    let mut at_project: Vec<&str> = Vec::new();
    if enable_apis {
        at_project.extend(["serviceusage.services.get", "serviceusage.services.enable"]);
    }
    if run.plan.keys.iter().any(|k| !k.exists) {
        at_project.extend([
            "cloudkms.keyRings.create",
            "cloudkms.keyRings.get",
            "cloudkms.cryptoKeys.create",
            "cloudkms.cryptoKeys.get",
            "cloudkms.cryptoKeys.getIamPolicy",
            "cloudkms.cryptoKeys.setIamPolicy",
        ]);
    }
    let granted = g.crm.test_iam_permissions(project, &at_project).await?;
    let mut missing: Vec<String> = at_project
        .iter()
        .filter(|p| !granted.iter().any(|g| g == *p))
        .map(|p| format!("{p} on projects/{project}"))
        .collect();
    const ON_KEY: &[&str] = &[
        "cloudkms.cryptoKeys.get",
        "cloudkms.cryptoKeys.getIamPolicy",
        "cloudkms.cryptoKeys.setIamPolicy",
    ];
    for key in run.plan.keys.iter().filter(|k| k.exists) {
        let on_key = g.kms.test_iam_permissions(&key.name, ON_KEY).await?;
        missing.extend(
            ON_KEY
                .iter()
                .filter(|p| !on_key.iter().any(|x| x == *p))
                .map(|p| format!("{p} on {}", key.name)),
        );
    }
    if missing.is_empty() {
        return Ok((
            StepOutcome::Unchanged,
            format!(
                "{} holds every permission this change needs.",
                run.conn.info.google_identity
            ),
        ));
    }
    Err(Error::new(
        ErrorCode::PermissionDenied,
        format!(
        "{} is missing {} permission(s); nothing was changed: {}. Cloud KMS Admin carries them.",
        run.conn.info.google_identity, missing.len(), missing.join("; ")
    ),
    )
    .with_permission(missing[0].split(' ').next().unwrap_or_default().to_owned()))
}

/// `PUT /api/v1/clusters/{id}/cmek` with the planned regions not yet on their new key
/// (retrying while IAM propagates). Unchanged when every region is already on it.
pub(crate) async fn update_cmek(run: &Run<'_>) -> Result<StepDone> {
    let id = run.plan.request.cluster_id.as_str();
    let cr = &run.conn.cockroach;
    let info = cr.get_cmek(id).await?;
    let pending: Vec<CmekRegionSpec> = run
        .plan
        .region_specs
        .iter()
        .filter(|s| !settled_on(info.as_ref().and_then(|i| i.region(&s.region)), &s.key_spec))
        .cloned()
        .collect();
    if pending.is_empty() {
        return Ok((
            StepOutcome::Unchanged,
            "Every region already uses its new key.".into(),
        ));
    }
    lifecycle::require(info.as_ref(), CmekAction::Rotate, &run.plan.cluster.name)?;
    let regions: Vec<&str> = pending.iter().map(|s| s.region.as_str()).collect();
    let answer = send_while_iam_propagates(run, || cr.update_cmek(id, &pending)).await?;
    Ok((
        StepOutcome::Done,
        format!(
            "CockroachDB accepted the new key for {} (status {}).",
            regions.join(", "),
            answer.status
        ),
    ))
}

/// `PATCH /api/v1/clusters/{id}` with every region's node count and the new region's CMEK
/// spec (retrying while IAM propagates). Unchanged when the region is already there with it.
pub(crate) async fn add_region(run: &Run<'_>) -> Result<StepDone> {
    let id = run.plan.request.cluster_id.as_str();
    let PlanChange::AddRegion(change) = &run.plan.change else {
        return Err(Error::internal(
            "an add-region step in a plan of another kind",
        ));
    };
    let [spec] = run.plan.region_specs.as_slice() else {
        return Err(Error::internal("an add-region plan names one region spec"));
    };
    let cr = &run.conn.cockroach;
    let cluster = cr.get_cluster(id).await?;
    let info = cr.get_cmek(id).await?;
    let region_info = info.as_ref().and_then(|i| i.region(&spec.region));
    if cluster.regions.iter().any(|r| r.name == spec.region) {
        if settled_on(region_info, &spec.key_spec) {
            return Ok((
                StepOutcome::Unchanged,
                format!(
                    "{} is already a region of the cluster with its key.",
                    spec.region
                ),
            ));
        }
        return Err(Error::new(ErrorCode::FailedPrecondition, format!(
            "{} was added to {} by someone else, without this key. Nothing was sent; rotate that region to set its key.",
            spec.region, cluster.name
        )).with_resource(id.to_owned()));
    }
    lifecycle::require(info.as_ref(), CmekAction::AddRegion, &cluster.name)?;
    let nodes = change
        .region_nodes
        .get(&spec.region)
        .copied()
        .unwrap_or_default();
    let specs = std::slice::from_ref(spec);
    send_while_iam_propagates(run, || cr.add_region(id, &change.region_nodes, specs)).await?;
    Ok((
        StepOutcome::Done,
        format!(
            "CockroachDB is adding {} ({nodes} nodes) with its key.",
            spec.region
        ),
    ))
}
