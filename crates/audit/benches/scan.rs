//! Audit scaling benchmark (issue #12), run by `scripts/bench.sh` (full) and by
//! `scripts/bench.sh --reduced` from the test command (small sizes, scaled-down quotas, no time
//! asserted, so it never rots).
//!
//! For 100 keys in 1 project, 1,000 in 10 and 10,000 in 50 (clean keys, 5 key rings per
//! project, one ENABLED version each), on the sandbox with 50 ms injected latency per call and
//! **production quotas** (Cloud KMS reads 300/min per project, gcp-apis.md §4; Cloud Asset
//! `searchAllResources` and `searchAllIamPolicies` 400/min each per consumer project,
//! cloud.google.com/asset-inventory/docs/quota — the sandbox enforces the latter itself), it
//! audits the organisation through the crawl and through the inventory path and prints one
//! markdown row per path: wall time, the path's own lower bound, their ratio, the calls made,
//! and the process's peak RSS.
//!
//! The lower bound is computed from the calls the path needed (counted by the sandbox), not
//! from the limiter: `calls ÷ quota` for the busiest quota bucket (the crawl: the project with
//! the most Cloud KMS calls at 300/min; the inventory path: the longer of its two searches at
//! 400/min) plus `latency × the longest chain of dependent calls` (the crawl: projects.search →
//! locations → key rings → keys → versions/IAM = 5; the inventory path: projects.search →
//! testIamPermissions → every page of the longer search, each needing the previous token).
//!
//! Env: `BENCH_REDUCED=1` (20 keys/1 project and 60/3, quotas 6,000/min, 5 ms latency).

use cmek_audit::{run_audit, AuditClients, AuditScope, InventoryMode, ScanOptions};
use cmek_core::Secret;
use cmek_gcp::{Google, GoogleEndpoints, GoogleHttp, StaticToken};
use cmek_sandbox::seed::GCP_ORGANIZATION;
use cmek_sandbox::{
    InventoryQuotas, Sandbox, SandboxConfig, SandboxHandle, DEFAULT_GOOGLE_MEMBER,
    DEFAULT_GOOGLE_TOKEN,
};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Setup {
    cases: &'static [(usize, usize)],
    latency: Duration,
    kms_per_min: u32,
    asset_per_min: u32,
}

const FULL: Setup = Setup {
    cases: &[(100, 1), (1_000, 10), (10_000, 50)],
    latency: Duration::from_millis(50),
    kms_per_min: 300,
    asset_per_min: 400,
};

const REDUCED: Setup = Setup {
    cases: &[(20, 1), (60, 3)],
    latency: Duration::from_millis(5),
    kms_per_min: 6_000,
    asset_per_min: 6_000,
};

fn main() {
    let setup = if std::env::var("BENCH_REDUCED").is_ok_and(|v| v == "1") {
        &REDUCED
    } else {
        &FULL
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| keys | projects | path | wall s | lower bound s | wall / bound | calls | peak RSS MiB |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|");
    let mut crawl_vs_inventory = Vec::new();
    for &(keys, projects) in setup.cases {
        let (crawl, inventory) = rt.block_on(case(setup, keys, projects));
        crawl_vs_inventory.push((keys, crawl / inventory));
    }
    for (keys, r) in crawl_vs_inventory {
        println!("inventory path vs crawl at {keys} keys: {r:.1}x faster");
    }
}

/// Peak resident set of this process (sandbox and audit together), MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn google(sb: &SandboxHandle) -> Google {
    let http = GoogleHttp::new(Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    )));
    Google::new(http, &GoogleEndpoints::single_server(&sb.base_url()))
}

/// Calls of the last run per (service, operation), and Cloud KMS calls per project.
fn calls_since(
    sb: &SandboxHandle,
    from: usize,
) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let (mut ops, mut kms) = (BTreeMap::new(), BTreeMap::new());
    for r in sb.requests().into_iter().skip(from) {
        *ops.entry(r.operation.clone()).or_default() += 1;
        if r.service == "kms" {
            let project = r.path.split('/').nth(3).unwrap_or_default().to_owned();
            *kms.entry(project).or_default() += 1;
        }
    }
    (ops, kms)
}

/// Runs both paths on one size; returns their wall times (s).
async fn case(setup: &Setup, keys: usize, projects: usize) -> (f64, f64) {
    let sb = Sandbox::start(
        SandboxConfig::for_tests()
            .without_seed()
            .with_spec_validation(false)
            .with_latency(setup.latency),
    )
    .await;
    sb.with_state(|s| {
        cmek_sandbox::seed_audit::seed_audit_scale(s, projects, keys / projects);
        s.add_binding_direct(
            GCP_ORGANIZATION,
            "roles/cloudasset.viewer",
            DEFAULT_GOOGLE_MEMBER,
        );
        let q = Some(setup.asset_per_min);
        s.set_inventory_quotas(InventoryQuotas {
            search_resources_per_project: q,
            search_policies_per_project: q,
            ..InventoryQuotas::PRODUCTION
        });
    });
    let google = google(&sb);
    let clients = AuditClients {
        google: &google,
        cockroach: None,
        identity: DEFAULT_GOOGLE_MEMBER,
    };
    let org = GCP_ORGANIZATION
        .trim_start_matches("organizations/")
        .to_owned();
    let options = |inventory| ScanOptions {
        scope: AuditScope::Organization(org.clone()),
        inventory,
        kms_reads_per_minute: setup.kms_per_min,
        asset_searches_per_minute: setup.asset_per_min,
        concurrency_per_project: 16,
        include_cockroach: false,
        ..ScanOptions::default()
    };
    let lat = setup.latency.as_secs_f64();
    let mut walls = Vec::new();
    for mode in [InventoryMode::Crawl, InventoryMode::Auto] {
        let from = sb.requests().len();
        let t = Instant::now();
        let report = run_audit(clients, &options(mode), &AtomicBool::new(false), &|_| {}).await;
        let wall = t.elapsed().as_secs_f64();
        assert_eq!(report.keys().count(), keys, "every key audited");
        assert!(report.projects.iter().all(|p| p.error.is_none()));
        assert_eq!(
            report.inventory_path.used,
            mode == InventoryMode::Auto,
            "{}",
            report.inventory_path.line()
        );
        let (ops, kms) = calls_since(&sb, from);
        let (path, calls, bound) = if mode == InventoryMode::Crawl {
            let busiest = kms.values().copied().max().unwrap_or(0) as f64;
            let bound = busiest / (f64::from(setup.kms_per_min) / 60.0) + lat * 5.0;
            ("crawl", kms.values().sum::<usize>(), bound)
        } else {
            let pages = ops
                .get("cloudasset.searchAllResources")
                .copied()
                .unwrap_or(0);
            let policy_pages = ops
                .get("cloudasset.searchAllIamPolicies")
                .copied()
                .unwrap_or(0);
            let chain = pages.max(policy_pages) as f64;
            let bound = chain / (f64::from(setup.asset_per_min) / 60.0) + lat * (2.0 + chain);
            ("inventory", pages + policy_pages, bound)
        };
        println!(
            "| {keys} | {projects} | {path} | {wall:.2} | {bound:.2} | {:.2} | {calls} | {:.0} |",
            wall / bound,
            peak_rss_mib()
        );
        walls.push(wall);
    }
    (walls[0], walls[1])
}
