//! Helpers of the after-day-one tests (rotation, add-region, the state machine): a cluster with
//! CMEK already enabled, revoked, and the write calls the sandbox saw.
#![allow(dead_code)]

use crate::common::*;
use cmek_core::cockroach::CmekClusterInfo;
use cmek_core::plan::{KeyLayout, SetupRequest};
use cmek_sandbox::SandboxHandle;
use cmek_setup::Connection;

/// Sets CMEK up with `req` and asserts every region ENABLED.
pub async fn enabled(conn: &Connection, req: SetupRequest) -> CmekClusterInfo {
    let (result, events) = plan_and_apply(conn, req).await;
    let result = result.unwrap_or_else(|e| panic!("setup failed: {e:?}\n{events:#?}"));
    assert_eq!(result.cmek.status, "ENABLED");
    result.cmek
}

/// prod-payments with one key in us-east4.
pub async fn prod_payments_enabled(conn: &Connection) -> (SetupRequest, CmekClusterInfo) {
    let req = single_region_request(conn).await;
    let info = enabled(conn, req.clone()).await;
    (req, info)
}

/// global-ledger with one key per region (europe-west4, us-east1, us-west2).
pub async fn global_ledger_enabled(conn: &Connection) -> (SetupRequest, CmekClusterInfo) {
    let req = multi_region_request(conn).await;
    let info = enabled(conn, req.clone()).await;
    (req, info)
}

/// global-ledger with one `global` key for every region.
pub async fn global_ledger_with_a_global_key(conn: &Connection) -> SetupRequest {
    let mut req = multi_region_request(conn).await;
    req.layout = KeyLayout::SingleKey {
        location: "global".into(),
    };
    enabled(conn, req.clone()).await;
    req
}

/// Sends REVOKE and, unless `settle` is false, polls until every region is REVOKED.
pub async fn revoke(conn: &Connection, cluster_id: &str, settle: bool) -> CmekClusterInfo {
    let mut info = conn.cockroach.revoke_cmek(cluster_id).await.unwrap();
    for _ in 0..20 {
        if !settle || info.region_infos.iter().all(|r| r.status == "REVOKED") {
            return info;
        }
        info = conn.cockroach.get_cmek(cluster_id).await.unwrap().unwrap();
    }
    panic!("never REVOKED: {info:#?}")
}

/// `(operation, body)` of every write the sandbox saw, oldest first.
pub fn writes(sb: &SandboxHandle) -> Vec<(String, serde_json::Value)> {
    sb.requests()
        .into_iter()
        .filter(|r| r.is_write)
        .map(|r| (r.operation, r.body))
        .collect()
}

/// The current spec URI of `region` in `info`.
pub fn uri_of(info: &CmekClusterInfo, region: &str) -> String {
    info.region(region)
        .and_then(|r| r.current())
        .map(|k| k.spec.uri.clone())
        .unwrap_or_default()
}
