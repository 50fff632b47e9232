//! The AWS client over the real wire protocols: against the sandbox's AWS fake (principals
//! enforced) and against moto in server mode (the reference no one here wrote).

mod common;

use cmek_core::aws::model::NewKey;
use cmek_core::aws::statements::{default_key_policy, key_statement, trust_policy, KEY_POLICY_SID};
use cmek_core::ErrorCode;
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CALLER_ARN, AWS_CUSTOMER_ACCOUNT_ID};
use common::{sandbox_client, Recorder};
use std::sync::Arc;

const ORG: &str = "7a1b2c3d-0000-4000-8000-000000000001";
const CRL: &str = "810912345678";

/// Role, key, alias, rotation and key policy, read back; the same sequence serves both servers.
async fn role_and_key(aws: &cmek_aws::AwsClient, account: &str) -> (String, String) {
    let trust = trust_policy("aws", CRL, ORG);
    assert!(aws.get_role("crdb-cmek-test").await.unwrap().is_none());
    let role = aws
        .create_role("crdb-cmek-test", &trust, "test role")
        .await
        .unwrap();
    assert_eq!(
        role.arn,
        format!("arn:aws:iam::{account}:role/crdb-cmek-test")
    );
    let read = aws.get_role("crdb-cmek-test").await.unwrap().unwrap();
    assert_eq!(
        read.trust_policy.statements(),
        trust.statements(),
        "trust decoded from IAM's URL encoding"
    );
    let again = aws
        .create_role("crdb-cmek-test", &trust, "test role")
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::AlreadyExists, "{again:?}");
    assert!(aws
        .role_policies("crdb-cmek-test")
        .await
        .unwrap()
        .attached
        .is_empty());

    let key = aws
        .create_key(
            "us-east-1",
            &NewKey {
                description: "test".into(),
                multi_region: false,
                tags: vec![("cmek-desk:alias".into(), "alias/t".into())],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            key.key_spec.as_str(),
            key.key_usage.as_str(),
            key.key_state.as_str()
        ),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Enabled")
    );
    aws.create_alias("us-east-1", "alias/t", &key.key_id)
        .await
        .unwrap();
    let by_alias = aws
        .describe_key("us-east-1", "alias/t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_alias.arn, key.arn);
    assert!(aws
        .describe_key("us-east-1", "alias/none")
        .await
        .unwrap()
        .is_none());
    assert!(!aws
        .key_rotation_enabled("us-east-1", &key.key_id)
        .await
        .unwrap());
    aws.enable_key_rotation("us-east-1", &key.key_id)
        .await
        .unwrap();
    assert!(aws
        .key_rotation_enabled("us-east-1", &key.key_id)
        .await
        .unwrap());

    let mut policy = aws.get_key_policy("us-east-1", &key.key_id).await.unwrap();
    assert_eq!(
        policy.aws_principals(),
        default_key_policy("aws", account).aws_principals()
    );
    assert!(policy.upsert(key_statement(&role.arn)));
    aws.put_key_policy("us-east-1", &key.key_id, &policy)
        .await
        .unwrap();
    let back = aws.get_key_policy("us-east-1", &key.key_id).await.unwrap();
    assert_eq!(
        back.find_sid(KEY_POLICY_SID),
        policy.find_sid(KEY_POLICY_SID)
    );
    assert!(aws
        .list_keys("us-east-1")
        .await
        .unwrap()
        .contains(&key.key_id));
    assert!(aws
        .list_aliases("us-east-1", Some(&key.key_id))
        .await
        .unwrap()
        .iter()
        .any(|a| a.alias_name == "alias/t"));
    (role.arn, key.key_id)
}

#[tokio::test]
async fn the_client_speaks_to_the_sandbox_and_reports_every_write() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let recorder = Arc::new(Recorder::default());
    let aws = sandbox_client(&sb).await.with_observer(recorder.clone());
    let me = aws.caller_identity().await.unwrap();
    assert_eq!(
        (me.account.as_str(), me.arn.as_str()),
        (AWS_CUSTOMER_ACCOUNT_ID, AWS_CALLER_ARN)
    );
    let (_role, key_id) = role_and_key(&aws, AWS_CUSTOMER_ACCOUNT_ID).await;
    // Writes: CreateRole ×2 (one refused), CreateKey, CreateAlias, EnableKeyRotation, PutKeyPolicy.
    assert_eq!(aws.write_calls(), 6);
    let intents = recorder.intents.lock().unwrap().clone();
    let actions: Vec<&str> = intents
        .iter()
        .map(|(u, _)| u.rsplit('#').next().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "CreateRole",
            "CreateRole",
            "CreateKey",
            "CreateAlias",
            "EnableKeyRotation",
            "PutKeyPolicy"
        ]
    );
    let outcomes = recorder.outcomes.lock().unwrap().clone();
    assert_eq!(
        outcomes.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
        [true, false, true, true, true, true]
    );
    assert!(
        intents
            .iter()
            .all(|(u, _)| u.starts_with(&sb.endpoints().aws)),
        "{intents:?}"
    );

    // B27 at the wire: a principal that does not exist is refused with AWS's message.
    let mut policy = aws.get_key_policy("us-east-1", &key_id).await.unwrap();
    policy.upsert(key_statement(&format!(
        "arn:aws:iam::{AWS_CUSTOMER_ACCOUNT_ID}:role/no-such-role"
    )));
    let e = aws
        .put_key_policy("us-east-1", &key_id, &policy)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e:?}");
    assert!(
        e.message.contains("MalformedPolicyDocumentException"),
        "{}",
        e.message
    );
    assert_eq!(e.resource.as_deref(), Some(key_id.as_str()));
}

#[tokio::test]
async fn unknown_credentials_are_unauthenticated_and_missing_things_not_found() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let stranger =
        common::client(&sb.endpoints().aws, "SANDBOX-UNKNOWN-KEY", "x", "us-east-1").await;
    let e = stranger.caller_identity().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e:?}");
    let aws = sandbox_client(&sb).await;
    let e = aws
        .get_key_policy("us-east-1", "0b1c2d3e-4f5a-4b6c-8d7e-000000000000")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e:?}");
    // Nothing listens here: a read is retried, then surfaces as a transport failure.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = common::client(
        &format!("http://127.0.0.1:{port}"),
        "AKIA",
        "x",
        "us-east-1",
    )
    .await;
    let e = dead.caller_identity().await.unwrap_err();
    assert!(e.is_transport(), "{e:?}");
}

#[tokio::test]
async fn the_same_calls_work_against_moto() {
    let Some(moto) = common::start_moto("111122223333") else {
        return;
    };
    let aws = common::client(&moto.endpoint, "testing", "testing", "us-east-1").await;
    let me = aws.caller_identity().await.unwrap();
    assert_eq!(me.account, "111122223333");
    let (_role, key_id) = role_and_key(&aws, "111122223333").await;
    // Calls the sandbox does not serve (the audit's, and B27's check of IAM users).
    assert_eq!(
        aws.key_tags("us-east-1", &key_id).await.unwrap(),
        [("cmek-desk:alias".to_owned(), "alias/t".to_owned())]
    );
    assert!(!aws.user_exists("nobody").await.unwrap());
    let mr = aws
        .create_key(
            "us-east-1",
            &NewKey {
                description: "mr".into(),
                multi_region: true,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    assert!(mr.key_id.starts_with("mrk-"), "{mr:?}");
    let replica = aws
        .replicate_key("us-east-1", &mr.key_id, "us-west-2", "replica", &[])
        .await
        .unwrap();
    assert_eq!(replica.key_id, mr.key_id);
    assert_eq!(replica.region, "us-west-2");
    assert_eq!(aws.write_calls(), 8);
}
