//! Plans are held by the backend (issue 8): [`PlanStore`] keeps every plan it hands out under a
//! fresh id with a digest of what applying it would do, and [`plan_digest`] defines that digest.
//!
//! The window gets the plan to show, and sends back only its id; the command line writes the
//! plan (with id and digest) to a file and sends the file back. Either way, applying re-plans
//! from the stored request, and refuses when the fresh plan's digest differs from the reviewed
//! one (the world changed) or when a plan file's content no longer matches its own digest (the
//! file was edited). What runs is always the fresh plan, never a plan a caller sent.
//!
//! The digest covers the plan's *intent*: the request, the cluster's identity and regions,
//! CockroachDB's principal, the service account, every key (name, location, regions), every
//! step (id, kind, resource), every IAM grant and the CMEK region specs. It leaves out what
//! changes while a run makes progress (`already_done`, `exists`, bindings before/after,
//! warnings, the equivalent commands), so an interrupted apply resumes under the same id.
//!
//! Rotation and add-region plans (`Plan::change`, issue 10) are held the same way; their digest
//! also covers what was asked (the rotation or add-region request, the new node counts) and the
//! keys a rotation moves away from (so a rotation someone else made meanwhile refuses it), and an
//! add-region plan counts the new region among the cluster's regions whether or not it was
//! added yet. Re-planning goes through `cmek_setup::replan`, which plans each kind from its own
//! request.

use cmek_core::change::PlanChange;
use cmek_core::plan::Plan;
use cmek_core::{Error, ErrorCode, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Mutex;

/// At most this many plans are held; the oldest is forgotten first (one session reviews a
/// handful; the bound keeps a script in the window from growing memory without limit).
pub const MAX_HELD_PLANS: usize = 64;

/// `sha256:` and the hex SHA-256 of the canonical JSON of the plan's intent.
pub fn plan_digest(plan: &Plan) -> String {
    let mut intent = json!({
        "request": plan.request,
        "cluster": {
            "id": plan.cluster.id,
            "accountId": plan.cluster.account_id,
            "cloudProvider": plan.cluster.cloud_provider,
            "regions": target_regions(plan),
        },
        "cockroachPrincipal": plan.cockroach_principal,
        "serviceAccountEmail": plan.service_account_email,
        "keyRings": plan.key_ring_names,
        "keys": plan.keys.iter().map(|k| json!({
            "name": k.name, "location": k.location, "regions": k.regions,
        })).collect::<Vec<_>>(),
        "steps": plan.steps.iter().map(|s| json!({
            "id": s.id, "kind": s.kind, "resource": s.resource,
        })).collect::<Vec<_>>(),
        "iamChanges": plan.iam_changes.iter().map(|c| json!({
            "resource": c.resource, "grant": c.grant,
        })).collect::<Vec<_>>(),
        "regionSpecs": plan.region_specs,
    });
    // A rotation or a new region adds what was asked for (setup plans keep their digest).
    match &plan.change {
        PlanChange::Setup => {}
        PlanChange::Rotation(r) => {
            intent["change"] = json!({ "rotation": r.request, "from": r.from })
        }
        PlanChange::AddRegion(a) => {
            intent["change"] = json!({ "addRegion": a.request, "regionNodes": a.region_nodes })
        }
    }
    let mut canonical = String::new();
    write_canonical(&intent, &mut canonical);
    let hash = Sha256::digest(canonical.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The cluster's regions once the plan is applied: an added region counts whether or not it was
/// already added, so an add-region plan interrupted after its `PATCH` resumes under its id.
fn target_regions(plan: &Plan) -> Vec<String> {
    let mut regions = plan.cluster.region_names();
    if let PlanChange::AddRegion(a) = &plan.change {
        if !regions.contains(&a.request.region) {
            regions.push(a.request.region.clone());
            regions.sort();
        }
    }
    regions
}

/// JSON with object keys sorted at every level (independent of serde_json's map order).
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The plans handed out in this run, by id.
#[derive(Default)]
pub struct PlanStore {
    held: Mutex<Vec<Plan>>,
}

impl PlanStore {
    /// Gives `plan` a fresh id and its digest, keeps a copy, and returns it.
    pub fn hold(&self, mut plan: Plan) -> Plan {
        plan.plan_id = uuid::Uuid::new_v4().to_string();
        plan.changes = plan.count_changes();
        plan.digest = plan_digest(&plan);
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.len() >= MAX_HELD_PLANS {
            held.remove(0);
        }
        held.push(plan.clone());
        plan
    }

    /// The plan handed out as `plan_id`. Errors: `FAILED_PRECONDITION` when no such plan is
    /// held (never made, or made by an earlier run of the app).
    pub fn get(&self, plan_id: &str) -> Result<Plan> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.iter()
            .find(|p| p.plan_id == plan_id)
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::FailedPrecondition,
                    "This plan is not known to the app (it may be from an earlier run). Review the plan again, then apply.",
                )
            })
    }
}

/// Refuses a plan file whose content does not match its own digest (edited after planning).
pub fn check_file_integrity(plan: &Plan) -> Result<()> {
    if plan.digest.is_empty() || plan_digest(plan) != plan.digest {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            "The plan was changed after it was made (its content no longer matches its digest). Nothing was applied. Make a new plan and review it.",
        ));
    }
    Ok(())
}

/// Refuses when the fresh plan differs from the reviewed one, naming what changed.
pub fn check_unchanged(reviewed: &Plan, fresh: &Plan) -> Result<()> {
    if plan_digest(fresh) == reviewed.digest {
        return Ok(());
    }
    let mut what = Vec::new();
    if fresh.request != reviewed.request {
        what.push("the request");
    }
    if std::mem::discriminant(&fresh.change) != std::mem::discriminant(&reviewed.change) {
        what.push("the kind of change (setup, rotation or new region)");
    }
    if target_regions(fresh) != target_regions(reviewed)
        || fresh.cluster.account_id != reviewed.cluster.account_id
    {
        what.push("the cluster's regions or account");
    }
    if fresh.cockroach_principal != reviewed.cockroach_principal
        || fresh.service_account_email != reviewed.service_account_email
    {
        what.push("the principals");
    }
    if fresh
        .keys
        .iter()
        .map(|k| &k.name)
        .ne(reviewed.keys.iter().map(|k| &k.name))
    {
        what.push("the keys");
    }
    if fresh.iam_changes.len() != reviewed.iam_changes.len()
        || fresh
            .iam_changes
            .iter()
            .zip(&reviewed.iam_changes)
            .any(|(a, b)| a.grant != b.grant || a.resource != b.resource)
    {
        what.push("the IAM grants");
    }
    if fresh.region_specs != reviewed.region_specs {
        what.push("the CMEK region specs");
    }
    if fresh.steps.len() != reviewed.steps.len() {
        what.push("the steps");
    }
    let what = if what.is_empty() {
        "what applying would do".to_owned()
    } else {
        what.join(", ")
    };
    Err(Error::new(
        ErrorCode::FailedPrecondition,
        format!("The plan no longer matches what you reviewed ({what} changed). Nothing was applied. Review the new plan, then apply."),
    ))
}
