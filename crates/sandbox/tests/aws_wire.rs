//! The sandbox's AWS endpoint through the official AWS SDK for Rust: wire protocols (KMS JSON
//! 1.1, IAM/STS Query), authentication, operations, the CMEK behaviours (B26, B27), the
//! key-policy tamper switch and the request log.

mod aws_common;

use std::time::Duration;

use aws_common::{crdb_key_policy, crdb_trust, decode, Aws};
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use cmek_sandbox::seed::{AWS_ACCOUNT_ID, ORG_ID};
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CALLER_ARN, AWS_CUSTOMER_ACCOUNT_ID};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

#[tokio::test]
async fn sts_says_who_you_are_and_unknown_keys_get_each_services_auth_error() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let me = aws.sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(ACCT));
    assert_eq!(me.arn(), Some(AWS_CALLER_ARN));

    let bad = Aws::new(
        &sb.endpoints().aws,
        "AKIAUNKNOWNKEY000000",
        "x",
        "us-east-1",
    );
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
async fn iam_roles_and_policies_round_trip() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let aws = Aws::sandbox(&sb);
    let trust = crdb_trust(AWS_ACCOUNT_ID, ORG_ID);
    let role = aws
        .iam
        .create_role()
        .role_name("crdb-cmek")
        .assume_role_policy_document(&trust)
        .description("CockroachDB CMEK")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(role.arn(), format!("arn:aws:iam::{ACCT}:role/crdb-cmek"));
    assert!(role.role_id().starts_with("AROA"));
    let e = aws
        .iam
        .create_role()
        .role_name("crdb-cmek")
        .assume_role_policy_document(&trust)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_entity_already_exists_exception(), "{e:?}");

    let got = aws
        .iam
        .get_role()
        .role_name("crdb-cmek")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(decode(got.assume_role_policy_document().unwrap()), trust);
    assert_eq!(got.description(), Some("CockroachDB CMEK"));
    let e = aws
        .iam
        .get_role()
        .role_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404);
    assert!(e.into_service_error().is_no_such_entity_exception());

    let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::810912345678:root"},"Action":"sts:AssumeRole"}]}"#;
    aws.iam
        .update_assume_role_policy()
        .role_name("crdb-cmek")
        .policy_document(open)
        .send()
        .await
        .unwrap();
    let got = aws
        .iam
        .get_role()
        .role_name("crdb-cmek")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(decode(got.assume_role_policy_document().unwrap()), open);

    for i in 0..3 {
        aws.iam
            .create_role()
            .role_name(format!("r{i}"))
            .path("/svc/")
            .assume_role_policy_document(open)
            .send()
            .await
            .unwrap();
    }
    let p1 = aws.iam.list_roles().max_items(2).send().await.unwrap();
    assert_eq!(p1.roles().len(), 2);
    assert!(p1.is_truncated());
    let p2 = aws
        .iam
        .list_roles()
        .max_items(2)
        .marker(p1.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(p2.roles().len(), 2);
    assert!(!p2.is_truncated());
    let svc = aws
        .iam
        .list_roles()
        .path_prefix("/svc/")
        .send()
        .await
        .unwrap();
    assert_eq!(svc.roles().len(), 3);

    let star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    aws.iam
        .put_role_policy()
        .role_name("r0")
        .policy_name("kms-all")
        .policy_document(star)
        .send()
        .await
        .unwrap();
    let names = aws
        .iam
        .list_role_policies()
        .role_name("r0")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["kms-all"]);
    let doc = aws
        .iam
        .get_role_policy()
        .role_name("r0")
        .policy_name("kms-all")
        .send()
        .await
        .unwrap();
    assert_eq!(decode(doc.policy_document()), star);
    let pol = aws
        .iam
        .create_policy()
        .policy_name("kms-admin")
        .policy_document(star)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    let arn = pol.arn().unwrap().to_string();
    aws.iam
        .attach_role_policy()
        .role_name("r1")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let attached = aws
        .iam
        .list_attached_role_policies()
        .role_name("r1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_arn(),
        Some(arn.as_str())
    );
    let local = aws
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert_eq!(local.policies().len(), 1);
    assert_eq!(local.policies()[0].attachment_count(), Some(1));
    let p = aws
        .iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(p.default_version_id(), Some("v1"));
    let v = aws
        .iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap()
        .policy_version
        .unwrap();
    assert_eq!(decode(v.document().unwrap()), star);

    let e = aws
        .iam
        .delete_role()
        .role_name("r0")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_delete_conflict_exception(), "{e:?}");
    aws.iam
        .delete_role_policy()
        .role_name("r0")
        .policy_name("kms-all")
        .send()
        .await
        .unwrap();
    aws.iam.delete_role().role_name("r0").send().await.unwrap();
    let e = aws
        .iam
        .get_role()
        .role_name("r0")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_no_such_entity_exception());
}

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
