//! Shared harness: a fresh sandbox over HTTP on 127.0.0.1:0 and a connection to it with short
//! waits. Every test gets its own sandbox, so tests are independent.
#![allow(dead_code)]

use cmek_core::plan::{ApplyEvent, ApplyResult, ConnectionMode, KeyLayout, Plan, SetupRequest};
use cmek_core::{Result, Secret};
use cmek_gcp::{GoogleEndpoints, StaticToken};
use cmek_sandbox::{
    seed, Sandbox, SandboxConfig, SandboxHandle, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER,
    DEFAULT_GOOGLE_TOKEN,
};
use cmek_setup::{ApplyControl, Connection, Timing};
use std::sync::{Arc, Mutex};

/// A sandbox that fails the test if any request or response it saw broke the API contracts
/// (discovery documents / OpenAPI spec, checked by the sandbox with `cmek-spec`).
pub struct Checked(pub SandboxHandle);

impl std::ops::Deref for Checked {
    type Target = SandboxHandle;
    fn deref(&self) -> &SandboxHandle {
        &self.0
    }
}

impl Drop for Checked {
    fn drop(&mut self) {
        let violations = self.0.spec_violations();
        let rejected = self.0.spec_rejections();
        if !std::thread::panicking() {
            assert!(
                violations.is_empty(),
                "the sandbox answered outside the spec: {violations:#?}"
            );
            assert!(
                rejected.is_empty(),
                "a request broke the spec: {rejected:#?}"
            );
        }
    }
}

pub async fn sandbox() -> Checked {
    start(SandboxConfig::for_tests()).await
}

pub async fn start(config: SandboxConfig) -> Checked {
    Checked(Sandbox::start(config).await)
}

pub async fn connect(sb: &SandboxHandle) -> Connection {
    connect_as(sb, DEFAULT_GOOGLE_TOKEN, DEFAULT_GOOGLE_MEMBER).await
}

pub async fn connect_as(sb: &SandboxHandle, token: &str, member: &str) -> Connection {
    let e = sb.endpoints();
    let google = GoogleEndpoints::single_server(&sb.base_url());
    let tokens = Arc::new(StaticToken::new(Secret::new(token), member));
    Connection::new(
        tokens,
        &google,
        &e.cockroach,
        Secret::new(DEFAULT_COCKROACH_KEY),
        ConnectionMode::Sandbox,
        Timing::fast(),
    )
    .await
    .expect("connect to sandbox")
}

/// The default request for the single-region cluster, in the demo project.
pub async fn single_region_request(conn: &Connection) -> SetupRequest {
    let mut r = cmek_setup::suggest_request(conn, seed::SINGLE_REGION_CLUSTER_ID)
        .await
        .expect("suggest");
    r.project = seed::DEMO_PROJECT_ID.into();
    r
}

pub async fn multi_region_request(conn: &Connection) -> SetupRequest {
    let mut r = cmek_setup::suggest_request(conn, seed::MULTI_REGION_CLUSTER_ID)
        .await
        .expect("suggest");
    r.project = seed::DEMO_PROJECT_ID.into();
    assert_eq!(r.layout, KeyLayout::KeyPerRegion);
    r
}

/// Applies and collects every event.
pub async fn apply(conn: &Connection, plan: &Plan) -> (Result<ApplyResult>, Vec<ApplyEvent>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: ApplyEvent| events.lock().unwrap().push(e)
    };
    let r = cmek_setup::apply(conn, plan, &ApplyControl::default(), &sink).await;
    let ev = events.lock().unwrap().clone();
    (r, ev)
}

pub async fn plan_and_apply(
    conn: &Connection,
    req: SetupRequest,
) -> (Result<ApplyResult>, Vec<ApplyEvent>) {
    let plan = cmek_setup::plan(conn, req).await.expect("plan");
    apply(conn, &plan).await
}

/// The outcome reported for the first step whose id starts with `prefix`.
pub fn outcome_of(events: &[ApplyEvent], prefix: &str) -> Option<cmek_core::plan::StepOutcome> {
    events.iter().find_map(|e| match e {
        ApplyEvent::StepFinished {
            step_id, outcome, ..
        } if step_id.starts_with(prefix) => Some(*outcome),
        _ => None,
    })
}

pub fn progress_messages(events: &[ApplyEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ApplyEvent::StepProgress { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub fn ops(sb: &SandboxHandle, op_suffix: &str) -> Vec<cmek_sandbox::RecordedRequest> {
    sb.requests()
        .into_iter()
        .filter(|r| r.operation.ends_with(op_suffix))
        .collect()
}

/// A fault that makes the next `times` calls of `operation` answer `status` with `body`
/// (no `Retry-After`), for `SandboxHandle::inject_fault`.
pub fn fault(
    operation: &str,
    status: u16,
    body: serde_json::Value,
    times: u32,
) -> cmek_sandbox::Fault {
    cmek_sandbox::Fault {
        operation: operation.into(),
        status,
        body,
        times,
        retry_after_secs: None,
    }
}

/// A fresh sandbox, a connection to it and the plan of [`single_region_request`].
pub async fn single_region_plan() -> (Checked, Connection, Plan) {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let plan = cmek_setup::plan(&conn, single_region_request(&conn).await)
        .await
        .unwrap();
    (sb, conn, plan)
}
