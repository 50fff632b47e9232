//! The AWS audit against the in-process sandbox over HTTP (issue #9): each AWS check fires on
//! its seeded misconfiguration and stays silent on its clean twin (seed table in
//! `cmek_sandbox::aws::seed`); without an AWS client the AWS rows stay "not applicable"; AWS
//! clusters get an access graph principal → role → key → region with real health; the exports
//! carry the AWS findings.

mod aws_rows;
mod common;

use cmek_audit::aws::AwsScan;
use cmek_audit::graph::{Health, NodeKind};
use cmek_audit::{run_audit_with_aws, AuditClients, AuditReport, FindingStatus, Severity};
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::Secret;
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AWS_CMEK_CLUSTER};
use cmek_sandbox::{AWS_AUDIT_ACCESS_KEY_ID, AWS_AUDIT_SECRET_ACCESS_KEY, DEFAULT_GOOGLE_MEMBER};
use common::*;
use std::sync::atomic::AtomicBool;

use cmek_sandbox::aws::seed::{
    AWS_C02_CLUSTER, AWS_C03_CLUSTER as C03_CLUSTER, AWS_C05_CLUSTER as C05_CLUSTER,
    AWS_C06_CLUSTER,
};

async fn aws_client(sb: &cmek_sandbox::SandboxHandle) -> AwsClient {
    let options = AwsOptions::new(AwsCredentials::AccessKeys {
        access_key_id: AWS_AUDIT_ACCESS_KEY_ID.to_owned(),
        secret_access_key: Secret::new(AWS_AUDIT_SECRET_ACCESS_KEY),
        session_token: None,
    })
    .with_endpoint(format!("{}/aws", sb.base_url()))
    .with_region("us-east-1");
    AwsClient::connect(options).await
}

async fn report(sb: &cmek_sandbox::SandboxHandle, aws: Option<&AwsClient>) -> AuditReport {
    let c = clients(sb);
    let regions = vec!["us-east-1".to_owned()];
    let clients = AuditClients {
        google: &c.google,
        cockroach: Some(&c.cockroach),
        identity: DEFAULT_GOOGLE_MEMBER,
    };
    let aws = aws.map(|client| AwsScan {
        client,
        regions: &regions,
    });
    run_audit_with_aws(
        clients,
        aws,
        &options(&[AUDIT_KEYS_PROJECT]),
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
}

#[tokio::test]
async fn every_aws_check_fires_on_its_case_and_stays_silent_on_its_twin() {
    let sb = audit_sandbox().await;
    let aws = aws_client(&sb).await;
    let r = report(&sb, Some(&aws)).await;
    let rows = aws_rows::rows(&aws).await;
    aws_rows::assert_rows(&r, &rows, "sandbox");
    let cluster = |id: &str| format!("clusters/{id}");
    let region = |id: &str| format!("clusters/{id}/regions/us-east-1");
    // A13 is information only (CockroachDB accepts multi-Region keys).
    assert!(r.findings_of("A13").all(|f| f.severity == Severity::Info));
    // C02 names the deadline to cancel the deletion; C06 both regions.
    let c02 = r
        .findings_of("C02")
        .find(|f| f.resource == region(AWS_C02_CLUSTER))
        .unwrap();
    assert!(c02
        .evidence
        .iter()
        .any(|e| e.field == "DeletionDate" && e.value != "<absent>"));
    let c06 = r
        .findings_of("C06")
        .find(|f| f.resource == region(AWS_C06_CLUSTER))
        .unwrap();
    assert!(c06.message.contains("us-west-2"), "{}", c06.message);
    // B29: the missing ExternalId is named.
    let c05 = r
        .findings_of("C05")
        .find(|f| f.resource == cluster(C05_CLUSTER))
        .unwrap();
    assert!(c05.message.contains("sts:ExternalId"), "{}", c05.message);
    // A09 shows the deletion date.
    let a09 = r.findings_of("A09").next().unwrap();
    assert!(a09
        .evidence
        .iter()
        .any(|e| e.field == "DeletionDate" && e.value != "<absent>"));
    // The clean CockroachDB setup triggers no AWS cluster row at all.
    for id in ["C01", "C02", "C03", "C05", "C06", "C07", "C08"] {
        assert!(
            !r.findings_of(id)
                .any(|f| f.resource.contains(AWS_CMEK_CLUSTER)),
            "{id} on the clean AWS cluster: {:#?}",
            r.findings_of(id).collect::<Vec<_>>()
        );
    }
    let aws_resource = |res: &str| {
        res.starts_with("arn:aws:") || aws_rows::AWS_CLUSTERS.iter().any(|c| res.contains(c))
    };
    // No "not applicable" AWS rows remain, and AWS findings cite only AWS sources.
    assert!(!r
        .findings
        .iter()
        .any(|f| f.status == FindingStatus::NotEvaluated
            && ["A02", "A05", "A12", "A13", "C05"].contains(&f.check_id.as_str())));
    for f in r.findings.iter().filter(|f| aws_resource(&f.resource)) {
        assert!(!f.remediation.contains("gcloud"), "{f:#?}");
        let cited = format!("{:?}", f.sources);
        assert!(!cited.contains("gcp") && !cited.contains("GCP"), "{f:#?}");
        assert!(f.sources.scc.is_empty(), "{f:#?}");
    }
}

#[tokio::test]
async fn without_an_aws_client_the_aws_rows_stay_not_applicable() {
    let sb = audit_sandbox().await;
    let r = report(&sb, None).await;
    for id in ["A02", "A05", "A12", "A13"] {
        assert!(
            r.findings_of(id)
                .all(|f| f.status == FindingStatus::NotEvaluated),
            "{id}"
        );
        assert!(r.findings_of(id).next().is_some(), "{id}");
    }
}

#[tokio::test]
async fn aws_clusters_get_an_access_graph_with_real_health_and_exports_carry_them() {
    let sb = audit_sandbox().await;
    let aws = aws_client(&sb).await;
    let r = report(&sb, Some(&aws)).await;
    let graph = |id: &str| r.access_graphs.iter().find(|g| g.cluster_id == id).unwrap();
    let clean = graph(AWS_CMEK_CLUSTER);
    let kinds: Vec<NodeKind> = clean.nodes.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NodeKind::Principal,
            NodeKind::Role,
            NodeKind::Key,
            NodeKind::Region
        ]
    );
    assert!(
        clean.edges.iter().all(|e| e.health == Health::Ok),
        "{clean:#?}"
    );
    let trust = &graph(C05_CLUSTER).edges[0];
    assert_eq!(trust.health, Health::OverWide, "{trust:#?}");
    let policy = &graph(C03_CLUSTER).edges[1];
    assert_eq!(policy.health, Health::OverWide, "{policy:#?}");
    let csv = cmek_audit::export::csv::to_csv(&r);
    assert!(csv.contains("C05") && csv.contains(C05_CLUSTER));
    let json = cmek_audit::export::json::to_json(&r);
    assert!(json.contains("\"A12\""));
}
