//! The CockroachDB side of the inventory: every cluster with its regions and
//! `GET /api/v1/clusters/{id}/cmek` (status, region infos, past key infos, user messages); the
//! service accounts named as GCP `auth_principal`s with their own IAM policy and their project's;
//! and the links from each key to the clusters and regions that use it now or used it before.

use crate::effective::flatten;
use crate::inventory::{cancelled, Sink};
use crate::model::{ClusterRow, KeyUse, PolicyLevel, ProjectRow, ScanEvent, ServiceAccountRow};
use cmek_cockroach::CockroachClient;
use cmek_core::{Error, ErrorCode};
use cmek_gcp::Google;
use futures::stream::{self, StreamExt};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

/// Calls in flight for CockroachDB and IAM reads.
const IN_FLIGHT: usize = 8;

/// Reads every cluster and its CMEK info. Returns rows (errors per row) and a list error.
pub(crate) async fn read_clusters(
    client: &CockroachClient,
    cancel: &AtomicBool,
    sink: Sink<'_>,
) -> (Vec<ClusterRow>, Option<Error>) {
    if cancel.load(Ordering::Relaxed) {
        return (Vec::new(), Some(cancelled()));
    }
    let clusters = match client.list_clusters().await {
        Ok(c) => c,
        Err(e) => {
            sink(ScanEvent::ClustersRead {
                clusters: 0,
                error: Some(e.clone()),
            });
            return (Vec::new(), Some(e));
        }
    };
    let mut rows: Vec<ClusterRow> = stream::iter(clusters)
        .map(|c| async move {
            let mut row = ClusterRow {
                regions: c.region_names(),
                id: c.id.clone(),
                name: c.name.clone(),
                cloud_provider: c.cloud_provider.clone(),
                account_id: c.account_id.clone(),
                plan: c.plan.clone(),
                cmek: None,
                error: None,
            };
            if cancel.load(Ordering::Relaxed) {
                row.error = Some(cancelled());
                return row;
            }
            match client.get_cmek(&c.id).await {
                Ok(info) => row.cmek = info,
                Err(e) => row.error = Some(e),
            }
            row
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    sink(ScanEvent::ClustersRead {
        clusters: rows.len() as u32,
        error: None,
    });
    (rows, None)
}

/// The project of a service-account email (`name@P.iam.gserviceaccount.com` → `P`), else `-`.
pub fn sa_project(email: &str) -> String {
    email
        .split_once('@')
        .and_then(|(_, d)| d.strip_suffix(".iam.gserviceaccount.com"))
        .unwrap_or("-")
        .to_owned()
}

/// Distinct GCP `auth_principal`s of every key info (current and past).
pub fn auth_principals(clusters: &[ClusterRow]) -> BTreeSet<String> {
    clusters
        .iter()
        .filter_map(|c| c.cmek.as_ref())
        .flat_map(|i| i.region_infos.iter())
        .flat_map(|r| r.key_infos.iter())
        .filter(|k| k.spec.key_type == "GCP_CLOUD_KMS" && !k.spec.auth_principal.is_empty())
        .map(|k| k.spec.auth_principal.clone())
        .collect()
}

/// Reads each service account, its IAM policy and its project's policy (reused from the scanned
/// projects when there).
pub(crate) async fn read_service_accounts(
    google: &Google,
    emails: BTreeSet<String>,
    projects: &[ProjectRow],
    cancel: &AtomicBool,
) -> Vec<ServiceAccountRow> {
    let mut rows: Vec<ServiceAccountRow> = stream::iter(emails)
        .map(|email| async move {
            let project = sa_project(&email);
            let mut row = ServiceAccountRow {
                email: email.clone(),
                project: project.clone(),
                ..Default::default()
            };
            if cancel.load(Ordering::Relaxed) {
                row.error = Some(cancelled());
                return row;
            }
            let (sa, policy) = tokio::join!(
                google.iam.get_service_account(&project, &email),
                google.iam.get_iam_policy(&project, &email)
            );
            match sa {
                Ok(Some(sa)) => {
                    row.exists = true;
                    row.disabled = sa.disabled;
                }
                Ok(None) => row.exists = false,
                Err(e) => row.error = Some(e),
            }
            match policy {
                Ok(p) => {
                    row.bindings = flatten(
                        &p,
                        PolicyLevel::ServiceAccount,
                        &format!("projects/{project}/serviceAccounts/{email}"),
                    )
                }
                Err(e) if e.code == ErrorCode::NotFound => row.exists = false,
                Err(e) => row.error = row.error.take().or(Some(e)),
            }
            match projects
                .iter()
                .find(|p| p.project_id == project && p.error.is_none())
            {
                Some(p) => row.project_bindings = p.bindings.clone(),
                None if project != "-" => match google.crm.get_iam_policy(&project).await {
                    Ok(p) => {
                        row.project_bindings =
                            flatten(&p, PolicyLevel::Project, &format!("projects/{project}"))
                    }
                    Err(e) => row.error = row.error.take().or(Some(e)),
                },
                None => {}
            }
            row
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    rows.sort_by(|a, b| a.email.cmp(&b.email));
    rows
}

/// Fills `used_by` of every key from every key info of every cluster region.
pub fn link_keys(projects: &mut [ProjectRow], clusters: &[ClusterRow]) {
    for key in projects.iter_mut().flat_map(|p| p.keys.iter_mut()) {
        key.used_by.clear();
        for c in clusters {
            let Some(info) = &c.cmek else { continue };
            for r in &info.region_infos {
                let current = r.current().map(|k| k.created_at.clone());
                for k in r
                    .key_infos
                    .iter()
                    .filter(|k| k.spec.uri.trim_end_matches('/') == key.name)
                {
                    key.used_by.push(KeyUse {
                        cluster_id: c.id.clone(),
                        cluster_name: c.name.clone(),
                        region: r.region.clone(),
                        current: current.as_deref() == Some(k.created_at.as_str()),
                        status: k.status.clone(),
                        auth_principal: k.spec.auth_principal.clone(),
                        created_at: k.created_at.clone(),
                    });
                }
            }
        }
    }
}
