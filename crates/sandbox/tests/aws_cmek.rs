//! CockroachDB's simulation for AWS clusters: a region becomes ENABLED only if the role's
//! trust policy and the key's policy and state really allow it; otherwise ENABLE_FAILED with a
//! `user_message` naming the part that failed (B29); key access lost later is REVOKED on
//! recheck, as for GCP.

mod aws_common;
mod common;

use aws_common::{crdb_key_policy, crdb_trust, Aws};
use cmek_sandbox::seed::{AWS_ACCOUNT_ID, AWS_CLUSTER_ID, ORG_ID};
use cmek_sandbox::{AWS_CUSTOMER_ACCOUNT_ID, KEY_ACCESS_FAILING, KEY_ACCESS_RESTORED};
use common::crdb::{cmek_url, enable, settle};
use serde_json::{json, Value};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

/// Role + key as the AWS procedure makes them; returns (key ARN, role ARN).
async fn provision(aws: &Aws, trust: &str, policy: impl Fn(&str) -> String) -> (String, String) {
    let role = aws
        .iam
        .create_role()
        .role_name("crdb-cmek")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let key = aws
        .kms
        .create_key()
        .policy(policy(role.arn()))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    (key.arn().unwrap().to_string(), role.arn().to_string())
}

fn spec(key: &str, role: &str) -> Value {
    json!({"region": "us-east-1", "key_spec": {"type": "AWS_KMS", "uri": key, "auth_principal": role}})
}

/// Enables CMEK on the AWS cluster and returns its settled region info.
async fn enable_and_settle(api: &common::Api, key: &str, role: &str) -> Value {
    let url = cmek_url(AWS_CLUSTER_ID);
    let (s, b) = enable(api, &url, &[spec(key, role)]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["region_infos"][0]["status"], "ENABLING");
    settle(api, &url).await["region_infos"][0].clone()
}

fn message(region: &Value) -> String {
    region["key_infos"].as_array().unwrap().last().unwrap()["user_message"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_documented_role_and_key_enable_the_region() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r)
    })
    .await;
    let region = enable_and_settle(&api, &key, &role).await;
    assert_eq!(region["status"], "ENABLED", "{region}");
    assert_eq!(message(&region), "");
}

#[tokio::test]
async fn b29_a_trust_policy_without_the_external_id_fails_as_a_trust_problem() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let no_ext = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{AWS_ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let (key, role) = provision(&aws, &no_ext, |r| crdb_key_policy(ACCT, r)).await;
    let region = enable_and_settle(&api, &key, &role).await;
    assert_eq!(region["status"], "ENABLE_FAILED");
    let m = message(&region);
    assert!(
        m.contains("(trust policy)") && m.contains("sts:ExternalId") && m.contains(ORG_ID),
        "{m}"
    );
}

#[tokio::test]
async fn a_trust_policy_for_another_account_or_external_id_fails_as_a_trust_problem() {
    for trust in [
        crdb_trust("999999999999", ORG_ID),
        crdb_trust(AWS_ACCOUNT_ID, "someone-else"),
    ] {
        let api = common::start().await;
        let aws = Aws::sandbox(&api.sb);
        let (key, role) = provision(&aws, &trust, |r| crdb_key_policy(ACCT, r)).await;
        let region = enable_and_settle(&api, &key, &role).await;
        assert_eq!(region["status"], "ENABLE_FAILED");
        assert!(
            message(&region).contains("(trust policy)"),
            "{}",
            message(&region)
        );
    }
}

#[tokio::test]
async fn a_key_policy_missing_an_action_fails_as_a_key_policy_problem() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r).replace(r#""kms:GenerateDataKey*","#, "")
    })
    .await;
    let region = enable_and_settle(&api, &key, &role).await;
    assert_eq!(region["status"], "ENABLE_FAILED");
    let m = message(&region);
    assert!(
        m.contains("(key policy)") && m.contains("kms:GenerateDataKey"),
        "{m}"
    );
}

#[tokio::test]
async fn the_account_root_statement_alone_does_not_grant_a_role_without_permissions() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
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
    let key = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let region = enable_and_settle(&api, key.arn().unwrap(), role.arn()).await;
    assert_eq!(region["status"], "ENABLE_FAILED");
    assert!(message(&region).contains("(key policy)"));
}

#[tokio::test]
async fn a_disabled_or_deleting_key_fails_as_a_key_state_problem() {
    for action in ["disable", "schedule"] {
        let api = common::start().await;
        let aws = Aws::sandbox(&api.sb);
        let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
            crdb_key_policy(ACCT, r)
        })
        .await;
        if action == "disable" {
            aws.kms.disable_key().key_id(&key).send().await.unwrap();
        } else {
            aws.kms
                .schedule_key_deletion()
                .key_id(&key)
                .send()
                .await
                .unwrap();
        }
        let region = enable_and_settle(&api, &key, &role).await;
        assert_eq!(region["status"], "ENABLE_FAILED");
        let m = message(&region);
        assert!(m.contains("(key state)"), "{m}");
    }
}

#[tokio::test]
async fn a_missing_role_or_key_fails_and_says_which() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let key = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let region = enable_and_settle(
        &api,
        key.arn().unwrap(),
        &format!("arn:aws:iam::{ACCT}:role/nope"),
    )
    .await;
    assert_eq!(region["status"], "ENABLE_FAILED");
    assert!(message(&region).contains("(role)"), "{}", message(&region));

    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
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
    let ghost = format!("arn:aws:kms:us-east-1:{ACCT}:key/00000000-0000-4000-8000-000000000000");
    let region = enable_and_settle(&api, &ghost, role.arn()).await;
    assert!(message(&region).contains("(key)"), "{}", message(&region));
}

#[tokio::test]
async fn extra_actions_still_enable_and_are_noted() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r).replace(
            r#""kms:ReEncrypt*"]"#,
            r#""kms:ReEncrypt*","kms:CreateGrant"]"#,
        )
    })
    .await;
    let region = enable_and_settle(&api, &key, &role).await;
    assert_eq!(region["status"], "ENABLED");
    assert!(
        message(&region).contains("kms:CreateGrant"),
        "{}",
        message(&region)
    );
}

#[tokio::test]
async fn losing_key_access_is_revoked_on_recheck_and_restoring_it_needs_support() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r)
    })
    .await;
    assert_eq!(
        enable_and_settle(&api, &key, &role).await["status"],
        "ENABLED"
    );
    assert_eq!(
        api.sb.recheck_key_access(AWS_CLUSTER_ID),
        vec![("us-east-1".to_string(), true)]
    );

    // Lever "remove CockroachDB's account from the role's trust".
    let other = crdb_trust("999999999999", ORG_ID);
    aws.iam
        .update_assume_role_policy()
        .role_name("crdb-cmek")
        .policy_document(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.sb.recheck_key_access(AWS_CLUSTER_ID),
        vec![("us-east-1".to_string(), false)]
    );
    let info = api.sb.cmek_info(AWS_CLUSTER_ID).unwrap();
    assert_eq!(info["region_infos"][0]["status"], "REVOKED");
    let m = message(&info["region_infos"][0]);
    assert!(
        m.starts_with(KEY_ACCESS_FAILING) && m.contains("(trust policy)"),
        "{m}"
    );

    aws.iam
        .update_assume_role_policy()
        .role_name("crdb-cmek")
        .policy_document(crdb_trust(AWS_ACCOUNT_ID, ORG_ID))
        .send()
        .await
        .unwrap();
    api.sb.recheck_key_access(AWS_CLUSTER_ID);
    let info = api.sb.cmek_info(AWS_CLUSTER_ID).unwrap();
    assert_eq!(info["region_infos"][0]["status"], "REVOKED");
    assert_eq!(message(&info["region_infos"][0]), KEY_ACCESS_RESTORED);
}

#[tokio::test]
async fn removing_the_roles_key_policy_statement_is_revoked_on_recheck() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r)
    })
    .await;
    assert_eq!(
        enable_and_settle(&api, &key, &role).await["status"],
        "ENABLED"
    );
    let root_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    aws.kms
        .put_key_policy()
        .key_id(&key)
        .policy(root_only)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.sb.recheck_key_access(AWS_CLUSTER_ID),
        vec![("us-east-1".to_string(), false)]
    );
    let info = api.sb.cmek_info(AWS_CLUSTER_ID).unwrap();
    assert!(message(&info["region_infos"][0]).contains("(key policy)"));
}

#[tokio::test]
async fn a_deleted_role_shows_as_its_unique_id_in_the_key_policy() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r)
    })
    .await;
    let id = api.sb.aws_role(&role).unwrap().id;
    aws.iam
        .delete_role()
        .role_name("crdb-cmek")
        .send()
        .await
        .unwrap();
    let policy = aws
        .kms
        .get_key_policy()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert!(
        policy.contains(&format!("\"{id}\"")) && !policy.contains(&role),
        "{policy}"
    );
}

#[tokio::test]
async fn rotating_to_a_key_the_role_cannot_use_fails_as_a_key_policy_problem() {
    let api = common::start().await;
    let aws = Aws::sandbox(&api.sb);
    let (key, role) = provision(&aws, &crdb_trust(AWS_ACCOUNT_ID, ORG_ID), |r| {
        crdb_key_policy(ACCT, r)
    })
    .await;
    assert_eq!(
        enable_and_settle(&api, &key, &role).await["status"],
        "ENABLED"
    );
    let url = cmek_url(AWS_CLUSTER_ID);
    let bare = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let (s, b) = api
        .crdb(
            reqwest::Method::PUT,
            &url,
            Some(json!({"region_specs": [spec(bare.arn().unwrap(), &role)]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let region = settle(&api, &url).await["region_infos"][0].clone();
    assert_eq!(region["status"], "ROTATE_FAILED");
    assert!(
        message(&region).contains("(key policy)"),
        "{}",
        message(&region)
    );

    let good = aws
        .kms
        .create_key()
        .policy(crdb_key_policy(ACCT, &role))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let (s, b) = api
        .crdb(
            reqwest::Method::PUT,
            &url,
            Some(json!({"region_specs": [spec(good.arn().unwrap(), &role)]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let region = settle(&api, &url).await["region_infos"][0].clone();
    assert_eq!(region["status"], "ENABLED", "{region}");
    assert_eq!(region["key_infos"][0]["status"], "DISABLED", "{region}");
}
