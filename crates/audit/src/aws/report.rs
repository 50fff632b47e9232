//! Adds the AWS side to a finished report: reads the [`AwsInventory`](super::AwsInventory),
//! replaces the "not evaluated" AWS rows by the evaluated findings (or by "could not evaluate"
//! naming the failed reads), and gives each AWS cluster its access graph.

use super::{checks, graph, inventory, AwsScan, AWS_ROWS};
use crate::checks::{ev, fail};
use crate::model::{AuditReport, FindingStatus};
use cmek_cockroach::CockroachClient;
use std::sync::atomic::AtomicBool;

/// Scans AWS and merges its findings and graphs into `report` (findings re-sorted by severity,
/// check id, resource, as [`crate::checks::run_all`] does). Does nothing (no AWS call) when no
/// region is asked for and no cluster names an AWS key.
pub async fn add(
    report: &mut AuditReport,
    aws: AwsScan<'_>,
    crdb: Option<&CockroachClient>,
    cancel: &AtomicBool,
) {
    if inventory::regions(aws.regions, &report.clusters).is_empty() {
        // No region asked for and no AWS cluster: nothing to read, the rows stay "not evaluated".
        return;
    }
    let inv = inventory::scan(aws, crdb, &report.clusters, cancel).await;
    report.clouds_audited.push("AWS".to_owned());
    report.findings.retain(|f| {
        !(f.status == FindingStatus::NotEvaluated && AWS_ROWS.contains(&f.check_id.as_str()))
    });
    report.findings.extend(checks::run(&inv, &report.clusters));
    if !inv.errors.is_empty() {
        let why: Vec<String> = inv.errors.iter().map(|e| e.message.clone()).collect();
        let why = format!("could not evaluate every AWS resource: {}", why.join("; "));
        for id in ["A02", "A05", "A09", "A10", "A12", "A13", "A14"] {
            report.findings.push(crate::model::Finding {
                status: FindingStatus::NotEvaluated,
                ..fail(id, "aws", None, why.clone(), vec![ev("reason", &why)])
            });
        }
    }
    report.findings.sort_by(|a, b| {
        (a.severity, &a.check_id, &a.resource).cmp(&(b.severity, &b.check_id, &b.resource))
    });
    for (i, c) in report.clusters.iter().enumerate() {
        let g = graph::access_graph(&inv, &report.findings, c);
        if g.edges.is_empty() {
            continue;
        }
        match report.access_graphs.get_mut(i) {
            Some(slot) if slot.cluster_id == c.id => *slot = g,
            _ => report.access_graphs.push(g),
        }
    }
}
