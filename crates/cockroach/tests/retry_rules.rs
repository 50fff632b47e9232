//! The CockroachDB client's retry rule against the sandbox over HTTP (which counts every
//! attempt): enable, update and revoke answered 500/502/504 or timing out are sent once; 429
//! and 503 are retried for every call; a GET answered 500 is retried.

use cmek_cockroach::{CockroachClient, Policy, WritePacer};
use cmek_core::cockroach::{CmekKeySpec, CmekRegionSpec};
use cmek_core::{ErrorCode, Result, Secret};
use cmek_sandbox::{
    seed, Fault, Sandbox, SandboxConfig, SandboxHandle, Stall, DEFAULT_COCKROACH_KEY,
};
use serde_json::json;
use std::time::Duration;

const ENABLE: &str = "CockroachCloud_EnableCMEKSpec";
const UPDATE: &str = "CockroachCloud_UpdateCMEKSpec";
const REVOKE: &str = "CockroachCloud_UpdateCMEKStatus";
const GET_CMEK: &str = "CockroachCloud_GetCMEKClusterInfo";

/// Short waits, no pacing: these tests count attempts.
fn client(sb: &SandboxHandle) -> CockroachClient {
    CockroachClient::new(
        &sb.endpoints().cockroach,
        Secret::new(DEFAULT_COCKROACH_KEY),
    )
    .with_retry_policy(
        cmek_retry::policy::HTTP_TRANSIENT
            .with_max_attempts(4)
            .with_min_delay(Duration::from_millis(20)),
    )
    .with_write_pacer(WritePacer::unlimited())
}

fn specs() -> Vec<CmekRegionSpec> {
    vec![CmekRegionSpec {
        region: "us-east4".into(),
        key_spec: CmekKeySpec {
            key_type: "GCP_CLOUD_KMS".into(),
            uri: seed::EXISTING_KEY.into(),
            auth_principal: format!(
                "crdb-cmek@{}.iam.gserviceaccount.com",
                seed::DEMO_PROJECT_ID
            ),
        },
    }]
}

fn fault(operation: &str, status: u16, times: u32, retry_after_secs: Option<u64>) -> Fault {
    Fault {
        operation: operation.into(),
        status,
        body: json!({"code": 14, "message": format!("Simulated {status}")}),
        times,
        retry_after_secs,
    }
}

fn attempts(sb: &SandboxHandle, operation: &str) -> Vec<u16> {
    sb.requests()
        .into_iter()
        .filter(|r| r.operation == operation)
        .map(|r| r.status)
        .collect()
}

/// Sends the write named by `operation` once through `c`.
async fn write(c: &CockroachClient, operation: &str) -> Result<()> {
    let id = seed::SINGLE_REGION_CLUSTER_ID;
    match operation {
        ENABLE => c.enable_cmek(id, &specs()).await.map(drop),
        UPDATE => c.update_cmek(id, &specs()).await.map(drop),
        _ => c.revoke_cmek(id).await.map(drop),
    }
}

#[tokio::test]
async fn an_enable_update_or_revoke_answered_500_502_or_504_is_sent_once() {
    for operation in [ENABLE, UPDATE, REVOKE] {
        for status in [500, 502, 504] {
            let sb = Sandbox::start(SandboxConfig::for_tests()).await;
            let c = client(&sb);
            sb.inject_fault(fault(operation, status, 10, None));
            let e = write(&c, operation).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::Unavailable, "{operation} {status}");
            assert_eq!(
                attempts(&sb, operation),
                vec![status],
                "{operation} answered {status} may have been applied: sent once"
            );
            assert_eq!(c.write_calls(), 1);
        }
    }
}

#[tokio::test]
async fn an_enable_answered_503_or_429_is_retried_after_retry_after() {
    for status in [503, 429] {
        let sb = Sandbox::start(SandboxConfig::for_tests()).await;
        let c = client(&sb);
        sb.inject_fault(fault(ENABLE, status, 1, Some(1)));
        let start = std::time::Instant::now();
        // The sandbox then judges the request on its merits (200, or 400 while IAM is not
        // set up); either way it was sent a second time, no sooner than Retry-After.
        let _ = write(&c, ENABLE).await;
        let seen = attempts(&sb, ENABLE);
        assert_eq!(seen.len(), 2, "{status}: {seen:?}");
        assert_eq!(seen[0], status);
        assert!(start.elapsed() >= Duration::from_secs(1), "{status}");
    }
}

#[tokio::test]
async fn a_get_answered_500_is_retried() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let c = client(&sb);
    sb.inject_fault(fault(GET_CMEK, 500, 1, None));
    c.get_cmek(seed::SINGLE_REGION_CLUSTER_ID).await.unwrap();
    assert_eq!(attempts(&sb, GET_CMEK), vec![500, 404]);
}

#[tokio::test]
async fn a_time_out_on_enable_is_not_retried_but_one_on_a_get_is() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let c = client(&sb).with_timeout(Duration::from_millis(300));
    sb.inject_stall(Stall {
        operation: ENABLE.into(),
        delay: Duration::from_secs(3),
        times: 1,
    });
    let e = write(&c, ENABLE).await.unwrap_err();
    assert!(e.is_transport(), "{e:?}");
    assert_eq!(attempts(&sb, ENABLE).len(), 1, "sent exactly once");

    sb.inject_stall(Stall {
        operation: GET_CMEK.into(),
        delay: Duration::from_secs(3),
        times: 1,
    });
    c.get_cmek(seed::SINGLE_REGION_CLUSTER_ID).await.unwrap();
    assert_eq!(attempts(&sb, GET_CMEK).len(), 2);
}

#[tokio::test]
async fn cancelling_during_a_backoff_wait_returns_cancelled_promptly() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let token = cmek_cockroach::CancellationToken::new();
    let slow: Policy = cmek_retry::policy::HTTP_TRANSIENT.with_min_delay(Duration::from_secs(30));
    let c = client(&sb)
        .with_retry_policy(slow)
        .with_cancel(token.clone());
    sb.inject_fault(fault(GET_CMEK, 503, 100, None));
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let start = std::time::Instant::now();
    let e = c
        .get_cmek(seed::SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(attempts(&sb, GET_CMEK), vec![503]);
}
