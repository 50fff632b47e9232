//! Table tests of the AWS names, trust checks and equivalent commands.

use super::arn::*;
use super::policy::PolicyDocument;
use super::statements::*;
use crate::error::ErrorCode;
use serde_json::json;

const ORG: &str = "2f5a0b6c-0000-4000-8000-000000000001";
const CRL: &str = "810912345678";

#[test]
fn names_follow_the_aws_rules() {
    let table: Vec<(&str, crate::Result<()>, bool)> = vec![
        (
            "account 12 digits",
            validate_account_id("a", "123456789012"),
            true,
        ),
        (
            "account 11 digits",
            validate_account_id("a", "12345678901"),
            false,
        ),
        (
            "account letters",
            validate_account_id("a", "12345678901x"),
            false,
        ),
        ("region", validate_region("r", "us-east-1"), true),
        ("gov region", validate_region("r", "us-gov-west-1"), true),
        (
            "region ap-southeast-4",
            validate_region("r", "ap-southeast-4"),
            true,
        ),
        ("gcp region", validate_region("r", "us-east4"), false),
        ("upper case", validate_region("r", "US-EAST-1"), false),
        ("no number", validate_region("r", "us-east"), false),
        ("role", validate_role_name("n", "crdb-cmek_1+=,.@"), true),
        ("role 65", validate_role_name("n", &"r".repeat(65)), false),
        ("role slash", validate_role_name("n", "a/b"), false),
        ("role empty", validate_role_name("n", ""), false),
    ];
    for (name, got, ok) in table {
        assert_eq!(got.is_ok(), ok, "{name}: {got:?}");
        if let Err(e) = got {
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert!(
                e.message.contains(": an ") || e.message.contains(": a"),
                "{name}: {}",
                e.message
            );
        }
    }
}

#[test]
fn aliases_are_normalised_and_checked() {
    assert_eq!(
        normalize_alias("key_alias", "crdb-1").unwrap(),
        "alias/crdb-1"
    );
    assert_eq!(
        normalize_alias("key_alias", "alias/a/b_c").unwrap(),
        "alias/a/b_c"
    );
    for bad in [
        "alias/aws/ebs",
        "aws/x",
        "",
        "alias/",
        "has space",
        &"a".repeat(251),
    ] {
        let e = normalize_alias("key_alias", bad).unwrap_err();
        assert!(
            e.message.starts_with("Key alias: ") && e.resource.as_deref() == Some("key_alias"),
            "{bad}: {}",
            e.message
        );
    }
}

#[test]
fn arns_parse_and_print_back() {
    let role = RoleArn::parse("role", "arn:aws:iam::111122223333:role/team/crdb-cmek").unwrap();
    assert_eq!(
        (
            role.account.as_str(),
            role.path.as_str(),
            role.name.as_str()
        ),
        ("111122223333", "/team/", "crdb-cmek")
    );
    assert_eq!(
        role.to_string(),
        "arn:aws:iam::111122223333:role/team/crdb-cmek"
    );
    assert_eq!(
        RoleArn::new("aws", "111122223333", "r").to_string(),
        "arn:aws:iam::111122223333:role/r"
    );
    let key = KeyArn::parse(
        "uri",
        "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef",
    )
    .unwrap();
    assert!(key.is_multi_region());
    assert_eq!(
        key.to_string(),
        "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef"
    );
    let bad: Vec<(&str, crate::Result<()>)> = vec![
        (
            "user is not a role",
            RoleArn::parse("role", "arn:aws:iam::111122223333:user/x").map(|_| ()),
        ),
        (
            "short account",
            RoleArn::parse("role", "arn:aws:iam::1111:role/x").map(|_| ()),
        ),
        (
            "not an arn",
            RoleArn::parse("role", "crdb-cmek").map(|_| ()),
        ),
        (
            "alias is not a key",
            KeyArn::parse("uri", "arn:aws:kms:us-east-1:111122223333:alias/x").map(|_| ()),
        ),
        (
            "bad key id",
            KeyArn::parse("uri", "arn:aws:kms:us-east-1:111122223333:key/xyz").map(|_| ()),
        ),
        (
            "bad region",
            KeyArn::parse(
                "uri",
                "arn:aws:kms:useast:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
            )
            .map(|_| ()),
        ),
    ];
    for (name, r) in bad {
        let e = r.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{name}");
        assert!(
            e.message.starts_with("role: ") || e.message.starts_with("uri: "),
            "{name}: {}",
            e.message
        );
    }
    assert_eq!(partition_of("cn-north-1"), "aws-cn");
    assert_eq!(partition_of("us-gov-east-1"), "aws-us-gov");
    assert_eq!(partition_of("eu-west-1"), "aws");
}

#[test]
fn principals_are_classified() {
    let table = [
        ("111122223333", PrincipalRef::Account("111122223333".into())),
        (
            "arn:aws:iam::111122223333:root",
            PrincipalRef::Account("111122223333".into()),
        ),
        (
            "arn:aws:iam::111122223333:role/p/r",
            PrincipalRef::Role {
                account: "111122223333".into(),
                name: "r".into(),
            },
        ),
        (
            "arn:aws:iam::111122223333:user/u",
            PrincipalRef::User {
                account: "111122223333".into(),
                name: "u".into(),
            },
        ),
        ("AROAEXAMPLEID", PrincipalRef::Other("AROAEXAMPLEID".into())),
        (
            "arn:aws:sts::111122223333:assumed-role/r/s",
            PrincipalRef::Other("arn:aws:sts::111122223333:assumed-role/r/s".into()),
        ),
    ];
    for (id, want) in table {
        assert_eq!(PrincipalRef::classify(id), want, "{id}");
    }
}

#[test]
fn trust_checks_and_fixes() {
    let ours = trust_policy("aws", CRL, ORG);
    assert_eq!(
        check_trust(&ours, "aws", CRL, ORG),
        TrustCheck {
            statement: Some(0),
            issue: None
        }
    );
    let no_external_id: PolicyDocument = serde_json::from_value(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Ec2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": CRL}, "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]})).unwrap();
    let wrong_id: PolicyDocument = serde_json::from_value(json!({"Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{CRL}:root")}, "Action": ["sts:AssumeRole"],
        "Condition": {"StringEquals": {"sts:ExternalId": "old-org"}}}]}))
    .unwrap();
    let other_account: PolicyDocument =
        serde_json::from_value(json!({"Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]}))
        .unwrap();
    let table = [
        (
            &no_external_id,
            Some(1),
            "without the condition StringEquals sts:ExternalId",
        ),
        (&wrong_id, Some(0), "requires sts:ExternalId old-org"),
        (
            &other_account,
            None,
            "does not trust CockroachDB's AWS account 810912345678",
        ),
    ];
    for (doc, index, words) in table {
        let c = check_trust(doc, "aws", CRL, ORG);
        assert_eq!(c.statement, index, "{words}");
        assert!(c.issue.as_deref().unwrap().contains(words), "{:?}", c.issue);
        let fixed = fix_trust(doc, "aws", CRL, ORG);
        assert_eq!(check_trust(&fixed, "aws", CRL, ORG).issue, None, "{words}");
        // Every statement that was there is still there.
        assert!(fixed.statements().len() >= doc.statements().len());
    }
    let fixed = fix_trust(&no_external_id, "aws", CRL, ORG);
    assert_eq!(fixed.statements()[0], no_external_id.statements()[0]);
    let cond = fixed.statements()[1].condition.clone().unwrap();
    assert_eq!(cond["Bool"]["aws:SecureTransport"], json!("true"));
    assert_eq!(cond["StringEquals"][EXTERNAL_ID_KEY], json!(ORG));
    assert_eq!(fix_trust(&ours, "aws", CRL, ORG), ours);
}
