//! The sandbox's AWS endpoint through the official AWS SDK for Rust: one endpoint for KMS
//! (JSON 1.1) and IAM/STS (Query), authentication by access key, the request log (service,
//! action, writes) and injected faults. Operations: `aws_iam.rs`, `aws_kms.rs`,
//! `aws_key_policy.rs`; CockroachDB: `aws_cmek.rs`; seeds: `aws_seed.rs`; moto: `aws_moto_diff.rs`.

mod aws_common;

use aws_common::Aws;
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CALLER_ARN, AWS_CUSTOMER_ACCOUNT_ID};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

#[tokio::test]
async fn sts_says_who_you_are_and_unknown_keys_get_each_services_auth_error() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let me = aws.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(ACCT));
    assert_eq!(me.arn(), Some(AWS_CALLER_ARN));

    let bad = Aws::new(&sb.endpoints().aws, "SANDBOX-UNKNOWN-KEY", "x", "us-east-1");
    let e = bad.kms.list_keys().send().await.unwrap_err();
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert_eq!(
        e.into_service_error().meta().code(),
        Some("UnrecognizedClientException")
    );
    let e = bad.iam.list_roles().send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    assert_eq!(
        e.into_service_error().meta().code(),
        Some("InvalidClientTokenId")
    );
    let e = bad.sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    assert_eq!(
        e.into_service_error().meta().code(),
        Some("InvalidClientTokenId")
    );
}

#[tokio::test]
async fn aws_requests_are_logged_per_service_with_their_action_and_writes_counted() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    aws.sts.get_caller_identity().send().await.unwrap();
    aws.iam.list_roles().send().await.unwrap();
    let k = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    aws.kms
        .describe_key()
        .key_id(k.key_id())
        .send()
        .await
        .unwrap();
    let log: Vec<(String, String, bool)> = sb
        .requests()
        .into_iter()
        .map(|r| (r.service, r.operation, r.is_write))
        .collect();
    assert_eq!(
        log,
        vec![
            ("aws-sts".into(), "GetCallerIdentity".into(), false),
            ("aws-iam".into(), "ListRoles".into(), false),
            ("aws-kms".into(), "CreateKey".into(), true),
            ("aws-kms".into(), "DescribeKey".into(), false),
        ]
    );
    assert_eq!(sb.write_count(), 1);
    assert_eq!(sb.requests()[1].body["Action"], "ListRoles");
}

#[tokio::test]
async fn faults_and_hooks_apply_to_aws_actions() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    sb.inject_fault(cmek_sandbox::Fault {
        operation: "ListKeys".into(),
        status: 400,
        body: serde_json::json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
        times: 1,
        retry_after_secs: None,
    });
    let e = aws
        .kms
        .list_keys()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.meta().code(), Some("ThrottlingException"));
    aws.kms.list_keys().send().await.unwrap();
}
