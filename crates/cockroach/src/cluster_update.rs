//! `PATCH /api/v1/clusters/{id}` (`CockroachCloud_UpdateCluster`) for the one change CMEK Desk
//! makes to a cluster: adding a region to a CMEK cluster together with that region's key
//! (cmek-procedure §7, §9, §14). The body is `UpdateClusterSpecification` with only
//! `dedicated.region_nodes` (every region and its node count, the new one included) and
//! `dedicated.cmek_region_specs` (the new regions only: "If a CMEK spec is provided for an
//! existing region, the request is invalid and will fail").
//!
//! A plain write: sent once (429/503 retried after `Retry-After` like every call; never a 5xx
//! or a time-out, since the region may have been added), paced and observed like the CMEK calls.

use crate::CockroachClient;
use cmek_core::cockroach::{Cluster, ClusterUpdateBody, CmekRegionSpec, DedicatedUpdate};
use cmek_core::{Error, Result};
use reqwest::Method;
use std::collections::BTreeMap;

impl CockroachClient {
    /// `PATCH /api/v1/clusters/{id}` with `body`; answers the updated `Cluster`.
    pub async fn update_cluster(
        &self,
        cluster_id: &str,
        body: &ClusterUpdateBody,
    ) -> Result<Cluster> {
        let body = serde_json::to_value(body).map_err(|e| Error::internal(e.to_string()))?;
        self.send(
            Method::PATCH,
            &format!("api/v1/clusters/{cluster_id}"),
            Some(body),
        )
        .await
    }

    /// Adds regions to a CMEK cluster: `region_nodes` names every region of the cluster after
    /// the change (node counts, 1 to 150 per region) and `new_specs` holds one CMEK spec per
    /// added region.
    pub async fn add_region(
        &self,
        cluster_id: &str,
        region_nodes: &BTreeMap<String, i32>,
        new_specs: &[CmekRegionSpec],
    ) -> Result<Cluster> {
        let body = ClusterUpdateBody {
            dedicated: DedicatedUpdate {
                region_nodes: region_nodes.clone(),
                cmek_region_specs: new_specs.to_vec(),
            },
        };
        self.update_cluster(cluster_id, &body).await
    }
}
