//! The AWS audit's seeded cases and their twins (`cmek_sandbox::aws::seed`), looked up through
//! the AWS API so the same table serves the in-process sandbox and moto (whose key ids differ):
//! each row is (check id, resource that must fail, twin that must not, severity on the case).
#![allow(dead_code)]

use cmek_audit::{AuditReport, FindingStatus, Severity};
use cmek_aws::AwsClient;
use cmek_sandbox::aws::seed::{
    AWS_C01_CLUSTER, AWS_C02_CLUSTER, AWS_C03_CLUSTER, AWS_C03_MISSING_CLUSTER, AWS_C05_CLUSTER,
    AWS_C06_CLUSTER,
};
use cmek_sandbox::seed_audit::AWS_CMEK_CLUSTER;
use cmek_sandbox::AWS_AUDIT_ACCOUNT_ID;

/// One seeded case: `check` fails on `bad` with `severity` and not on `clean`.
#[derive(Debug, Clone)]
pub struct Row {
    pub check: &'static str,
    pub bad: String,
    pub clean: String,
    pub severity: Option<Severity>,
}

/// Every AWS cluster of the audit seed (the clean one first).
pub const AWS_CLUSTERS: [&str; 7] = [
    AWS_CMEK_CLUSTER,
    AWS_C05_CLUSTER,
    AWS_C03_CLUSTER,
    AWS_C03_MISSING_CLUSTER,
    AWS_C01_CLUSTER,
    AWS_C02_CLUSTER,
    AWS_C06_CLUSTER,
];

/// The ARN of the key behind `alias/{name}` in `us-east-1`.
pub async fn key_arn(aws: &AwsClient, name: &str) -> String {
    aws.describe_key("us-east-1", &format!("alias/{name}"))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("alias/{name}"))
        .arn
}

/// An audit role's ARN.
pub fn role(name: &str) -> String {
    format!("arn:aws:iam::{AWS_AUDIT_ACCOUNT_ID}:role/{name}")
}

pub fn cluster(id: &str) -> String {
    format!("clusters/{id}")
}

pub fn region(id: &str) -> String {
    format!("clusters/{id}/regions/us-east-1")
}

/// The table: keys A02-A14, roles A12, clusters C01, C02, C03 (High and Critical), C05, C06.
pub async fn rows(aws: &AwsClient) -> Vec<Row> {
    let row = |check, bad, clean, severity| Row {
        check,
        bad,
        clean,
        severity,
    };
    let mut rows = Vec::new();
    for (check, id) in [
        ("A02", "a02"),
        ("A05", "a05"),
        ("A09", "a09"),
        ("A10", "a10"),
        ("A13", "a13"),
        ("A14", "a14"),
    ] {
        let bad = key_arn(aws, &format!("{id}-bad")).await;
        let clean = key_arn(aws, &format!("{id}-clean")).await;
        let sev = (check == "A13").then_some(Severity::Info);
        rows.push(row(check, bad, clean, sev));
    }
    rows.push(row("A12", role("a12-bad"), role("a12-clean"), None));
    rows.push(row(
        "A12",
        role("a12-managed-bad"),
        role("a12-managed-clean"),
        None,
    ));
    let clean = AWS_CMEK_CLUSTER;
    rows.push(row("C05", cluster(AWS_C05_CLUSTER), cluster(clean), None));
    for (check, bad, sev) in [
        ("C03", AWS_C03_CLUSTER, Some(Severity::High)),
        ("C03", AWS_C03_MISSING_CLUSTER, Some(Severity::Critical)),
        ("C01", AWS_C01_CLUSTER, None),
        ("C02", AWS_C02_CLUSTER, None),
        ("C06", AWS_C06_CLUSTER, None),
    ] {
        rows.push(row(check, region(bad), region(clean), sev));
    }
    rows
}

/// Whether `check` fails on `resource`.
pub fn fires(r: &AuditReport, check: &str, resource: &str) -> bool {
    r.findings
        .iter()
        .any(|f| f.check_id == check && f.resource == resource && f.status == FindingStatus::Fail)
}

/// Asserts every row: fires on its case (with its severity when given), silent on its twin.
/// `backend` names the AWS side in messages.
pub fn assert_rows(r: &AuditReport, rows: &[Row], backend: &str) {
    for Row {
        check,
        bad,
        clean,
        severity,
    } in rows
    {
        let found: Vec<_> = r
            .findings_of(check)
            .filter(|f| &f.resource == bad && f.status == FindingStatus::Fail)
            .collect();
        assert!(
            !found.is_empty(),
            "{backend}: {check} should fire on {bad}: {:#?}",
            r.findings_of(check).collect::<Vec<_>>()
        );
        if let Some(s) = severity {
            assert!(
                found.iter().all(|f| f.severity == *s),
                "{backend}: {check} on {bad} should be {s:?}: {found:#?}"
            );
        }
        assert!(
            !fires(r, check, clean),
            "{backend}: {check} should stay silent on {clean}: {:#?}",
            r.findings_of(check).collect::<Vec<_>>()
        );
    }
}
