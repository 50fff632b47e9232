//! Shared harness: a sandbox with the audit seed over HTTP on 127.0.0.1:0, clients for it, and
//! a helper that runs the audit and collects every progress event.
#![allow(dead_code)]

use cmek_audit::{run_audit, AuditClients, AuditReport, FindingStatus, ScanEvent, ScanOptions};
use cmek_cockroach::CockroachClient;
use cmek_core::Secret;
use cmek_gcp::{Google, GoogleEndpoints, GoogleHttp, StaticToken};
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use cmek_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER,
    DEFAULT_GOOGLE_TOKEN,
};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

pub struct Clients {
    pub google: Google,
    pub cockroach: CockroachClient,
}

pub fn clients(sb: &SandboxHandle) -> Clients {
    let e = sb.endpoints();
    let endpoints = GoogleEndpoints::single_server(&sb.base_url());
    let http = GoogleHttp::new(Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    )));
    Clients {
        google: Google::new(http, &endpoints),
        cockroach: CockroachClient::new(&e.cockroach, Secret::new(DEFAULT_COCKROACH_KEY)),
    }
}

pub async fn audit_sandbox() -> SandboxHandle {
    Sandbox::start(SandboxConfig::audit_demo()).await
}

pub fn options(projects: &[&str]) -> ScanOptions {
    ScanOptions {
        projects: projects.iter().map(|p| (*p).to_owned()).collect(),
        kms_reads_per_minute: 60_000,
        ..Default::default()
    }
}

/// Runs the audit over both audit projects (or `opts`) and returns the report and events.
pub async fn run(
    sb: &SandboxHandle,
    opts: ScanOptions,
    cancel: &AtomicBool,
    on_event: impl Fn(&ScanEvent) + Send + Sync,
) -> (AuditReport, Vec<ScanEvent>) {
    let c = clients(sb);
    let events = Mutex::new(Vec::new());
    let sink = |e: ScanEvent| {
        on_event(&e);
        events.lock().unwrap().push(e);
    };
    let clients = AuditClients {
        google: &c.google,
        cockroach: Some(&c.cockroach),
        identity: DEFAULT_GOOGLE_MEMBER,
    };
    let report = run_audit(clients, &opts, cancel, &sink).await;
    let ev = events.into_inner().unwrap();
    (report, ev)
}

pub async fn full_report(sb: &SandboxHandle) -> AuditReport {
    let (r, _) = run(
        sb,
        options(&[AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT]),
        &AtomicBool::new(false),
        |_| {},
    )
    .await;
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
    assert!(
        sb.spec_rejections().is_empty(),
        "{:#?}",
        sb.spec_rejections()
    );
    r
}

/// True when check `id` failed on `resource`.
pub fn fires(r: &AuditReport, id: &str, resource: &str) -> bool {
    r.findings
        .iter()
        .any(|f| f.check_id == id && f.resource == resource && f.status == FindingStatus::Fail)
}

pub fn crdb_key(id: &str) -> String {
    format!("projects/{AUDIT_KEYS_PROJECT}/locations/us-east4/keyRings/crdb-ring/cryptoKeys/{id}")
}

pub fn cluster_id(name: &str) -> &'static str {
    cmek_sandbox::seed_audit::CLUSTERS
        .iter()
        .find(|c| c.1 == name)
        .map(|c| c.0)
        .expect("cluster")
}
