//! The audit entry point: scan the inventory ([`crate::inventory`], [`crate::crdb`]), link keys
//! to clusters, run every check ([`crate::checks`]), draw each cluster's access graph
//! ([`crate::graph`]) and return one [`AuditReport`] stamped with the scan time (RFC 3339), the
//! signed-in identity and the app version.

use crate::checks::{self, Inputs};
use crate::crdb::{auth_principals, link_keys, read_clusters, read_service_accounts};
use crate::graph::access_graphs;
use crate::inventory::Sink;
use crate::model::{AuditReport, ScanEvent, ScanOptions, SCHEMA_VERSION};
use crate::time_util::rfc3339;
use cmek_cockroach::CockroachClient;
use cmek_gcp::Google;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use time::OffsetDateTime;

/// Version of this crate (= the app version; the workspace shares one version).
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the audit reads from.
#[derive(Clone, Copy)]
pub struct AuditClients<'a> {
    pub google: &'a Google,
    /// `None` skips the CockroachDB side (no key-to-cluster links, no C checks).
    pub cockroach: Option<&'a CockroachClient>,
    /// The signed-in Google identity (`user:…`), recorded in the report.
    pub identity: &'a str,
}

/// Runs the whole audit. Never fails as a whole: per-project errors are on their rows, the
/// CockroachDB error on [`AuditReport::cockroach_error`]; on cancel the partial report is
/// returned with `cancelled = true`. Without AWS: the AWS rows are "not evaluated".
pub async fn run_audit(
    clients: AuditClients<'_>,
    options: &ScanOptions,
    cancel: &AtomicBool,
    sink: Sink<'_>,
) -> AuditReport {
    run_audit_with_aws(clients, None, options, cancel, sink).await
}

/// [`run_audit`], plus the AWS side when `aws` is given ([`crate::aws`]: inventory, the AWS
/// rows A02 A05 A09 A10 A12 A13 A14 and C01-C03 C05 C06 for AWS clusters, AWS access graphs).
pub async fn run_audit_with_aws(
    clients: AuditClients<'_>,
    aws: Option<crate::aws::AwsScan<'_>>,
    options: &ScanOptions,
    cancel: &AtomicBool,
    sink: Sink<'_>,
) -> AuditReport {
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let google_side = crate::asset_path::scan_google(clients.google, options, cancel, sink);
    // The keys the clusters use are searched in KMS Inventory as soon as the clusters are read
    // (`crate::protected`), alongside the Google inventory, whichever path reads it.
    let crdb_side = async {
        let (clusters, error) = match clients.cockroach {
            Some(c) if options.include_cockroach => read_clusters(c, cancel, sink).await,
            _ => (Vec::new(), None),
        };
        let protected =
            crate::protected::for_clusters(clients.google, &options.scope, &clusters, cancel).await;
        (clusters, error, protected)
    };
    let ((mut project_rows, inventory_path), (clusters, cockroach_error, protected)) =
        tokio::join!(google_side, crdb_side);
    let service_accounts = read_service_accounts(
        clients.google,
        auth_principals(&clusters),
        &project_rows,
        cancel,
    )
    .await;
    link_keys(&mut project_rows, &clusters);
    crate::protected::attach(&mut project_rows, &protected);
    let inputs = Inputs {
        projects: &project_rows,
        service_accounts: &service_accounts,
        clusters: &clusters,
        now,
    };
    let findings = checks::run_all(&inputs);
    let drift = checks::day_two::drift(&inputs);
    let cancelled = cancel.load(Ordering::Relaxed);
    sink(ScanEvent::Finished {
        findings: findings.len() as u32,
        cancelled,
    });
    let mut report = AuditReport {
        schema_version: SCHEMA_VERSION,
        scan_time: rfc3339(now),
        identity: clients.identity.to_owned(),
        app_version: APP_VERSION.to_owned(),
        cancelled,
        duration_ms: started.elapsed().as_millis() as u64,
        projects: project_rows,
        service_accounts,
        clusters,
        cockroach_error,
        checks: checks::catalogue(),
        findings,
        access_graphs: Vec::new(),
        drift,
        inventory_path,
        clouds_audited: vec!["GCP".to_owned()],
        summary: Default::default(),
    };
    report.access_graphs = access_graphs(&report);
    if let Some(aws) = aws {
        crate::aws::report::add(&mut report, aws, clients.cockroach, cancel).await;
    }
    report.recount();
    report
}
