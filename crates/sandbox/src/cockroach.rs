//! CockroachDB Cloud API (`{base}/cockroach/api/v1/...`): organization, clusters and the four
//! CMEK endpoints (GET status, POST enable, PUT update/rotate, PATCH revoke); adding a region
//! (`PATCH /clusters/{id}`) is in `cluster_update.rs`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::cmek::{
    self, check_gcp_access, key_info, location_compatible, parse_key_uri, INSUFFICIENT_PERMISSIONS,
};
use crate::errors::CError;
use crate::router::Req;
use crate::state::{CmekRegion, State};

/// (operationId, is_write) for a CockroachDB Cloud request.
pub(crate) fn route(method: &str, segs: &[String]) -> Option<(String, bool)> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (op, w) = match (s.as_slice(), method) {
        (["api", "v1", "organization"], "GET") => ("GetOrganizationInfo", false),
        (["api", "v1", "clusters"], "GET") => ("ListClusters", false),
        (["api", "v1", "clusters", _], "GET") => ("GetCluster", false),
        (["api", "v1", "clusters", _], "PATCH") => ("UpdateCluster", true),
        (["api", "v1", "clusters", _, "cmek"], "GET") => ("GetCMEKClusterInfo", false),
        (["api", "v1", "clusters", _, "cmek"], "POST") => ("EnableCMEKSpec", true),
        (["api", "v1", "clusters", _, "cmek"], "PUT") => ("UpdateCMEKSpec", true),
        (["api", "v1", "clusters", _, "cmek"], "PATCH") => ("UpdateCMEKStatus", true),
        _ => return None,
    };
    Some((format!("CockroachCloud_{op}"), w))
}

/// A stored cluster with its live `operation_status`.
pub(crate) fn render_cluster(state: &State, c: &Value) -> Value {
    let mut c = c.clone();
    let id = c["id"].as_str().unwrap_or_default().to_string();
    c["operation_status"] = json!(cmek::operation_status(state.cmek.get(&id)));
    c
}

/// Handles a routed CockroachDB request.
pub(crate) fn handle(state: &mut State, r: &Req, op: &str) -> Result<Value, CError> {
    match op {
        "CockroachCloud_GetOrganizationInfo" => Ok(state.organization.clone()),
        "CockroachCloud_ListClusters" => {
            let ids: Vec<String> = state.clusters.keys().cloned().collect();
            for id in &ids {
                cmek::advance(state, id, false);
            }
            let mut all: Vec<Value> = state
                .clusters
                .values()
                .map(|c| render_cluster(state, c))
                .collect();
            all.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            let limit = r
                .q("pagination.limit")
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|l| *l > 0)
                .unwrap_or(100);
            let start = r
                .q("pagination.page")
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0);
            let n = all.len();
            let page: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
            let mut pagination = json!({});
            if start + limit < n {
                pagination["next_page"] = json!((start + limit).to_string());
            }
            if start > 0 {
                pagination["previous_page"] = json!(start.saturating_sub(limit).to_string());
            }
            Ok(json!({"clusters": page, "pagination": pagination}))
        }
        _ => {
            let id = r.segs[3].clone();
            let Some(cluster) = state.clusters.get(&id).cloned() else {
                return Err(CError::not_found(format!("cluster {id} not found")));
            };
            match op {
                "CockroachCloud_GetCluster" => {
                    cmek::advance(state, &id, false);
                    Ok(render_cluster(state, &cluster))
                }
                "CockroachCloud_GetCMEKClusterInfo" => {
                    cmek::advance(state, &id, true);
                    state.cmek_info(&id).ok_or_else(|| {
                        CError::not_found(format!("CMEK specification for cluster {id} not found"))
                    })
                }
                "CockroachCloud_EnableCMEKSpec" => enable(state, r, &cluster),
                "CockroachCloud_UpdateCMEKSpec" => update(state, r, &cluster),
                "CockroachCloud_UpdateCMEKStatus" => revoke(state, r, &id),
                "CockroachCloud_UpdateCluster" => {
                    cmek::advance(state, &id, false);
                    crate::cluster_update::update_cluster(state, r, &cluster)
                }
                _ => Err(CError::not_found(format!("operation {op} not found"))),
            }
        }
    }
}

pub(crate) fn cluster_regions(c: &Value) -> Vec<String> {
    c["regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str().map(String::from))
        .collect()
}

/// Refuses CMEK on a cluster whose plan is not ADVANCED.
pub(crate) fn check_advanced(cluster: &Value) -> Result<(), CError> {
    let plan = cluster["plan"].as_str().unwrap_or_default();
    if plan != "ADVANCED" {
        return Err(CError::failed_precondition(format!(
            "CMEK is only available for Advanced clusters; cluster {} is on the {plan} plan",
            cluster["name"].as_str().unwrap_or_default()
        )));
    }
    Ok(())
}

/// Validates `region_specs`; `all` requires one spec per cluster region. Returns (region, key_spec).
fn parse_specs(r: &Req, cluster: &Value, all: bool) -> Result<Vec<(String, Value)>, CError> {
    check_advanced(cluster)?;
    let Some(specs) = r
        .body
        .get("region_specs")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    else {
        return Err(CError::invalid(
            "region_specs is required and must not be empty",
        ));
    };
    let regions = cluster_regions(cluster);
    let out = validate_specs(specs, cluster, &regions)?;
    if all {
        if let Some(missing) = regions.iter().find(|r| !out.iter().any(|(x, _)| x == *r)) {
            return Err(CError::invalid(format!("missing CMEK region spec for cluster region {missing}; a spec is required for every region")));
        }
    }
    Ok(out)
}

/// Validates CMEK region specs whose regions must be among `regions` (no duplicates; key type,
/// URI, location and principal per provider). Returns (region, key_spec).
pub(crate) fn validate_specs(
    specs: &[Value],
    cluster: &Value,
    regions: &[String],
) -> Result<Vec<(String, Value)>, CError> {
    let provider = cluster["cloud_provider"].as_str().unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in specs {
        let region = s["region"].as_str().unwrap_or_default().to_string();
        if !regions.contains(&region) {
            return Err(CError::invalid(format!(
                "region {region:?} is not a region of cluster {}",
                cluster["id"].as_str().unwrap_or_default()
            )));
        }
        if !seen.insert(region.clone()) {
            return Err(CError::invalid(format!(
                "duplicate region spec for region {region}"
            )));
        }
        let ks = s.get("key_spec").cloned().unwrap_or(json!({}));
        let (ty, uri, ap) = (
            ks["type"].as_str().unwrap_or_default(),
            ks["uri"].as_str().unwrap_or_default(),
            ks["auth_principal"].as_str().unwrap_or_default(),
        );
        match (provider, ty) {
            ("GCP", "GCP_CLOUD_KMS") => {
                let Some((_, loc)) = parse_key_uri(uri) else {
                    return Err(CError::invalid(format!("invalid GCP key uri {uri:?}: expected projects/{{project}}/locations/{{location}}/keyRings/{{ring}}/cryptoKeys/{{key}} (without a version)")));
                };
                if !location_compatible(&loc, &region) {
                    return Err(CError::invalid(format!(
                        "key location {loc} cannot be used for cluster region {region}"
                    )));
                }
                if !ap.ends_with(".gserviceaccount.com") || !ap.contains('@') {
                    return Err(CError::invalid(format!(
                        "invalid auth_principal {ap:?}: expected a GCP service account email"
                    )));
                }
            }
            ("AWS", "AWS_KMS") => {
                if !uri.starts_with("arn:aws:kms:") || !ap.starts_with("arn:aws:iam::") {
                    return Err(CError::invalid("invalid AWS key spec: uri must be a KMS key ARN and auth_principal an IAM role ARN"));
                }
            }
            _ => {
                return Err(CError::invalid(format!(
                    "key type {ty:?} is not supported for a {provider} cluster"
                )))
            }
        }
        out.push((region, ks));
    }
    Ok(out)
}

pub(crate) fn access_check(
    state: &State,
    cluster: &Value,
    specs: &[(String, Value)],
) -> Result<(), CError> {
    if cluster["cloud_provider"] != "GCP" {
        return Ok(());
    }
    for (_, ks) in specs {
        if let Err(detail) = check_gcp_access(state, cluster, ks) {
            return Err(CError {
                http: 400,
                code: 3,
                message: INSUFFICIENT_PERMISSIONS.into(),
                details: vec![
                    json!({"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": detail}),
                ],
            });
        }
    }
    Ok(())
}

fn enable(state: &mut State, r: &Req, cluster: &Value) -> Result<Value, CError> {
    let id = cluster["id"].as_str().unwrap_or_default().to_string();
    if state
        .cmek
        .get(&id)
        .is_some_and(|rs| rs.iter().any(|r| r.status != "DISABLED"))
    {
        return Err(CError::invalid(format!(
            "CMEK is already enabled for cluster {id}; use PUT to update the CMEK spec"
        )));
    }
    let specs = parse_specs(r, cluster, true)?;
    access_check(state, cluster, &specs)?;
    let regions = specs
        .into_iter()
        .map(|(region, ks)| {
            let mut reg = CmekRegion {
                region,
                status: String::new(),
                key_infos: vec![key_info(&ks, "ENABLING")],
                pending: None,
            };
            cmek::start(&mut reg, "ENABLING");
            reg
        })
        .collect();
    state.cmek.insert(id.clone(), regions);
    state
        .cmek_info(&id)
        .ok_or_else(|| CError::not_found("cmek"))
}

fn update(state: &mut State, r: &Req, cluster: &Value) -> Result<Value, CError> {
    let id = cluster["id"].as_str().unwrap_or_default().to_string();
    if !state.cmek.contains_key(&id) {
        return enable(state, r, cluster);
    }
    let specs = parse_specs(r, cluster, false)?;
    access_check(state, cluster, &specs)?;
    let regions = state.cmek.get_mut(&id).expect("checked");
    if let Some(busy) = regions
        .iter()
        .find(|x| x.pending.is_some() || x.status == "REVOKED")
    {
        return Err(CError::failed_precondition(format!(
            "cannot update CMEK spec: region {} is {}",
            busy.region, busy.status
        )));
    }
    for (region, ks) in specs {
        let Some(reg) = regions.iter_mut().find(|x| x.region == region) else {
            continue;
        };
        reg.key_infos.push(key_info(&ks, "ROTATING"));
        cmek::start(reg, "ROTATING");
    }
    state
        .cmek_info(&id)
        .ok_or_else(|| CError::not_found("cmek"))
}

fn revoke(state: &mut State, r: &Req, id: &str) -> Result<Value, CError> {
    if r.body.get("action").and_then(Value::as_str) != Some("REVOKE") {
        return Err(CError::invalid("action must be REVOKE"));
    }
    let Some(regions) = state.cmek.get_mut(id) else {
        return Err(CError::failed_precondition(format!(
            "CMEK is not enabled for cluster {id}"
        )));
    };
    for reg in regions.iter_mut() {
        if let Some(i) = reg.key_infos.last_mut() {
            i["status"] = json!("REVOKING");
        }
        cmek::start(reg, "REVOKING");
    }
    state.cmek_info(id).ok_or_else(|| CError::not_found("cmek"))
}
