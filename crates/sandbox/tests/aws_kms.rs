//! KMS keys through the official SDK (JSON 1.1): create, describe by id/ARN/alias, aliases,
//! pagination, verbatim key policies, rotation, state, deletion and multi-Region replicas.

mod aws_common;

use aws_common::Aws;
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CUSTOMER_ACCOUNT_ID};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

#[tokio::test]
async fn kms_keys_aliases_policies_rotation_and_state() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let k = aws
        .kms
        .create_key()
        .description("CMEK")
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .tags(
            Tag::builder()
                .tag_key("app")
                .tag_value("crdb")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let (id, arn) = (k.key_id().to_string(), k.arn().unwrap().to_string());
    assert_eq!(arn, format!("arn:aws:kms:us-east-1:{ACCT}:key/{id}"));
    assert_eq!(k.key_state(), Some(&KeyState::Enabled));
    assert!(!k.multi_region().unwrap());

    let pol = aws.kms.get_key_policy().key_id(&id).send().await.unwrap();
    assert!(pol
        .policy()
        .unwrap()
        .contains(&format!("arn:aws:iam::{ACCT}:root")));
    assert_eq!(pol.policy_name(), Some("default"));

    aws.kms
        .create_alias()
        .alias_name("alias/crdb-cmek")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let e = aws
        .kms
        .create_alias()
        .alias_name("alias/crdb-cmek")
        .target_key_id(&id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_already_exists_exception(), "{e:?}");
    for key_id in [
        id.clone(),
        arn.clone(),
        "alias/crdb-cmek".into(),
        format!("arn:aws:kms:us-east-1:{ACCT}:alias/crdb-cmek"),
    ] {
        let d = aws
            .kms
            .describe_key()
            .key_id(key_id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(d.key_id(), id);
    }
    let e = aws
        .kms
        .describe_key()
        .key_id("alias/nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_not_found_exception(), "{e:?}");
    let other = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let all = aws.kms.list_aliases().send().await.unwrap();
    assert_eq!(all.aliases().len(), 1);
    let none = aws
        .kms
        .list_aliases()
        .key_id(other.key_id())
        .send()
        .await
        .unwrap();
    assert!(none.aliases().is_empty());
    let p1 = aws.kms.list_keys().limit(1).send().await.unwrap();
    assert!(p1.truncated());
    let p2 = aws
        .kms
        .list_keys()
        .limit(1)
        .marker(p1.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!p2.truncated());
    assert_eq!(
        aws.kms
            .list_key_policies()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .policy_names(),
        ["default"]
    );

    // Written policies come back verbatim (whitespace included).
    let text = format!("{{ \"Version\": \"2012-10-17\",\n \"Statement\": [{{\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{ACCT}:root\"}},\"Action\":\"kms:*\",\"Resource\":\"*\"}}]}}");
    aws.kms
        .put_key_policy()
        .key_id(&id)
        .policy(&text)
        .send()
        .await
        .unwrap();
    assert_eq!(
        aws.kms
            .get_key_policy()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .policy(),
        Some(text.as_str())
    );

    let st = aws
        .kms
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert!(!st.key_rotation_enabled());
    aws.kms
        .enable_key_rotation()
        .key_id(&id)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();
    let st = aws
        .kms
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert!(st.key_rotation_enabled());
    assert_eq!(st.rotation_period_in_days(), Some(180));

    aws.kms.disable_key().key_id(&id).send().await.unwrap();
    let e = aws
        .kms
        .enable_key_rotation()
        .key_id(&id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_disabled_exception(), "{e:?}");
    aws.kms.enable_key().key_id(&id).send().await.unwrap();
    let s = aws
        .kms
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(s.key_state(), Some(&KeyState::PendingDeletion));
    let d = aws
        .kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(d.deletion_date().is_some());
    let e = aws
        .kms
        .enable_key()
        .key_id(&id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_kms_invalid_state_exception(), "{e:?}");
    aws.kms
        .cancel_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let d = aws
        .kms
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(d.key_state(), Some(&KeyState::Disabled));
    assert!(d.deletion_date().is_none());
}

#[tokio::test]
async fn multi_region_keys_replicate_with_the_same_id() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let k = aws
        .kms
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(k.key_id().starts_with("mrk-"));
    let r = aws
        .kms
        .replicate_key()
        .key_id(k.key_id())
        .replica_region("eu-west-1")
        .send()
        .await
        .unwrap();
    let rep = r.replica_key_metadata.unwrap();
    assert_eq!(rep.key_id(), k.key_id());
    assert_eq!(
        rep.arn().unwrap(),
        format!("arn:aws:kms:eu-west-1:{ACCT}:key/{}", k.key_id())
    );
    let e = aws
        .kms
        .describe_key()
        .key_id(rep.arn().unwrap())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        e.is_not_found_exception(),
        "an ARN of another region: {e:?}"
    );
    let eu = Aws::sandbox_in(&sb, "eu-west-1");
    let d = eu
        .kms
        .describe_key()
        .key_id(k.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let cfg = d.multi_region_configuration().unwrap();
    assert_eq!(
        cfg.multi_region_key_type().map(|t| t.as_str()),
        Some("REPLICA")
    );
    assert_eq!(cfg.primary_key().unwrap().region(), Some("us-east-1"));
    let d = aws
        .kms
        .describe_key()
        .key_id(k.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(
        d.multi_region_configuration().unwrap().replica_keys().len(),
        1
    );
    let e = aws
        .kms
        .replicate_key()
        .key_id(k.key_id())
        .replica_region("eu-west-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_already_exists_exception(), "{e:?}");
    let single = aws
        .kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let e = aws
        .kms
        .replicate_key()
        .key_id(single.key_id())
        .replica_region("eu-west-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_unsupported_operation_exception(), "{e:?}");
    assert_eq!(eu.kms.list_keys().send().await.unwrap().keys().len(), 1);
}
