//! The inventory path (see [`crate::scope`]): the same project rows as the crawl
//! ([`crate::inventory`]), read from Cloud Asset Inventory in a few paged searches over the
//! whole scope instead of one Cloud KMS call per key ring, key, version list and policy.
//!
//! Reads: `searchAllResources` for `cloudkms.googleapis.com/KeyRing`, `CryptoKey` and
//! `CryptoKeyVersion` with the resource bodies (`versionedResources`: each exactly as Cloud KMS
//! returns it), and `searchAllIamPolicies` for keys, key rings, service accounts and projects.
//! Both are paced by their own quota (Cloud Asset: 400 per minute per consumer project each,
//! [`crate::ScanOptions::asset_searches_per_minute`]); pages of one search are a dependent chain
//! (each needs the previous token), the two searches and every scope run at once. The alerting
//! reads (A11, C13) are the crawl's, per project, run alongside the searches. A search that fails fails the whole path, and
//! the caller falls back to the crawl with the reason.

use crate::effective::{effective, flatten};
use crate::inventory::{cancelled, key_row, segment, Gate, Sink};
use crate::model::{KeyRingRow, PolicyLevel, ProjectRow, ScanEvent, ScanOptions};
use crate::scope::{AuditScope, InventoryMode, InventoryPath, ASSET_PERMISSIONS};
use cmek_core::iam::Policy;
use cmek_core::kms::{CryptoKey, CryptoKeyVersion, KeyRing};
use cmek_core::Error;
use cmek_gcp::asset::{IamPolicySearchResult, ResourceSearchResult};
use cmek_gcp::Google;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

const KEY_RING: &str = "cloudkms.googleapis.com/KeyRing";
const CRYPTO_KEY: &str = "cloudkms.googleapis.com/CryptoKey";
const VERSION: &str = "cloudkms.googleapis.com/CryptoKeyVersion";
const PROJECT: &str = "cloudresourcemanager.googleapis.com/Project";
const SERVICE_ACCOUNT: &str = "iam.googleapis.com/ServiceAccount";

/// The projects of an organisation or folder scope: `(project id, project number)` of every
/// active project whose parent is the scope (Resource Manager `projects.search`
/// `parent:{scope} state:ACTIVE`). Chosen projects are returned with an unknown number.
pub async fn resolve_projects(
    google: &Google,
    scope: &AuditScope,
    chosen: &[String],
) -> Result<Vec<(String, String)>, Error> {
    let Some(res) = scope.resource() else {
        let mut ids: Vec<String> = chosen.to_vec();
        ids.sort();
        ids.dedup();
        return Ok(ids.into_iter().map(|id| (id, String::new())).collect());
    };
    let found = google
        .crm
        .search_projects(&format!("parent:{res} state:ACTIVE"))
        .await?;
    let mut out: Vec<(String, String)> = found
        .into_iter()
        .map(|p| {
            let number = p.name.strip_prefix("projects/").unwrap_or("").to_owned();
            (p.project_id, number)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Whether the inventory path may run on `scopes`: `Err(reason)` naming the first scope and
/// permission missing, or the error testIamPermissions answered.
pub async fn check_permission(google: &Google, scopes: &[String]) -> Result<(), String> {
    for s in scopes {
        let held = google
            .crm
            .test_scope_permissions(s, &ASSET_PERMISSIONS)
            .await
            .map_err(|e| format!("testIamPermissions on {s} failed: {}", e.message))?;
        if let Some(missing) = ASSET_PERMISSIONS
            .iter()
            .find(|p| !held.iter().any(|h| h == *p))
        {
            return Err(format!(
                "the signed-in identity lacks {missing} on {s} (roles/cloudasset.viewer grants it); the crawl reads Cloud KMS directly instead"
            ));
        }
    }
    Ok(())
}

/// Everything the searches returned for one scope.
#[derive(Default)]
struct Found {
    resources: Vec<ResourceSearchResult>,
    policies: Vec<IamPolicySearchResult>,
}

/// Pages through both searches of one scope.
async fn search_scope(
    google: &Google,
    scope: &str,
    resources_gate: &Gate<'_>,
    policies_gate: &Gate<'_>,
) -> Result<Found, Error> {
    let asset = &google.asset;
    let resources = async {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = resources_gate
                .call(asset.search_all_resources(
                    scope,
                    &[KEY_RING, CRYPTO_KEY, VERSION],
                    token.as_deref(),
                ))
                .await?;
            out.extend(page.items);
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => return Ok::<_, Error>(out),
            }
        }
    };
    let policies = async {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = policies_gate
                .call(asset.search_all_iam_policies(
                    scope,
                    &[CRYPTO_KEY, KEY_RING, SERVICE_ACCOUNT, PROJECT],
                    token.as_deref(),
                ))
                .await?;
            out.extend(page.items);
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => return Ok::<_, Error>(out),
            }
        }
    };
    let (resources, policies) = tokio::join!(resources, policies);
    Ok(Found {
        resources: resources?,
        policies: policies?,
    })
}

/// The inventory read by both searches, by resource name.
#[derive(Default)]
struct Index {
    rings: BTreeMap<String, KeyRing>,
    keys: BTreeMap<String, CryptoKey>,
    versions: HashMap<String, Vec<CryptoKeyVersion>>,
    /// Relative resource name → policy; project policies under `projects/{id}`.
    policies: HashMap<String, Policy>,
}

fn parse<T: serde::de::DeserializeOwned>(r: &ResourceSearchResult) -> Option<T> {
    r.resource()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

impl Index {
    fn add(&mut self, found: Found, number_to_id: &HashMap<String, String>, scope_project: &str) {
        for r in &found.resources {
            match r.asset_type.as_str() {
                KEY_RING => {
                    if let Some(k) = parse::<KeyRing>(r) {
                        self.rings.insert(k.name.clone(), k);
                    }
                }
                CRYPTO_KEY => {
                    if let Some(k) = parse::<CryptoKey>(r) {
                        self.keys.insert(k.name.clone(), k);
                    }
                }
                VERSION => {
                    if let Some(v) = parse::<CryptoKeyVersion>(r) {
                        let key = v
                            .name
                            .split("/cryptoKeyVersions/")
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        self.versions.entry(key).or_default().push(v);
                    }
                }
                _ => {}
            }
        }
        for p in found.policies {
            let name = if p.asset_type == PROJECT {
                let number = p.relative_name().trim_start_matches("projects/");
                match number_to_id.get(number) {
                    Some(id) => format!("projects/{id}"),
                    None if !scope_project.is_empty() => format!("projects/{scope_project}"),
                    None => continue,
                }
            } else {
                p.relative_name().to_owned()
            };
            self.policies.insert(name, p.policy);
        }
    }

    fn bindings(&self, res: &str, level: PolicyLevel) -> Vec<crate::model::EffectiveBinding> {
        self.policies
            .get(res)
            .map(|p| flatten(p, level, res))
            .unwrap_or_default()
    }

    /// The project row the crawl would build for `project` (alerting and errors aside).
    fn project_row(&self, project: &str) -> ProjectRow {
        let prefix = format!("projects/{project}/");
        let project_res = format!("projects/{project}");
        let bindings = self.bindings(&project_res, PolicyLevel::Project);
        let mut rings: Vec<KeyRingRow> = Vec::new();
        let mut keys = Vec::new();
        for ring in self.rings.values().filter(|r| r.name.starts_with(&prefix)) {
            let ring_bindings = self.bindings(&ring.name, PolicyLevel::KeyRing);
            let key_prefix = format!("{}/cryptoKeys/", ring.name);
            let mut n = 0;
            for key in self.keys.range(key_prefix.clone()..).map(|(_, k)| k) {
                if !key.name.starts_with(&key_prefix) {
                    break;
                }
                n += 1;
                let versions = self.versions.get(&key.name).cloned().unwrap_or_default();
                let mut row = key_row(key, &ring.name, versions);
                let key_bindings = self.bindings(&key.name, PolicyLevel::Key);
                row.effective_bindings = effective(&key_bindings, &ring_bindings, &bindings);
                keys.push(row);
            }
            rings.push(KeyRingRow {
                name: ring.name.clone(),
                location: segment(&ring.name, 3),
                create_time: ring.create_time.clone(),
                keys: n,
            });
        }
        let mut locations: Vec<String> = rings.iter().map(|r| r.location.clone()).collect();
        locations.dedup();
        ProjectRow {
            project_id: project.to_owned(),
            locations,
            key_rings: rings,
            keys,
            bindings,
            ..Default::default()
        }
    }
}

/// Reads `projects` through Cloud Asset Inventory over `scope` and returns their rows in
/// `projects` order, with the Cloud Asset calls made; `Err(reason)` when a search failed.
pub async fn scan(
    google: &Google,
    scope: &AuditScope,
    projects: &[(String, String)],
    options: &ScanOptions,
    cancel: &AtomicBool,
    sink: Sink<'_>,
) -> Result<(Vec<ProjectRow>, u32), String> {
    let rate = options.asset_searches_per_minute;
    let resources_gate = Gate::new(rate, 1, cancel);
    let policies_gate = Gate::new(rate, 1, cancel);
    let scopes: Vec<(String, String)> = match scope.resource() {
        Some(r) => vec![(r, String::new())],
        None => projects
            .iter()
            .map(|(id, _)| (format!("projects/{id}"), id.clone()))
            .collect(),
    };
    let number_to_id: HashMap<String, String> = projects
        .iter()
        .filter(|(_, n)| !n.is_empty())
        .map(|(id, n)| (n.clone(), id.clone()))
        .collect();
    let searches = scopes
        .iter()
        .map(|(s, _)| search_scope(google, s, &resources_gate, &policies_gate));
    // The alerting reads (A11, C13) do not depend on the searches: they run alongside.
    let alerting = futures::future::join_all(
        projects
            .iter()
            .map(|(id, _)| crate::alerting::read_alerting(google, id, cancel)),
    );
    let (found, alerting) = tokio::join!(futures::future::join_all(searches), alerting);
    let calls =
        resources_gate.calls.load(Ordering::Relaxed) + policies_gate.calls.load(Ordering::Relaxed);
    if cancel.load(Ordering::Relaxed) {
        return Err(cancelled().message);
    }
    let mut index = Index::default();
    for (f, (s, project)) in found.into_iter().zip(&scopes) {
        let f = f.map_err(|e| format!("Cloud Asset Inventory answered on {s}: {}", e.message))?;
        index.add(f, &number_to_id, project);
    }
    let mut rows = Vec::with_capacity(projects.len());
    for ((id, _), alerting) in projects.iter().zip(alerting) {
        let mut row = index.project_row(id);
        row.alerting = Some(alerting);
        sink(ScanEvent::ProjectProgress {
            project: id.clone(),
            key_rings: row.key_rings.len() as u32,
            keys: row.keys.len() as u32,
            versions: row.keys.iter().map(|k| k.versions.len() as u32).sum(),
            policies: 0,
            kms_calls: 0,
        });
        sink(ScanEvent::ProjectFinished {
            project: id.clone(),
            keys: row.keys.len() as u32,
            error: None,
        });
        rows.push(row);
    }
    Ok((rows, calls))
}

/// The Google side of an audit: resolves the scope to projects, then reads them through the
/// inventory path when [`crate::ScanOptions::inventory`] allows it and the identity may, else
/// through the crawl. Sends `Started` with the resolved projects first.
pub(crate) async fn scan_google(
    google: &Google,
    options: &ScanOptions,
    cancel: &AtomicBool,
    sink: Sink<'_>,
) -> (Vec<ProjectRow>, InventoryPath) {
    let scope = &options.scope;
    let projects = match resolve_projects(google, scope, &options.projects).await {
        Ok(p) => p,
        Err(e) => {
            let what = scope.resource().unwrap_or_default();
            sink(ScanEvent::Started {
                projects: Vec::new(),
            });
            let path = InventoryPath {
                used: false,
                reason: format!("the projects of {what} could not be listed: {}", e.message),
                asset_calls: 0,
            };
            return (Vec::new(), path);
        }
    };
    sink(ScanEvent::Started {
        projects: projects.iter().map(|(id, _)| id.clone()).collect(),
    });
    let scopes: Vec<String> = match scope.resource() {
        Some(r) => vec![r],
        None => projects
            .iter()
            .map(|(id, _)| format!("projects/{id}"))
            .collect(),
    };
    let reason = match options.inventory {
        InventoryMode::Crawl => "the crawl was chosen".to_owned(),
        InventoryMode::Auto if projects.is_empty() => "there is no project to scan".to_owned(),
        InventoryMode::Auto => match check_permission(google, &scopes).await {
            Err(reason) => reason,
            Ok(()) => match scan(google, scope, &projects, options, cancel, sink).await {
                Ok((rows, calls)) => {
                    let path = InventoryPath {
                        used: true,
                        reason: String::new(),
                        asset_calls: calls,
                    };
                    return (rows, path);
                }
                Err(reason) => reason,
            },
        },
    };
    tracing::info!(%reason, "audit falls back to the crawl");
    let rows = futures::future::join_all(
        projects
            .iter()
            .map(|(p, _)| crate::inventory::scan_project(google, p, options, cancel, sink)),
    )
    .await;
    let path = InventoryPath {
        used: false,
        reason,
        asset_calls: 0,
    };
    (rows, path)
}
