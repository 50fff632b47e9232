//! The findings the audit domain fires on the sandbox's audit seed, computed the way the
//! domain's own tests do (`crates/audit/tests/common`): `cmek_audit::run_audit_with_aws` over
//! both audit projects and the sandbox's AWS audit account (as the app core reads it, at
//! `{base}/aws` in `us-east-1`) against a fresh in-process sandbox with the audit seed. The app's tests compare
//! what the commands return (MockRuntime) and what the window shows (E2E) with this set, so no
//! copy of the expected findings is kept here.
#![allow(dead_code)]

use cmek_audit::aws::AwsScan;
use cmek_audit::{run_audit_with_aws, AuditClients, AuditReport, FindingStatus, ScanOptions};
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::plan::ConnectionMode;
use cmek_core::Secret;
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use cmek_sandbox::{Sandbox, SandboxConfig, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_TOKEN};
use cmek_setup::{Connection, Endpoints};
use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

/// The two audit projects of the seed.
pub const AUDIT_PROJECTS: [&str; 2] = [AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT];

/// The failed `(check id, resource)` pairs of a report.
pub fn failed(report: &AuditReport) -> BTreeSet<(String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .map(|f| (f.check_id.clone(), f.resource.clone()))
        .collect()
}

/// The domain's report on a fresh audit-seeded sandbox (both audit projects, CockroachDB too).
pub async fn domain_report() -> AuditReport {
    let sb = Sandbox::start(SandboxConfig::audit_demo()).await;
    let e = sb.endpoints();
    let aws = AwsClient::connect(
        AwsOptions::new(AwsCredentials::AccessKeys {
            access_key_id: cmek_sandbox::AWS_AUDIT_ACCESS_KEY_ID.to_owned(),
            secret_access_key: Secret::new(cmek_sandbox::AWS_AUDIT_SECRET_ACCESS_KEY),
            session_token: None,
        })
        .with_endpoint(e.aws.clone())
        .with_region(cmek_aws::DEFAULT_REGION),
    )
    .await;
    let endpoints = Endpoints {
        kms: e.kms,
        iam: e.iam,
        serviceusage: e.serviceusage,
        crm: e.crm,
        logging: e.logging,
        monitoring: e.monitoring,
        cockroach: e.cockroach,
    };
    let c = Connection::with_static_tokens(
        endpoints,
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        Secret::new(DEFAULT_COCKROACH_KEY),
        ConnectionMode::Sandbox,
    )
    .await
    .expect("connects to the sandbox");
    let options = ScanOptions {
        projects: AUDIT_PROJECTS.iter().map(|p| (*p).to_owned()).collect(),
        kms_reads_per_minute: 60_000,
        ..Default::default()
    };
    let clients = AuditClients {
        google: &c.google,
        cockroach: Some(&c.cockroach),
        identity: &c.info.google_identity,
    };
    let scan = AwsScan {
        client: &aws,
        regions: &[],
    };
    run_audit_with_aws(
        clients,
        Some(scan),
        &options,
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
}

/// The failed `(check id, resource)` pairs the domain reports on the seed.
pub async fn expected_failed() -> BTreeSet<(String, String)> {
    failed(&domain_report().await)
}
