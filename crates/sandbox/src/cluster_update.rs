//! `PATCH /api/v1/clusters/{id}` (`CockroachCloud_UpdateCluster`), simulated for the change CMEK
//! Desk makes: adding regions, with their CMEK specs when the cluster uses CMEK.
//!
//! Simulated as the spec and cmek-procedure §7/§14 describe it: `dedicated.region_nodes` names
//! the regions with their node counts and `dedicated.cmek_region_specs` holds the CMEK specs of
//! the newly added regions only ("If a CMEK spec is provided for an existing region, the request
//! is invalid and will fail"). On a CMEK cluster every added region needs a spec, which is
//! validated like `POST …/cmek` (key type, URI, location, principal) and checked against the IAM
//! chain at once (400 "Insufficient permissions" while grants propagate, as enable does). The
//! region is added to the cluster and its CMEK region starts `ENABLING`; it becomes `ENABLED`
//! only if the chain holds when the transition ends (`cmek::advance`), else `ENABLE_FAILED`.
//!
//! Not simulated (answered 400, saying so): removing regions, other fields of the update
//! (`hardware`, `region_machine_specs`, version upgrades, labels, …).

use serde_json::{json, Value};

use crate::cmek::{self, key_info};
use crate::cockroach::{access_check, check_advanced, cluster_regions, validate_specs};
use crate::errors::CError;
use crate::router::Req;
use crate::state::{CmekRegion, State};

/// Most nodes a region may ask for here (the Cloud Console's largest choice).
const MAX_NODES: i64 = 150;

/// Handles `CockroachCloud_UpdateCluster` for `cluster` (as stored).
pub(crate) fn update_cluster(state: &mut State, r: &Req, cluster: &Value) -> Result<Value, CError> {
    let id = cluster["id"].as_str().unwrap_or_default().to_string();
    let body = r.body.as_object().cloned().unwrap_or_default();
    if let Some(other) = body.keys().find(|k| *k != "dedicated") {
        return Err(CError::invalid(format!(
            "the sandbox simulates only adding regions (dedicated.region_nodes, dedicated.cmek_region_specs); {other} is not simulated"
        )));
    }
    let dedicated = body.get("dedicated").cloned().unwrap_or(json!({}));
    if let Some(other) = dedicated
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .find(|k| *k != "region_nodes" && *k != "cmek_region_specs")
    {
        return Err(CError::invalid(format!(
            "the sandbox simulates only adding regions; dedicated.{other} is not simulated"
        )));
    }
    check_advanced(cluster)?;
    let Some(nodes) = dedicated["region_nodes"]
        .as_object()
        .filter(|m| !m.is_empty())
    else {
        return Err(CError::invalid("dedicated.region_nodes is required"));
    };
    let mut counts = Vec::new();
    for (region, n) in nodes {
        match n.as_i64() {
            Some(n) if (1..=MAX_NODES).contains(&n) => counts.push((region.clone(), n)),
            _ => {
                return Err(CError::invalid(format!(
                    "dedicated.region_nodes[{region}] must be a node count from 1 to {MAX_NODES}"
                )))
            }
        }
    }
    let existing = cluster_regions(cluster);
    if let Some(gone) = existing.iter().find(|e| !nodes.contains_key(*e)) {
        return Err(CError::invalid(format!(
            "region_nodes must name every region of the cluster (missing {gone}); the sandbox does not simulate removing regions"
        )));
    }
    let added: Vec<String> = counts
        .iter()
        .map(|(r, _)| r.clone())
        .filter(|r| !existing.contains(r))
        .collect();
    let specs = dedicated["cmek_region_specs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cmek_on = state
        .cmek
        .get(&id)
        .is_some_and(|rs| rs.iter().any(|x| x.status != "DISABLED"));
    if !specs.is_empty() && !cmek_on {
        return Err(CError::invalid(format!(
            "CMEK is not enabled for cluster {id}; cmek_region_specs is only for CMEK clusters"
        )));
    }
    if let Some(old) = specs
        .iter()
        .filter_map(|s| s["region"].as_str())
        .find(|r| existing.iter().any(|e| e == r))
    {
        return Err(CError::invalid(format!(
            "a CMEK spec was provided for existing region {old}: cmek_region_specs may only name newly added regions (use PUT /api/v1/clusters/{id}/cmek to change an existing region's key)"
        )));
    }
    let validated = validate_specs(&specs, cluster, &added)?;
    if cmek_on {
        if let Some(missing) = added
            .iter()
            .find(|a| !validated.iter().any(|(r, _)| r == *a))
        {
            return Err(CError::invalid(format!(
                "missing CMEK region spec for new region {missing}; a CMEK cluster needs one for every region added"
            )));
        }
        let regions = state.cmek.get(&id).cloned().unwrap_or_default();
        if let Some(busy) = regions
            .iter()
            .find(|x| x.pending.is_some() || x.status == "REVOKED")
        {
            return Err(CError::failed_precondition(format!(
                "cannot add a region: CMEK region {} is {}",
                busy.region, busy.status
            )));
        }
        access_check(state, cluster, &validated)?;
    }
    let updated = apply_nodes(cluster, &counts);
    state.clusters.insert(id.clone(), updated.clone());
    if let Some(regions) = state.cmek.get_mut(&id) {
        for (region, ks) in validated {
            let mut reg = CmekRegion {
                region,
                status: String::new(),
                key_infos: vec![key_info(&ks, "ENABLING")],
                pending: None,
            };
            cmek::start(&mut reg, "ENABLING");
            regions.push(reg);
        }
    }
    Ok(crate::cockroach::render_cluster(state, &updated))
}

/// The cluster with node counts set and new regions added (shaped like its first region).
fn apply_nodes(cluster: &Value, counts: &[(String, i64)]) -> Value {
    let mut c = cluster.clone();
    let template = c["regions"][0].clone();
    let first = template["name"].as_str().unwrap_or_default().to_string();
    let regions = c["regions"].as_array_mut();
    let Some(regions) = regions else {
        return c;
    };
    for (name, n) in counts {
        match regions.iter_mut().find(|r| r["name"] == json!(name)) {
            Some(r) => r["node_count"] = json!(n),
            None => {
                let mut r = template.clone();
                for field in ["sql_dns", "ui_dns", "internal_dns"] {
                    if let Some(s) = r[field].as_str() {
                        r[field] = json!(s.replace(&first, name));
                    }
                }
                r["name"] = json!(name);
                r["node_count"] = json!(n);
                regions.push(r);
            }
        }
    }
    regions.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    c["updated_at"] = json!(crate::state::now_rfc3339());
    c
}
