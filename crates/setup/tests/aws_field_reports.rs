//! Field reports B26, B27 and B29 (../shared/reference/field-reports.md) as tests of the AWS
//! setup against the sandbox's AWS fake.

mod aws_common;
mod common;

use aws_common::{apply_with, plan_and_apply, request, sandbox_aws, CLUSTER};
use cmek_core::aws::plan::AwsKeyLayout;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::EXTERNAL_ID_KEY;
use cmek_core::plan::ApplyEvent;
use cmek_core::ErrorCode;
use cmek_sandbox::{seed, SandboxConfig, AWS_CUSTOMER_ACCOUNT_ID};
use cmek_setup::ApplyControl;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// B26: KMS rejects a key policy naming a role created a moment ago ("invalid principals");
/// for a role this run created, PutKeyPolicy is retried with backoff until KMS sees it.
#[tokio::test]
async fn b26_a_just_created_role_is_retried_until_kms_sees_it() {
    let sb =
        common::start(SandboxConfig::for_tests().with_aws_iam_propagation(Duration::from_secs(2)))
            .await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let (_, r, events) = plan_and_apply(
        &conn,
        &aws,
        request(&conn, AwsKeyLayout::KeyPerRegion).await,
    )
    .await;
    assert_eq!(r.expect("apply").cmek.status, "ENABLED");
    let puts: Vec<u16> = sb
        .requests()
        .iter()
        .filter(|q| q.operation == "PutKeyPolicy")
        .map(|q| q.status)
        .collect();
    assert!(
        puts.len() >= 2 && puts[0] == 400 && *puts.last().unwrap() == 200,
        "{puts:?}"
    );
    assert!(
        events
            .notes()
            .iter()
            .any(|n| n.contains("KMS cannot see the new role")),
        "{:?}",
        events.notes()
    );
}

/// B26's other half: a role the app did NOT create this run is not waited for: KMS's "invalid
/// principals" on it surfaces at once (here the role exists but KMS still cannot see it).
#[tokio::test]
async fn b26_an_adopted_role_is_not_retried() {
    let sb =
        common::start(SandboxConfig::for_tests().with_aws_iam_propagation(Duration::from_secs(30)))
            .await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    // Someone else made the role a moment ago, with the documented trust.
    let trust = cmek_core::aws::statements::trust_policy("aws", seed::AWS_ACCOUNT_ID, seed::ORG_ID);
    aws.create_role(&req.role_name, &trust, "made by hand")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, r, _) = plan_and_apply(&conn, &aws, req).await;
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e:?}");
    assert!(
        e.message.contains("MalformedPolicyDocumentException"),
        "{}",
        e.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not retried for a role this run did not create"
    );
}

/// B27: a key policy that names a principal absent from the account (a deleted admin role)
/// fails before any write, naming that principal, and is not retried.
#[tokio::test]
async fn b27_a_missing_principal_fails_fast_naming_it() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let key = aws
        .create_key(
            "us-east-1",
            &cmek_core::aws::model::NewKey {
                description: "existing".into(),
                multi_region: false,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    aws.create_alias("us-east-1", &req.key_alias, &key.key_id)
        .await
        .unwrap();
    let ghost = format!("arn:aws:iam::{AWS_CUSTOMER_ACCOUNT_ID}:role/KeyAdmin");
    // The stored policy names a role that was deleted since (KMS does not re-check stored policies).
    assert!(sb.tamper_key_policy(&key.arn, |v| {
        v["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Sid": "KeyAdmins", "Effect": "Allow",
            "Principal": {"AWS": ghost}, "Action": "kms:*", "Resource": "*"}));
    }));
    let started = Instant::now();
    let (plan, r, _) = plan_and_apply(&conn, &aws, req).await;
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains(&ghost), "{}", e.message);
    assert_eq!(e.resource.as_deref(), Some(ghost.as_str()));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        sb.requests().iter().all(|q| q.operation != "PutKeyPolicy"),
        "nothing was written to the key policy"
    );
    assert!(
        plan.keys[0]
            .key_policy_before
            .as_deref()
            .unwrap()
            .contains("KeyAdmin"),
        "the plan shows the policy as it is"
    );
}

/// B29: the trust written carries ExternalId = organization id; an existing role without it is
/// shown and fixed only with consent; and a CockroachDB enable failure caused by the trust is
/// reported as a trust problem.
#[tokio::test]
async fn b29_trust_without_external_id_is_shown_and_fixed_only_with_consent() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let mut req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let loose: PolicyDocument = serde_json::from_value(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:root", seed::AWS_ACCOUNT_ID)}, "Action": "sts:AssumeRole"}]})).unwrap();
    aws.create_role(&req.role_name, &loose, "like the Terraform example")
        .await
        .unwrap();
    sb.clear_requests();
    let (plan, r, _) = plan_and_apply(&conn, &aws, req.clone()).await;
    assert!(
        plan.role
            .trust_issue
            .as_deref()
            .unwrap()
            .contains("without the condition StringEquals sts:ExternalId"),
        "{:?}",
        plan.role.trust_issue
    );
    assert!(plan.role.trust_policy_after.contains(seed::ORG_ID));
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(
        e.message.contains("--fix-trust") && e.message.contains("Nothing was changed"),
        "{}",
        e.message
    );
    let writes: Vec<String> = sb
        .requests()
        .iter()
        .filter(|q| q.is_write)
        .map(|q| q.operation.clone())
        .collect();
    assert!(writes.is_empty(), "{writes:?}");

    req.fix_trust = true;
    let (_, r, _) = plan_and_apply(&conn, &aws, req).await;
    assert_eq!(r.expect("apply with consent").cmek.status, "ENABLED");
    let role = sb.aws_role(&plan.role.arn).unwrap();
    let trust: Value = serde_json::from_str(&role.trust).unwrap();
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"][EXTERNAL_ID_KEY],
        json!(seed::ORG_ID)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b29_an_enable_failure_caused_by_the_trust_is_reported_as_such() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let plan = cmek_setup::plan_aws(&conn, &aws, req.clone())
        .await
        .unwrap();
    let endpoint = sb.endpoints().aws;
    let role = req.role_name.clone();
    // Right after the role step, someone drops the ExternalId condition from the trust.
    let (r, _) = apply_with(&conn, &aws, &plan, &ApplyControl::default(), move |e| {
        if matches!(e, ApplyEvent::StepFinished { step_id, .. } if step_id.starts_with("createRole:")) {
            let (endpoint, role) = (endpoint.clone(), role.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let other = aws_common::aws_client(&endpoint, cmek_sandbox::AWS_ACCESS_KEY_ID, cmek_sandbox::AWS_SECRET_ACCESS_KEY).await;
                    let loose: PolicyDocument = serde_json::from_value(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Principal": {"AWS": format!("arn:aws:iam::{}:root", seed::AWS_ACCOUNT_ID)}, "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": "another-org"}}}]})).unwrap();
                    other.update_trust_policy(&role, &loose).await.unwrap();
                });
            })
            .join()
            .unwrap();
        }
    })
    .await;
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::CmekFailed, "{e:?}");
    assert!(
        e.message.starts_with(&format!(
            "CockroachDB cannot assume the role {} because of its trust policy",
            plan.role.arn
        )),
        "{}",
        e.message
    );
    assert!(e.message.contains("another-org"), "{}", e.message);
    assert_eq!(e.resource.as_deref(), Some(CLUSTER));
}
