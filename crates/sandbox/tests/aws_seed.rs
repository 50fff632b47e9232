//! The AWS seeds: an empty demo customer account, and the audit account with one
//! misconfiguration per AWS audit check and a clean twin for each (see `aws::seed`).

mod aws_common;

use aws_common::{decode, Aws};
use aws_sdk_kms::types::KeyState;
use cmek_sandbox::aws::seed::{
    audit_key_arn, AUDIT_KEYS, AWS_C03_CLUSTER, AWS_C05_CLUSTER, DELETED_ROLE_ID,
};
use cmek_sandbox::seed_audit::AWS_CMEK_CLUSTER;
use cmek_sandbox::{
    Sandbox, SandboxConfig, AWS_AUDIT_ACCESS_KEY_ID, AWS_AUDIT_ACCOUNT_ID,
    AWS_AUDIT_SECRET_ACCESS_KEY,
};

fn auditor(sb: &cmek_sandbox::SandboxHandle) -> Aws {
    Aws::new(
        &sb.endpoints().aws,
        AWS_AUDIT_ACCESS_KEY_ID,
        AWS_AUDIT_SECRET_ACCESS_KEY,
        "us-east-1",
    )
}

#[tokio::test]
async fn the_demo_customer_account_has_nothing_cmek_related_yet() {
    let sb = Sandbox::start(SandboxConfig::demo().with_latency(std::time::Duration::ZERO)).await;
    let aws = Aws::sandbox(&sb);
    assert!(aws
        .iam
        .list_roles()
        .send()
        .await
        .unwrap()
        .roles()
        .is_empty());
    assert!(aws.kms.list_keys().send().await.unwrap().keys().is_empty());
    assert!(aws
        .kms
        .list_aliases()
        .send()
        .await
        .unwrap()
        .aliases()
        .is_empty());
    // Without the audit seed the audit account is empty too.
    assert!(auditor(&sb)
        .kms
        .list_keys()
        .send()
        .await
        .unwrap()
        .keys()
        .is_empty());
}

#[tokio::test]
async fn the_audit_account_holds_one_case_per_aws_check_and_a_twin() {
    let sb = Sandbox::start(SandboxConfig::audit_demo()).await;
    let aws = auditor(&sb);
    let me = aws.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(AWS_AUDIT_ACCOUNT_ID));
    let aliases = aws.kms.list_aliases().send().await.unwrap();
    for k in AUDIT_KEYS.iter().chain(&["crdb-cmek"]) {
        assert!(
            aliases
                .aliases()
                .iter()
                .any(|a| a.alias_name() == Some(&format!("alias/{k}"))),
            "{k}"
        );
    }
    let policy = |k: &'static str| {
        let aws = &aws;
        async move {
            aws.kms
                .get_key_policy()
                .key_id(format!("alias/{k}"))
                .send()
                .await
                .unwrap()
                .policy
                .unwrap()
        }
    };
    assert!(policy("a02-bad").await.contains(r#"{"AWS":"*"}"#));
    assert!(policy("a02-clean").await.contains("kms:CallerAccount"));
    assert!(policy("a14-bad").await.contains(DELETED_ROLE_ID));
    assert!(!policy("a14-clean").await.contains("AROA"));
    assert!(policy("crdb-c03").await.contains(r#""Action":"kms:*""#));

    let rot = |k: &'static str| {
        let aws = &aws;
        async move {
            aws.kms
                .get_key_rotation_status()
                .key_id(audit_key_arn(k))
                .send()
                .await
                .unwrap()
                .key_rotation_enabled()
        }
    };
    assert!(!rot("a05-bad").await);
    assert!(rot("a05-clean").await);

    let meta = |k: &'static str| {
        let aws = &aws;
        async move {
            aws.kms
                .describe_key()
                .key_id(format!("alias/{k}"))
                .send()
                .await
                .unwrap()
                .key_metadata
                .unwrap()
        }
    };
    let pending = meta("a09-bad").await;
    assert_eq!(pending.key_state(), Some(&KeyState::PendingDeletion));
    assert!(pending.deletion_date().is_some());
    assert_eq!(
        meta("a09-clean").await.key_state(),
        Some(&KeyState::Enabled)
    );
    assert_eq!(meta("a10-bad").await.key_state(), Some(&KeyState::Disabled));
    let mrk = meta("a13-bad").await;
    assert!(mrk.multi_region().unwrap() && mrk.key_id().starts_with("mrk-"));
    assert_eq!(
        mrk.multi_region_configuration()
            .unwrap()
            .replica_keys()
            .len(),
        1
    );
    assert!(!meta("a13-clean").await.multi_region().unwrap());

    let inline = aws
        .iam
        .get_role_policy()
        .role_name("a12-bad")
        .policy_name("kms")
        .send()
        .await
        .unwrap();
    assert!(decode(inline.policy_document()).contains(r#""Action":"kms:*""#));
    let local = aws
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert_eq!(local.policies().len(), 2);
    let attached = aws
        .iam
        .list_attached_role_policies()
        .role_name("a12-managed-bad")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    let trust = aws
        .iam
        .get_role()
        .role_name("crdb-c05-bad")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert!(!decode(trust.assume_role_policy_document().unwrap()).contains("ExternalId"));
}

#[tokio::test]
async fn the_audit_aws_clusters_agree_with_cockroachdbs_own_check() {
    let sb = Sandbox::start(SandboxConfig::audit_demo()).await;
    assert_eq!(
        sb.recheck_key_access(AWS_CMEK_CLUSTER),
        vec![("us-east-1".to_string(), true)]
    );
    // C03: kms:* for the role still works, and CockroachDB's message notes it.
    assert_eq!(
        sb.recheck_key_access(AWS_C03_CLUSTER),
        vec![("us-east-1".to_string(), true)]
    );
    let info = sb.cmek_info(AWS_C03_CLUSTER).unwrap();
    assert!(info["region_infos"][0]["key_infos"][0]["user_message"]
        .as_str()
        .unwrap()
        .contains("kms:*"));
    // C05: a trust policy without the ExternalId is what CockroachDB refuses.
    assert_eq!(
        sb.recheck_key_access(AWS_C05_CLUSTER),
        vec![("us-east-1".to_string(), false)]
    );
    let info = sb.cmek_info(AWS_C05_CLUSTER).unwrap();
    assert!(info["region_infos"][0]["key_infos"][0]["user_message"]
        .as_str()
        .unwrap()
        .contains("(trust policy)"));
}
