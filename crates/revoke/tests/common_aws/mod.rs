//! AWS harness of the revoke tests: a sandbox with a second AWS cluster sharing the demo AWS
//! cluster's role and key, both ENABLED, and the policies as written before any revocation.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use cmek_activity::{ActivityLog, EntryKind};
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::aws::model::NewKey;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::{key_statement, trust_statement};
use cmek_core::cockroach::{CmekKeySpec, CmekRegionSpec};
use cmek_core::Secret;
use cmek_revoke::RevokeContext;
use cmek_sandbox::seed::{AWS_ACCOUNT_ID, AWS_CLUSTER_ID, ORG_ID};
use cmek_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, AWS_ACCESS_KEY_ID, AWS_CUSTOMER_ACCOUNT_ID, AWS_REGION,
    AWS_SECRET_ACCESS_KEY,
};
use serde_json::{json, Value};

use crate::common;

pub const OTHER: &str = "2b3c4d5e-6f7a-4b8c-9d0e-00000000aa02";
pub const NAME: &str = "aws-analytics";

pub struct Env {
    pub dir: PathBuf,
    pub sb: SandboxHandle,
    pub ctx: RevokeContext,
    pub log: ActivityLog,
    pub key: String,
    pub role: String,
    pub key_policy: String,
    pub trust: String,
}

pub async fn aws_client(sb: &SandboxHandle) -> AwsClient {
    let options = AwsOptions::new(AwsCredentials::AccessKeys {
        access_key_id: AWS_ACCESS_KEY_ID.to_owned(),
        secret_access_key: Secret::new(AWS_SECRET_ACCESS_KEY),
        session_token: None,
    })
    .with_endpoint(sb.endpoints().aws)
    .with_region(AWS_REGION);
    AwsClient::connect(options).await.with_retry_policy(
        cmek_retry::policy::HTTP_TRANSIENT
            .with_min_delay(Duration::from_millis(10))
            .with_max_delay(Duration::from_millis(50)),
    )
}

pub fn doc(v: Value) -> PolicyDocument {
    serde_json::from_value(v).unwrap()
}

/// Role `role_name` + key as the procedure makes them, plus statements of others (with
/// conditions and an unknown member) that must survive, written through `aws` (the sandbox or
/// moto). Returns (key ARN, role ARN).
pub async fn make_chain(aws: &AwsClient, role_name: &str) -> (String, String) {
    let acct = AWS_CUSTOMER_ACCOUNT_ID;
    let mut trust = doc(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")},
         "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    ]}));
    trust.upsert(trust_statement("aws", AWS_ACCOUNT_ID, ORG_ID));
    let role = aws.create_role(role_name, &trust, "CMEK").await.unwrap();
    let key = aws
        .create_key(
            AWS_REGION,
            &NewKey {
                description: "CMEK".into(),
                multi_region: false,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    let mut policy = doc(json!({"Version": "2012-10-17", "Id": "ours", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Auditors", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")},
         "Action": ["kms:DescribeKey"], "Resource": "*", "x-note": "kept verbatim",
         "Condition": {"StringEquals": {"kms:CallerAccount": acct}}}
    ]}));
    policy.upsert(key_statement(&role.arn));
    aws.put_key_policy(AWS_REGION, &key.arn, &policy)
        .await
        .unwrap();
    (key.arn, role.arn)
}

/// [`make_chain`] on the sandbox, CMEK ENABLED on the demo AWS cluster and on a second one
/// sharing the role and key.
pub async fn env(name: &str) -> Env {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    sb.add_cluster_like(AWS_CLUSTER_ID, OTHER, "aws-reporting");
    let aws = aws_client(&sb).await;
    let ctx = common::context(&sb).with_aws(aws.clone());
    let dir = common::temp_dir(name);
    let log = ActivityLog::open_in(&dir).unwrap();
    let (key, role) = make_chain(&aws, "crdb-cmek").await;
    for c in [AWS_CLUSTER_ID, OTHER] {
        let spec = CmekRegionSpec {
            region: AWS_REGION.into(),
            key_spec: CmekKeySpec {
                key_type: "AWS_KMS".into(),
                uri: key.clone(),
                auth_principal: role.clone(),
            },
        };
        ctx.cockroach.enable_cmek(c, &[spec]).await.unwrap();
        common::settle(&ctx, c, "ENABLED").await;
    }
    let key_policy = sb.aws_key_policy(&key).unwrap();
    let trust = sb.aws_role(&role).unwrap().trust;
    Env {
        dir,
        sb,
        ctx,
        log,
        key,
        role,
        key_policy,
        trust,
    }
}

pub fn statements(text: &str) -> Vec<Value> {
    let d = PolicyDocument::parse("policy", text).unwrap();
    d.statements()
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect()
}

pub fn without_sid(text: &str, sid: &str) -> Vec<Value> {
    statements(text)
        .into_iter()
        .filter(|s| s["Sid"] != sid)
        .collect()
}

/// Intents of write calls (every one but the snapshot's).
pub fn write_intents(log: &ActivityLog) -> usize {
    log.entries()
        .unwrap()
        .iter()
        .filter(|e| e.kind == EntryKind::Intent && e.action != "revoke.snapshot")
        .count()
}
