//! The AWS operations of the campaign (issue 13: "and AWS where it exists"): the guided AWS
//! setup of the sandbox's AWS cluster (from nothing, or adopting a key the KMS team made),
//! revocation by each AWS lever (the role's key-policy statement, CockroachDB's account in the
//! role's trust) and recovery, through the application core; their clean preparation, the
//! other teams' statements seeded in the key and trust policies, and what "converged" means.

use super::ops::Prepared;
use super::scenario::Op;
use cmek_core::aws::model::NewKey;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::{default_key_policy, KEY_POLICY_SID, TRUST_SID};
use cmek_core::plan::ApplyEvent;
use cmek_desk_core::Desk;
use cmek_revoke::{Lever, RevokeEvent};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use cmek_sandbox::{SandboxHandle, AWS_CUSTOMER_ACCOUNT_ID};
use serde_json::{json, Value};

/// The AWS side a schedule watches.
#[derive(Debug, Clone)]
pub struct AwsPrepared {
    pub role_name: String,
    pub role_arn: String,
    pub alias: String,
    pub region: String,
}

fn ignore(_: ApplyEvent) {}
fn quiet(_: RevokeEvent) {}

/// Statements the KMS team keeps in the key policy: read access for tagged admins under a
/// condition, and an audit statement for the account with two conditions.
pub fn kms_team_statements() -> Vec<Value> {
    let root = format!("arn:aws:iam::{AWS_CUSTOMER_ACCOUNT_ID}:root");
    vec![
        json!({"Sid": "KmsTeamAdmins", "Effect": "Allow", "Principal": {"AWS": root},
            "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "kms"}}}),
        json!({"Sid": "AuditReadOnly", "Effect": "Allow", "Principal": {"AWS": root},
            "Action": "kms:DescribeKey", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"},
                "StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/audit-*"}}}),
    ]
}

/// A statement the platform team keeps in the role's trust policy.
pub fn platform_trust_statement() -> Value {
    json!({"Sid": "PlatformEc2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": AWS_CUSTOMER_ACCOUNT_ID}}})
}

fn push_statements(doc: &mut Value, extra: &[Value]) {
    match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list.extend(extra.iter().cloned()),
        Some(one) => {
            let mut list = vec![one.take()];
            list.extend(extra.iter().cloned());
            *one = Value::Array(list);
        }
        None => doc["Statement"] = Value::Array(extra.to_vec()),
    }
}

/// The key ARN behind `alias` in `region`, if the key exists.
pub fn key_arn(sb: &SandboxHandle, a: &AwsPrepared) -> Option<String> {
    let acc = sb.aws_account(AWS_CUSTOMER_ACCOUNT_ID)?;
    let alias = acc.aliases.get(&(a.region.clone(), a.alias.clone()))?;
    acc.keys
        .values()
        .find(|k| k.id == alias.target || k.arn == alias.target)
        .map(|k| k.arn.clone())
}

/// The stored key policy of the alias's key (`None`: no key yet).
pub fn key_policy(sb: &SandboxHandle, a: &AwsPrepared) -> Option<Value> {
    let arn = key_arn(sb, a)?;
    serde_json::from_str(&sb.aws_key_policy(&arn)?).ok()
}

/// The stored trust policy of the role (`None`: no role yet).
pub fn trust_policy(sb: &SandboxHandle, a: &AwsPrepared) -> Option<Value> {
    serde_json::from_str(&sb.aws_role(&a.role_arn)?.trust).ok()
}

/// The statements of a policy document (one or many).
pub fn statements(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    }
}

fn has_sid(doc: Option<Value>, sid: &str) -> bool {
    doc.iter()
        .flat_map(statements)
        .any(|s| s["Sid"].as_str() == Some(sid))
}

async fn plan(desk: &Desk) -> Result<cmek_core::aws::plan::AwsPlan, String> {
    let request = desk
        .suggest_aws_setup(AWS_CLUSTER_ID)
        .await
        .map_err(|e| e.message)?;
    desk.plan_aws_setup(request).await.map_err(|e| e.message)
}

/// Plans the AWS setup again from what the clouds hold and applies it (the officer's resume).
pub async fn replan_and_apply(desk: &Desk) -> Result<(), String> {
    let p = plan(desk).await?;
    desk.apply_aws_setup(&p.plan_id, &ignore)
        .await
        .map(|_| ())
        .map_err(|e| e.message)
}

/// The KMS team's key, made before the setup: its alias is the one the setup suggests, its
/// key policy the default plus their statements (the setup must adopt it and keep them).
async fn kms_team_key(desk: &Desk, a: &AwsPrepared) -> Result<(), String> {
    let aws = desk.aws_client().await.map_err(|e| e.message)?;
    let key = NewKey {
        description: "KMS team key for the CockroachDB cluster".into(),
        multi_region: false,
        tags: vec![("team".into(), "kms".into())],
    };
    let m = aws
        .create_key(&a.region, &key)
        .await
        .map_err(|e| e.message)?;
    aws.create_alias(&a.region, &a.alias, &m.key_id)
        .await
        .map_err(|e| e.message)?;
    let mut doc: Value =
        serde_json::from_str(&default_key_policy("aws", AWS_CUSTOMER_ACCOUNT_ID).to_json())
            .map_err(|e| e.to_string())?;
    push_statements(&mut doc, &kms_team_statements());
    let doc = PolicyDocument::parse("key policy", &doc.to_string()).map_err(|e| e.message)?;
    aws.put_key_policy(&a.region, &m.key_id, &doc)
        .await
        .map_err(|e| e.message)?;
    Ok(())
}

/// Other teams' statements added straight into the stored key and trust policies (as if
/// edited in the console after the setup).
fn seed_other_teams(sb: &SandboxHandle, a: &AwsPrepared) -> Result<(), String> {
    let arn = key_arn(sb, a).ok_or("the clean setup left no key behind the alias")?;
    if !sb.tamper_key_policy(&arn, |doc| push_statements(doc, &kms_team_statements())) {
        return Err(format!("no key {arn}"));
    }
    let trust = |doc: &mut Value| push_statements(doc, &[platform_trust_statement()]);
    if !sb.tamper_role_trust(AWS_CUSTOMER_ACCOUNT_ID, &a.role_name, trust) {
        return Err(format!("no role {}", a.role_name));
    }
    Ok(())
}

/// The clean preparation of an AWS `op` (no faults).
pub async fn prepare(desk: &Desk, sb: &SandboxHandle, op: Op) -> Result<Prepared, String> {
    let first = plan(desk).await?;
    let planned = first.keys.first().ok_or("the AWS setup plan has no key")?;
    let a = AwsPrepared {
        role_name: first.role.name.clone(),
        role_arn: first.role.arn.clone(),
        alias: planned.alias.clone(),
        region: planned.region.clone(),
    };
    let lever = match op {
        Op::AwsRevokeTrust | Op::AwsRecoverTrust => Lever::RoleTrust,
        _ => Lever::KeyPolicyStatement,
    };
    let mut p = Prepared {
        app_sa: String::new(),
        cluster_name: first.cluster.name.clone(),
        key: String::new(),
        resources: Vec::new(),
        plan_id: Some(first.plan_id.clone()),
        new_key: None,
        revoke_operation: None,
        cluster_id: AWS_CLUSTER_ID.to_owned(),
        lever,
        aws: Some(a.clone()),
    };
    match op {
        Op::AwsSetup => return Ok(p),
        Op::AwsSetupAdopt => {
            kms_team_key(desk, &a).await?;
            p.plan_id = Some(plan(desk).await?.plan_id);
            return Ok(p);
        }
        _ => {}
    }
    let r = desk
        .apply_aws_setup(&first.plan_id, &ignore)
        .await
        .map_err(|e| e.message)?;
    if r.cmek.status != "ENABLED" {
        return Err(format!("clean AWS setup ended {}", r.cmek.status));
    }
    seed_other_teams(sb, &a)?;
    if matches!(op, Op::AwsRecoverKey | Op::AwsRecoverTrust) {
        let report = desk
            .revoke_cluster(&super::ops::revoke_request(&p), &quiet)
            .await
            .map_err(|e| e.message)?;
        p.revoke_operation = Some(report.operation_id);
    }
    Ok(p)
}

/// Whether the world is in the state the AWS `op` intends.
pub async fn converged(
    desk: &Desk,
    sb: &SandboxHandle,
    op: Op,
    p: &Prepared,
) -> Result<(), String> {
    let a = p
        .aws
        .as_ref()
        .ok_or("an AWS schedule without its AWS side")?;
    let status = desk
        .cmek_status(AWS_CLUSTER_ID)
        .await
        .map_err(|e| e.message)?
        .status;
    let key_stmt = has_sid(key_policy(sb, a), KEY_POLICY_SID);
    let trust_stmt = has_sid(trust_policy(sb, a), TRUST_SID);
    let ok = match op {
        Op::AwsSetup | Op::AwsSetupAdopt => status == "ENABLED" && key_stmt && trust_stmt,
        Op::AwsRevokeKey => status == "REVOKED" && !key_stmt && trust_stmt,
        Op::AwsRevokeTrust => status == "REVOKED" && key_stmt && !trust_stmt,
        Op::AwsRecoverKey | Op::AwsRecoverTrust => key_stmt && trust_stmt,
        _ => false,
    };
    ok.then_some(()).ok_or(format!(
        "after {}: CMEK {status}, key-policy statement {key_stmt}, trust statement {trust_stmt}",
        op.name()
    ))
}
