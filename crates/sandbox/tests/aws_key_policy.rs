//! Key policy behaviours that matter for CMEK: principals must exist (B27), a new role is
//! invisible to KMS for the propagation window (B26), and the test switches that alter a
//! stored key policy (for the app's read-back comparison).

mod aws_common;

use std::time::Duration;

use aws_common::{crdb_key_policy, crdb_trust, Aws};
use cmek_sandbox::seed::{AWS_ACCOUNT_ID, ORG_ID};
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CUSTOMER_ACCOUNT_ID};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

#[tokio::test]
async fn b27_a_key_policy_naming_a_missing_role_is_rejected_on_create_and_put() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let ghost = format!("arn:aws:iam::{ACCT}:role/Admin");
    let e = aws
        .kms
        .create_key()
        .policy(crdb_key_policy(ACCT, &ghost))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    let e = e.into_service_error();
    assert!(e.is_malformed_policy_document_exception(), "{e:?}");
    assert!(e.meta().message().unwrap().contains("invalid principals"));
    let k = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = aws
        .kms
        .put_key_policy()
        .key_id(k.key_id())
        .policy(crdb_key_policy(ACCT, &ghost))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_malformed_policy_document_exception(), "{e:?}");
    // Principals of accounts the sandbox does not model are accepted.
    let foreign = "arn:aws:iam::999988887777:role/Anything";
    aws.kms
        .put_key_policy()
        .key_id(k.key_id())
        .policy(crdb_key_policy(ACCT, foreign))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn b26_a_role_just_created_is_invisible_to_kms_for_the_propagation_window() {
    let sb = Sandbox::start(
        SandboxConfig::for_tests().with_aws_iam_propagation(Duration::from_millis(600)),
    )
    .await;
    let aws = Aws::sandbox(&sb);
    let role = aws
        .iam
        .create_role()
        .role_name("crdb-cmek")
        .assume_role_policy_document(crdb_trust(AWS_ACCOUNT_ID, ORG_ID))
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let policy = crdb_key_policy(ACCT, role.arn());
    let e = aws
        .kms
        .create_key()
        .policy(&policy)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_malformed_policy_document_exception(), "{e:?}");
    let k = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = aws
        .kms
        .put_key_policy()
        .key_id(k.key_id())
        .policy(&policy)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_malformed_policy_document_exception(), "{e:?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    aws.kms
        .put_key_policy()
        .key_id(k.key_id())
        .policy(&policy)
        .send()
        .await
        .unwrap();
    aws.kms.create_key().policy(&policy).send().await.unwrap();
}

#[tokio::test]
async fn tamper_switches_alter_the_stored_key_policy() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let k = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let arn = k.arn().unwrap().to_string();
    assert!(sb.tamper_key_policy(&arn, |p| {
        p["Statement"][0]["Action"] = serde_json::json!(["kms:*", "kms:CreateGrant"]);
    }));
    let got = aws.kms.get_key_policy().key_id(&arn).send().await.unwrap();
    assert!(got.policy().unwrap().contains("kms:CreateGrant"));

    sb.tamper_next_key_policy_write(|p| {
        p["Statement"][0]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
    });
    let with_condition = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"kms:*","Resource":"*","Condition":{{"StringEquals":{{"kms:CallerAccount":"{ACCT}"}}}}}}]}}"#
    );
    aws.kms
        .put_key_policy()
        .key_id(&arn)
        .policy(&with_condition)
        .send()
        .await
        .unwrap();
    let got = aws.kms.get_key_policy().key_id(&arn).send().await.unwrap();
    assert!(!got.policy().unwrap().contains("Condition"));
    // Used up: the next write is stored verbatim.
    aws.kms
        .put_key_policy()
        .key_id(&arn)
        .policy(&with_condition)
        .send()
        .await
        .unwrap();
    let got = aws.kms.get_key_policy().key_id(&arn).send().await.unwrap();
    assert_eq!(got.policy(), Some(with_condition.as_str()));
}
