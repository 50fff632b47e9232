//! The guided GCP CMEK setup for one CockroachDB Cloud cluster (cmek-procedure.md §4, §18.2).
//!
//! [`plan`] only reads: it validates the request, reads the cluster, derives CockroachDB's
//! principal, looks up what already exists and returns a [`Plan`] (resources, IAM before/after,
//! equivalent commands, warnings). [`apply`] executes a plan step by step, each as
//! check → act → verify, so a second run after success makes zero write calls and a run stopped
//! half-way resumes where it stopped. Progress goes to a caller-supplied sink; the engine knows
//! nothing of Tauri.
//!
//! After day one (issue 10): [`plan_rotation`] moves a cluster to new keys (`PUT …/cmek`) and
//! [`plan_add_region`] adds a region with its key (`PATCH /clusters/{id}`); both return a
//! [`Plan`] of their kind (`Plan::change`) that the same [`apply`] executes, and [`replan`]
//! re-plans any plan from its own request. Every plan and every apply first asks the CMEK state
//! machine (`cmek_core::lifecycle`), so nothing is written on a cluster whose status forbids it.

mod add_region;
mod apply;
mod aws;
mod change_common;
mod change_steps;
mod cmek_steps;
mod connection;
pub mod form;
mod gcp_steps;
mod keys_plan;
mod plan;
mod rotate;
mod separation;
mod wait;

pub use add_region::{plan_add_region, MAX_REGION_NODES};
pub use apply::{apply, ApplyControl};
pub use aws::{apply_aws, plan_aws, suggest_aws_request};
pub use change_common::allowed_actions;
/// The token [`ApplyControl::from_token`] takes (`cmek_retry`'s, from `tokio-util`).
pub use cmek_retry::CancellationToken;
pub use connection::{Connection, Endpoints, Timing};
pub use plan::{plan, suggest_request};
pub use rotate::{plan_rotation, suggest_rotation};

use cmek_core::change::PlanChange;
use cmek_core::plan::Plan;

use cmek_core::cockroach::{classify_status, CmekClusterInfo, StatusClass};
use cmek_core::plan::ClusterSummary;
use cmek_core::Result;

/// The fresh plan for what `plan` asked: setup from its request, a rotation or a new region
/// from theirs. The app core compares it with the reviewed plan before applying (held plans).
pub async fn replan(conn: &Connection, plan: &Plan) -> Result<Plan> {
    match &plan.change {
        PlanChange::Setup => self::plan(conn, plan.request.clone()).await,
        PlanChange::Rotation(r) => plan_rotation(conn, r.request.clone()).await,
        PlanChange::AddRegion(a) => plan_add_region(conn, a.request.clone()).await,
    }
}

/// Every cluster of the organisation, with why it is not eligible (if so) and its CMEK status.
pub async fn list_clusters(conn: &Connection) -> Result<Vec<ClusterSummary>> {
    let clusters = conn.cockroach.list_clusters().await?;
    let mut out = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        let mut reason = cluster.ineligibility();
        if !matches!(cluster.cloud_provider.as_str(), "GCP" | "AWS") && reason.is_none() {
            reason = Some(format!(
                "it runs on {}; guided setup covers Google Cloud and AWS clusters",
                cluster.cloud_provider
            ));
        }
        let (cmek_status, actions) = match conn.cockroach.get_cmek(&cluster.id).await {
            Ok(info) => (
                info.as_ref()
                    .map(|i| i.status.clone())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "DISABLED".to_owned()),
                change_common::actions_for(&cluster, info.as_ref()),
            ),
            Err(e) => {
                tracing::warn!(cluster = %cluster.id, code = ?e.code, "could not read CMEK status");
                ("UNKNOWN".to_owned(), change_common::unreadable(&e))
            }
        };
        out.push(ClusterSummary {
            cluster,
            ineligible_reason: reason,
            cmek_status,
            actions,
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
