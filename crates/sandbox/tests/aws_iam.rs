//! IAM roles, inline and customer managed policies through the official SDK (Query protocol).

mod aws_common;

use aws_common::{crdb_trust, decode, Aws};
use cmek_sandbox::seed::{AWS_ACCOUNT_ID, ORG_ID};
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CUSTOMER_ACCOUNT_ID};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

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
