//! The guided setup (API surface; the engine lands behind these signatures).

use cmek_core::plan::{ApplyEvent, ApplyResult, ClusterSummary, ConnectionInfo, Plan, SetupRequest};
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::{Error, Result, Secret};

/// Base URLs of the five services, each ending in `/`.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub kms: String,
    pub iam: String,
    pub serviceusage: String,
    pub crm: String,
    pub cockroach: String,
}

/// A signed-in set of clients.
pub struct Connection {
    pub info: ConnectionInfo,
}

impl Connection {
    /// Connects with a static Google access token and a CockroachDB API key (sandbox mode).
    pub async fn with_static_tokens(_endpoints: Endpoints, _google_token: Secret, _cockroach_key: Secret, _mode: cmek_core::plan::ConnectionMode) -> Result<Self> {
        Err(Error::internal("engine not wired yet"))
    }
}

pub async fn list_clusters(_conn: &Connection) -> Result<Vec<ClusterSummary>> {
    Err(Error::internal("engine not wired yet"))
}
pub async fn suggest_request(_conn: &Connection, _cluster_id: &str) -> Result<SetupRequest> {
    Err(Error::internal("engine not wired yet"))
}
pub async fn plan(_conn: &Connection, _request: SetupRequest) -> Result<Plan> {
    Err(Error::internal("engine not wired yet"))
}
pub async fn apply(_conn: &Connection, _plan: &Plan, _on_event: &(dyn Fn(ApplyEvent) + Send + Sync)) -> Result<ApplyResult> {
    Err(Error::internal("engine not wired yet"))
}
pub async fn cmek_status(_conn: &Connection, _cluster_id: &str) -> Result<CmekClusterInfo> {
    Err(Error::internal("engine not wired yet"))
}
