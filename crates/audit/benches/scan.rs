//! Benchmark (run with `cargo bench -p cmek-audit --bench scan`): audits 1,000 keys in 10
//! projects on the sandbox with injected latency, and reports in one run the wall time of the
//! bounded-concurrency scan against (a) the quota lower bound — the busiest project's Cloud KMS
//! calls divided by the per-project rate — and (b) a sequential scan (one call in flight, one
//! project at a time). Knobs (env): `BENCH_LATENCY_MS` (default 20), `BENCH_RATE_PER_MIN`
//! (default 6000; the production default is 300), `BENCH_CONCURRENCY` (default 16).

use cmek_audit::{run_audit, AuditClients, ScanOptions};
use cmek_cockroach::CockroachClient;
use cmek_core::Secret;
use cmek_gcp::{Google, GoogleEndpoints, GoogleHttp, StaticToken};
use cmek_sandbox::{
    Sandbox, SandboxConfig, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER, DEFAULT_GOOGLE_TOKEN,
};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let (projects, keys) = (10usize, 100usize);
    let latency = Duration::from_millis(env("BENCH_LATENCY_MS", 20));
    let rate = env("BENCH_RATE_PER_MIN", 6000) as u32;
    let concurrency = env("BENCH_CONCURRENCY", 16) as u32;
    let sb = Sandbox::start(
        SandboxConfig::for_tests()
            .with_spec_validation(false)
            .with_latency(latency),
    )
    .await;
    sb.with_state(|s| cmek_sandbox::seed_audit::seed_audit_scale(s, projects, keys));
    let e = sb.endpoints();
    let endpoints = GoogleEndpoints::single_server(&sb.base_url());
    let http = GoogleHttp::new(Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    )));
    let google = Google::new(http, &endpoints);
    let crdb = CockroachClient::new(&e.cockroach, Secret::new(DEFAULT_COCKROACH_KEY));
    let clients = AuditClients {
        google: &google,
        cockroach: Some(&crdb),
        identity: DEFAULT_GOOGLE_MEMBER,
    };
    let names: Vec<String> = (0..projects).map(|p| format!("bench-p{p}")).collect();
    let cancel = AtomicBool::new(false);

    let opts = ScanOptions {
        projects: names.clone(),
        kms_reads_per_minute: rate,
        concurrency_per_project: concurrency,
        include_cockroach: true,
        ..ScanOptions::default()
    };
    let t = Instant::now();
    let report = run_audit(clients, &opts, &cancel, &|_| {}).await;
    let fast = t.elapsed();
    let total_keys = report.keys().count();
    assert_eq!(total_keys, projects * keys, "all keys audited");
    assert!(report.projects.iter().all(|p| p.error.is_none()));
    let max_calls = report
        .projects
        .iter()
        .map(|p| p.kms_calls)
        .max()
        .unwrap_or(0);
    let burst = (rate / 60).max(1);
    let lower_bound = Duration::from_secs_f64(
        f64::from(max_calls.saturating_sub(burst)) * 60.0 / f64::from(rate),
    );

    let t = Instant::now();
    let seq_opts = ScanOptions {
        concurrency_per_project: 1,
        kms_reads_per_minute: u32::MAX / 2,
        ..opts.clone()
    };
    for p in &names {
        let one = ScanOptions {
            projects: vec![p.clone()],
            ..seq_opts.clone()
        };
        let r = run_audit(clients, &one, &cancel, &|_| {}).await;
        assert_eq!(r.keys().count(), keys);
    }
    let sequential = t.elapsed();

    println!("audit scan benchmark: {total_keys} keys in {projects} projects, sandbox latency {latency:?}/call");
    println!("  Cloud KMS calls per project (max): {max_calls}; rate {rate}/min/project (burst {burst}); concurrency {concurrency}/project");
    println!("  bounded-concurrency scan : {:>8.2} s", fast.as_secs_f64());
    println!(
        "  quota lower bound        : {:>8.2} s  (scan / bound = {:.2})",
        lower_bound.as_secs_f64(),
        fast.as_secs_f64() / lower_bound.as_secs_f64().max(1e-9)
    );
    println!(
        "  sequential scan          : {:>8.2} s  (speed-up {:.1}x)",
        sequential.as_secs_f64(),
        sequential.as_secs_f64() / fast.as_secs_f64()
    );
    println!("  findings: {}", report.findings.len());
}
