//! Findings have one meaning everywhere (issue #11): on the sandbox's audit organisation, with
//! and without AWS in the scan, the counts per status and severity read back from each surface
//! agree — the window's summary (the report the audit command returns, counted as the Audit
//! screen does), JSON, CSV, HTML and OCSF — no check that did not run is an OCSF detection or
//! carries a severity in CSV, every finding cites only references of its own cloud, and a
//! cluster on a cloud not in the scan is "not audited" in the report.

mod common;

use cmek_audit::aws::sources::foreign_references;
use cmek_audit::aws::AwsScan;
use cmek_audit::export::{csv, html, json, ocsf};
use cmek_audit::{
    run_audit_with_aws, AuditClients, AuditReport, FindingCounts, FindingStatus, Severity,
};
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::Secret;
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use cmek_sandbox::{AWS_AUDIT_ACCESS_KEY_ID, AWS_AUDIT_SECRET_ACCESS_KEY, DEFAULT_GOOGLE_MEMBER};
use common::*;
use serde_json::Value;
use std::sync::atomic::AtomicBool;

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

async fn audit(sb: &cmek_sandbox::SandboxHandle, with_aws: bool) -> AuditReport {
    let c = clients(sb);
    let aws = AwsClient::connect(
        AwsOptions::new(AwsCredentials::AccessKeys {
            access_key_id: AWS_AUDIT_ACCESS_KEY_ID.to_owned(),
            secret_access_key: Secret::new(AWS_AUDIT_SECRET_ACCESS_KEY),
            session_token: None,
        })
        .with_endpoint(format!("{}/aws", sb.base_url()))
        .with_region("us-east-1"),
    )
    .await;
    let regions = vec!["us-east-1".to_owned()];
    let scan = with_aws.then_some(AwsScan {
        client: &aws,
        regions: &regions,
    });
    run_audit_with_aws(
        AuditClients {
            google: &c.google,
            cockroach: Some(&c.cockroach),
            identity: DEFAULT_GOOGLE_MEMBER,
        },
        scan,
        &options(&[AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT]),
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
}

/// Counts as the Audit screen does (`ui/src/screens/Audit.svelte`): FAIL findings per severity,
/// NOT_EVALUATED apart.
fn window_counts(r: &AuditReport) -> FindingCounts {
    let mut c = FindingCounts::default();
    for f in &r.findings {
        match f.status {
            FindingStatus::NotEvaluated => c.not_evaluated += 1,
            FindingStatus::Fail => {
                c.failed += 1;
                match f.severity {
                    Severity::Critical => c.critical += 1,
                    Severity::High => c.high += 1,
                    Severity::Medium => c.medium += 1,
                    Severity::Low => c.low += 1,
                    Severity::Info => c.info += 1,
                }
            }
        }
    }
    c
}

fn add(c: &mut FindingCounts, severity: &str) {
    c.failed += 1;
    match severity {
        "CRITICAL" => c.critical += 1,
        "HIGH" => c.high += 1,
        "MEDIUM" => c.medium += 1,
        "LOW" => c.low += 1,
        "INFO" => c.info += 1,
        other => panic!("unknown severity {other:?}"),
    }
}

fn json_counts(text: &str) -> FindingCounts {
    let v: Value = serde_json::from_str(text).unwrap();
    let mut c = FindingCounts::default();
    for f in v["findings"].as_array().unwrap() {
        match f["status"].as_str().unwrap() {
            "FAIL" => add(&mut c, f["severity"].as_str().unwrap()),
            "NOT_EVALUATED" => c.not_evaluated += 1,
            other => panic!("status {other}"),
        }
    }
    let summary: FindingCounts = serde_json::from_value(v["summary"].clone()).unwrap();
    assert_eq!(summary, c, "the JSON summary matches its rows");
    c
}

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let body: String = text
        .split_inclusive('\n')
        .skip_while(|l| l.starts_with('#'))
        .collect();
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, body.chars().peekable());
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

fn csv_counts(text: &str) -> FindingCounts {
    let rows = csv_records(text);
    assert_eq!(rows[0][..3], ["checkId", "severity", "status"]);
    let mut c = FindingCounts::default();
    for r in &rows[1..] {
        match r[2].as_str() {
            "FAIL" => add(&mut c, &r[1]),
            "NOT_EVALUATED" => {
                assert_eq!(r[1], "", "a check that did not run has no severity: {r:?}");
                assert!(!r[6].is_empty(), "with why: {r:?}");
                c.not_evaluated += 1;
            }
            other => panic!("status {other}"),
        }
    }
    let summary = text.lines().find(|l| l.starts_with("# summary")).unwrap();
    assert_eq!(
        summary,
        format!(
            "# summary failed={} critical={} high={} medium={} low={} info={} notEvaluated={}",
            c.failed, c.critical, c.high, c.medium, c.low, c.info, c.not_evaluated
        )
    );
    c
}

fn html_counts(text: &str) -> FindingCounts {
    let mut c = FindingCounts::default();
    for block in text.split("<div class=\"finding\"").skip(1) {
        let sev = block
            .split("<span class=\"sev ")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap();
        add(&mut c, sev);
    }
    c.not_evaluated = text.matches("<tr class=\"NOT_EVALUATED\"").count() as u32;
    for s in SEVERITIES {
        let cell = format!(
            "data-severity=\"{0}\">{0} {1}<",
            s.as_str(),
            c.of_severity(s)
        );
        assert!(text.contains(&cell), "summary cell {cell}");
    }
    assert!(text.contains(&format!(
        "data-severity=\"NOT_EVALUATED\">not evaluated {}<",
        c.not_evaluated
    )));
    c
}

fn ocsf_counts(text: &str) -> FindingCounts {
    let v: Value = serde_json::from_str(text).unwrap();
    let mut c = FindingCounts::default();
    let mut not_evaluated = None;
    for e in v.as_array().unwrap() {
        assert_eq!(e["class_uid"], 2004);
        assert_eq!(
            e["unmapped"]["status"], "FAIL",
            "only failed checks are detections: {e:#}"
        );
        let sev = match e["severity_id"].as_u64().unwrap() {
            5 => "CRITICAL",
            4 => "HIGH",
            3 => "MEDIUM",
            2 => "LOW",
            1 => "INFO",
            other => panic!("severity_id {other}"),
        };
        add(&mut c, sev);
        let listed = e["unmapped"]["not_evaluated"].as_array().unwrap().len() as u32;
        assert_eq!(*not_evaluated.get_or_insert(listed), listed);
    }
    c.not_evaluated = not_evaluated.unwrap_or_default();
    c
}

async fn check_agreement(with_aws: bool) {
    let sb = audit_sandbox().await;
    let r = audit(&sb, with_aws).await;
    let window = window_counts(&r);
    assert_eq!(r.summary, window, "the report's summary is the window's");
    assert!(window.failed > 0 && window.critical > 0, "{window:?}");
    if !with_aws {
        assert!(window.not_evaluated > 0, "AWS rows are not evaluated");
    }
    assert_eq!(json_counts(&json::to_json(&r)), window, "JSON");
    assert_eq!(csv_counts(&csv::to_csv(&r)), window, "CSV");
    assert_eq!(html_counts(&html::to_html(&r)), window, "HTML");
    assert_eq!(ocsf_counts(&ocsf::to_ocsf_string(&r)), window, "OCSF");
    for f in &r.findings {
        let cloud = r.finding_cloud(f);
        assert_eq!(
            foreign_references(cloud, f),
            Vec::<String>::new(),
            "{} on {} ({cloud}) cites another cloud",
            f.check_id,
            f.resource
        );
        if f.status == FindingStatus::NotEvaluated {
            assert!(
                f.evidence.iter().any(|e| e.field == "reason") || !f.message.is_empty(),
                "{f:?}"
            );
        }
    }
    let aws_clusters: Vec<_> = r
        .clusters
        .iter()
        .filter(|c| c.cloud_provider == "AWS")
        .collect();
    assert!(!aws_clusters.is_empty(), "the seed has AWS clusters");
    for c in aws_clusters {
        assert_eq!(r.cluster_audited(c), with_aws, "{}", c.name);
    }
    assert!(r
        .clusters
        .iter()
        .filter(|c| c.cloud_provider == "GCP")
        .all(|c| r.cluster_audited(c)));
}

#[tokio::test]
async fn every_surface_agrees_when_aws_is_not_in_the_scan() {
    check_agreement(false).await;
}

#[tokio::test]
async fn every_surface_agrees_when_aws_is_audited() {
    check_agreement(true).await;
}
