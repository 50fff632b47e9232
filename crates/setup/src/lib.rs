//! The guided GCP CMEK setup for one CockroachDB Cloud cluster (cmek-procedure.md §4, §18.2).
//!
//! [`plan`] only reads: it validates the request, reads the cluster, derives CockroachDB's
//! principal, looks up what already exists and returns a [`Plan`] (resources, IAM before/after,
//! equivalent commands, warnings). [`apply`] executes a plan step by step, each as
//! check → act → verify, so a second run after success makes zero write calls and a run stopped
//! half-way resumes where it stopped. Progress goes to a caller-supplied sink; the engine knows
//! nothing of Tauri.

mod apply;
mod cmek_steps;
mod connection;
mod gcp_steps;
mod plan;
mod wait;

pub use apply::{apply, ApplyControl};
/// The token [`ApplyControl::from_token`] takes (`cmek_retry`'s, from `tokio-util`).
pub use cmek_retry::CancellationToken;
pub use connection::{Connection, Endpoints, Timing};
pub use plan::{plan, suggest_request};

use cmek_core::cockroach::{classify_status, CmekClusterInfo, StatusClass};
use cmek_core::plan::ClusterSummary;
use cmek_core::Result;

/// Every cluster of the organisation, with why it is not eligible (if so) and its CMEK status.
pub async fn list_clusters(conn: &Connection) -> Result<Vec<ClusterSummary>> {
    let clusters = conn.cockroach.list_clusters().await?;
    let mut out = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        let mut reason = cluster.ineligibility();
        if cluster.cloud_provider != "GCP" && reason.is_none() {
            reason = Some(format!(
                "it runs on {}; guided setup covers Google Cloud clusters",
                cluster.cloud_provider
            ));
        }
        let cmek_status = match conn.cockroach.get_cmek(&cluster.id).await {
            Ok(Some(info)) if !info.status.is_empty() => info.status,
            Ok(_) => "DISABLED".to_owned(),
            Err(e) => {
                tracing::warn!(cluster = %cluster.id, code = ?e.code, "could not read CMEK status");
                "UNKNOWN".to_owned()
            }
        };
        out.push(ClusterSummary {
            cluster,
            ineligible_reason: reason,
            cmek_status,
        });
    }
    Ok(out)
}

/// The cluster's CMEK status as CockroachDB reports it (`DISABLED` with no regions if never enabled).
pub async fn cmek_status(conn: &Connection, cluster_id: &str) -> Result<CmekClusterInfo> {
    let id = cmek_core::names::ClusterId::parse(cluster_id)?;
    Ok(conn
        .cockroach
        .get_cmek(id.as_str())
        .await?
        .unwrap_or_else(|| CmekClusterInfo {
            status: "DISABLED".into(),
            region_infos: Vec::new(),
        }))
}

/// True when every region of `info` reached a terminal status.
pub fn is_settled(info: &CmekClusterInfo) -> bool {
    !info.region_infos.is_empty()
        && info
            .region_infos
            .iter()
            .all(|r| classify_status(&r.status) != StatusClass::InProgress)
}
