//! The AWS audit against moto in server mode (the reference no one here wrote): the sandbox's
//! audit account (every seeded case and its twin, `cmek_sandbox::aws::seed`) is replayed into
//! moto through the AWS API, the CockroachDB side stays the sandbox's with its AWS clusters'
//! key ARNs pointed at moto's keys, and the same audit runs on both. Every AWS check fires on
//! its case and stays silent on its twin on moto too, and the two reports carry the same
//! findings (key ids mapped back, dates masked) but for the differences listed in [`KNOWN`]
//! with their reason. moto: `cmek_sandbox::moto` (missing moto fails with the install hint).

mod aws_replay;
mod aws_rows;
mod common;

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use cmek_audit::aws::AwsScan;
use cmek_audit::{run_audit_with_aws, AuditClients, AuditReport};
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::Secret;
use cmek_sandbox::seed_audit::AUDIT_KEYS_PROJECT;
use cmek_sandbox::{
    AWS_AUDIT_ACCESS_KEY_ID, AWS_AUDIT_ACCOUNT_ID, AWS_AUDIT_SECRET_ACCESS_KEY,
    DEFAULT_GOOGLE_MEMBER,
};
use common::{audit_sandbox, clients, options};

/// Findings that differ between the backends, each with its reason: (check id, substring of
/// the finding's line, reason). Empty when moto and the sandbox agree on everything.
const KNOWN: &[(&str, &str, &str)] = &[];

async fn client(endpoint: &str, key: &str, secret: &str) -> AwsClient {
    let options = AwsOptions::new(AwsCredentials::AccessKeys {
        access_key_id: key.to_owned(),
        secret_access_key: Secret::new(secret),
        session_token: None,
    })
    .with_endpoint(endpoint)
    .with_region("us-east-1");
    AwsClient::connect(options).await
}

async fn report(sb: &cmek_sandbox::SandboxHandle, aws: &AwsClient) -> AuditReport {
    let c = clients(sb);
    let regions = vec!["us-east-1".to_owned()];
    let clients = AuditClients {
        google: &c.google,
        cockroach: Some(&c.cockroach),
        identity: DEFAULT_GOOGLE_MEMBER,
    };
    let scan = AwsScan {
        client: aws,
        regions: &regions,
    };
    run_audit_with_aws(
        clients,
        Some(scan),
        &options(&[AUDIT_KEYS_PROJECT]),
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
}

/// A finding as one comparable line: check, severity, status, resource, message, evidence,
/// with moto's key ids mapped to the sandbox's (`map`) and dates masked.
fn lines(r: &AuditReport, map: impl Fn(&str) -> String) -> BTreeSet<String> {
    let date =
        regex_lite::Regex::new(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?").unwrap();
    r.findings
        .iter()
        .map(|f| {
            let ev: Vec<String> = f
                .evidence
                .iter()
                .map(|e| format!("{}={}", e.field, e.value))
                .collect();
            let line = format!(
                "{} {:?} {:?} {} | {} | {}",
                f.check_id,
                f.severity,
                f.status,
                f.resource,
                f.message,
                ev.join("; ")
            );
            date.replace_all(&map(&line), "<date>").into_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_aws_audit_finds_the_same_on_moto_as_on_the_sandbox() {
    let Some(moto) = cmek_sandbox::moto::shared(AWS_AUDIT_ACCOUNT_ID) else {
        return;
    };
    let sb = audit_sandbox().await;
    let on_sandbox = client(
        &sb.endpoints().aws,
        AWS_AUDIT_ACCESS_KEY_ID,
        AWS_AUDIT_SECRET_ACCESS_KEY,
    )
    .await;
    let sandbox_report = report(&sb, &on_sandbox).await;

    let account = sb.aws_account(AWS_AUDIT_ACCOUNT_ID).expect("audit account");
    let ids = aws_replay::replay(&account, &moto.endpoint).await;
    let changed = sb.map_aws_cmek_specs(|v| {
        let m = ids.moto(v);
        (m != v).then_some(m)
    });
    assert_eq!(
        changed,
        aws_rows::AWS_CLUSTERS.len(),
        "one key ARN per AWS cluster"
    );
    let on_moto = client(&moto.endpoint, "SANDBOX-AUDITOR", "moto").await;
    let moto_report = report(&sb, &on_moto).await;

    // Each check fires on its case and stays silent on its twin, on moto too.
    aws_rows::assert_rows(&moto_report, &aws_rows::rows(&on_moto).await, "moto");

    // The same findings from both backends.
    let a = lines(&sandbox_report, |s| s.to_owned());
    let b = lines(&moto_report, |s| ids.sandbox(s));
    let known = |l: &String| {
        KNOWN
            .iter()
            .any(|(id, part, _)| l.starts_with(&format!("{id} ")) && l.contains(part))
    };
    let only_sandbox: Vec<&String> = a.difference(&b).filter(|l| !known(l)).collect();
    let only_moto: Vec<&String> = b.difference(&a).filter(|l| !known(l)).collect();
    assert!(
        only_sandbox.is_empty() && only_moto.is_empty(),
        "findings only on the sandbox:\n{}\n\nfindings only on moto:\n{}",
        only_sandbox
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        only_moto
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!(
        "{} findings compared ({} on AWS resources), {} known differences",
        a.len(),
        sandbox_report
            .findings
            .iter()
            .filter(|f| f.resource.starts_with("arn:aws:")
                || aws_rows::AWS_CLUSTERS
                    .iter()
                    .any(|c| f.resource.contains(c)))
            .count(),
        KNOWN.len()
    );
}
