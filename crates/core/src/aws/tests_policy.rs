//! Table tests of policy documents: round-trip, read-modify-write, read-back comparison.

use super::policy::{action_matches, percent_decode, PolicyDocument};
use super::statements::*;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::111122223333:role/crdb-cmek";
const ORG: &str = "2f5a0b6c-0000-4000-8000-000000000001";
const CRL: &str = "810912345678";

fn doc(v: Value) -> PolicyDocument {
    serde_json::from_value(v).unwrap()
}

/// Another tool's key policy: an administrators statement (lone objects everywhere), a service
/// statement with a condition, and members nobody here models.
fn admin_policy() -> Value {
    json!({
        "Version": "2012-10-17", "Id": "key-consolepolicy-3",
        "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "AllowBackupService", "Effect": "Allow",
             "Principal": {"Service": ["backup.amazonaws.com"]}, "Action": ["kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}, "Bool": {"kms:GrantIsForAWSResource": true}},
             "FutureMember": {"x": 1}}
        ],
        "UnknownTop": ["kept"]
    })
}

#[test]
fn documents_round_trip_every_member_verbatim() {
    let cases = [
        admin_policy(),
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "NotResource": ["a", "b"]}}),
        json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": ["111122223333"]}, "NotAction": "kms:Decrypt", "Resource": "*"}]}),
    ];
    for v in cases {
        let d = doc(v.clone());
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
        assert_eq!(PolicyDocument::parse("p", &d.to_json()).unwrap(), d);
    }
}

#[test]
fn iam_url_encoded_trust_policies_are_decoded() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A810912345678%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
    let d = PolicyDocument::parse("trust", encoded).unwrap();
    assert_eq!(d.aws_principals(), ["arn:aws:iam::810912345678:root"]);
    assert_eq!(percent_decode("a%2Bb+c%ZZ%"), "a+b+c%ZZ%");
    let e = PolicyDocument::parse("trust of role r", "not json").unwrap_err();
    assert!(
        e.message.starts_with("trust of role r is not"),
        "{}",
        e.message
    );
}

#[test]
fn upsert_keeps_every_other_statement_and_replaces_only_our_sid() {
    let mut d = doc(admin_policy());
    assert!(d.upsert(key_statement(ROLE)));
    let sids: Vec<_> = d
        .statements()
        .iter()
        .map(|s| s.sid.clone().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "Enable IAM User Permissions",
            "AllowBackupService",
            KEY_POLICY_SID
        ]
    );
    assert_eq!(d.extra["UnknownTop"], json!(["kept"]));
    assert_eq!(d.statements()[1].extra["FutureMember"], json!({"x": 1}));
    // Same statement again: no change, so no write.
    assert!(!d.upsert(key_statement(ROLE)));
    // Another role under our Sid is replaced in place, not duplicated.
    assert!(d.upsert(key_statement("arn:aws:iam::111122223333:role/other")));
    assert_eq!(d.statements().len(), 3);
    assert_eq!(
        d.find_sid(KEY_POLICY_SID)
            .unwrap()
            .principal
            .as_ref()
            .unwrap()
            .aws_ids(),
        ["arn:aws:iam::111122223333:role/other"]
    );
    assert!(d.remove_sid(KEY_POLICY_SID));
    assert_eq!(d.statements().len(), 2);
}

#[test]
fn a_lone_statement_already_ours_is_not_rewritten() {
    let mut d = PolicyDocument::new(None);
    d.statement = super::policy::OneOrMany::One(key_statement(ROLE));
    let before = d.clone();
    assert!(!d.upsert(key_statement(ROLE)));
    assert_eq!(d, before);
}

#[test]
fn read_back_comparison_names_every_difference() {
    let meant = key_statement(ROLE);
    let alter = |f: &dyn Fn(&mut Value)| {
        let mut v = serde_json::to_value(&meant).unwrap();
        f(&mut v);
        serde_json::from_value(v).unwrap()
    };
    let table: Vec<(&str, super::policy::Statement, Vec<&str>)> = vec![
        ("same", meant.clone(), vec![]),
        (
            "order and case do not count",
            alter(&|v| {
                v["Action"] = json!([
                    "kms:reencrypt*",
                    "kms:DescribeKey",
                    "kms:GenerateDataKey*",
                    "kms:Decrypt",
                    "kms:Encrypt"
                ])
            }),
            vec![],
        ),
        (
            "gained an action",
            alter(&|v| {
                v["Action"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("kms:ScheduleKeyDeletion"))
            }),
            vec!["action kms:ScheduleKeyDeletion was added"],
        ),
        (
            "lost an action",
            alter(&|v| {
                v["Action"] = json!([
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey"
                ])
            }),
            vec!["action kms:ReEncrypt* is missing"],
        ),
        (
            "other principal",
            alter(&|v| v["Principal"] = json!({"AWS": "arn:aws:iam::111122223333:role/x"})),
            vec![
                "principal AWS:arn:aws:iam::111122223333:role/crdb-cmek is missing",
                "principal AWS:arn:aws:iam::111122223333:role/x was added",
            ],
        ),
        (
            "deny",
            alter(&|v| v["Effect"] = json!("Deny")),
            vec!["Effect is Deny, meant Allow"],
        ),
        (
            "gained a condition",
            alter(&|v| {
                v["Condition"] =
                    json!({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}})
            }),
            vec!["condition StringEquals kms:ViaService = s3.us-east-1.amazonaws.com was added"],
        ),
        (
            "resource",
            alter(&|v| v["Resource"] = json!("arn:x")),
            vec!["resource * is missing", "resource arn:x was added"],
        ),
    ];
    for (name, found, want) in table {
        assert_eq!(compare_statement(&meant, &found), want, "{name}");
    }
}

#[test]
fn trust_comparison_names_a_lost_or_changed_external_id() {
    let meant = trust_statement("aws", CRL, ORG);
    let mut lost = meant.clone();
    lost.condition = None;
    assert_eq!(
        compare_statement(&meant, &lost),
        [format!(
            "condition StringEquals sts:ExternalId = {ORG} is missing"
        )]
    );
    let changed = trust_statement("aws", CRL, "other-org");
    assert_eq!(
        compare_statement(&meant, &changed),
        [format!(
            "condition StringEquals sts:ExternalId is other-org, meant {ORG}"
        )]
    );
    // IAM shows a bare account id principal as its root ARN: the same principal.
    let mut bare = meant.clone();
    bare.principal = Some(super::policy::Principal::aws(CRL));
    assert!(compare_statement(&meant, &bare).is_empty());
}

#[test]
fn policy_comparison_checks_kept_statements_too() {
    let mut meant = doc(admin_policy());
    meant.upsert(key_statement(ROLE));
    assert!(compare_policy(&meant, &meant, KEY_POLICY_SID).is_empty());
    let mut found = meant.clone();
    found.statement.to_vec_mut().remove(1);
    assert_eq!(
        compare_policy(&meant, &found, KEY_POLICY_SID),
        ["statement AllowBackupService (kept from before) is missing"]
    );
    let mut found = meant.clone();
    found.statement.to_vec_mut()[1].condition = None;
    assert_eq!(
        compare_policy(&meant, &found, KEY_POLICY_SID),
        [
            "statement AllowBackupService (kept from before): condition Bool kms:GrantIsForAWSResource = true is missing",
            "statement AllowBackupService (kept from before): condition StringEquals kms:CallerAccount = 111122223333 is missing",
        ]
    );
    let mut found = meant.clone();
    found.remove_sid(KEY_POLICY_SID);
    assert_eq!(
        compare_policy(&meant, &found, KEY_POLICY_SID),
        [format!("statement {KEY_POLICY_SID} is missing")]
    );
}

#[test]
fn action_patterns() {
    for (pattern, action, want) in [
        ("kms:*", "kms:Decrypt", true),
        ("*", "sts:AssumeRole", true),
        ("kms:ReEncrypt*", "kms:ReEncryptFrom", true),
        ("KMS:decrypt", "kms:Decrypt", true),
        ("kms:Encrypt", "kms:EncryptX", false),
        ("sts:AssumeRole*", "sts:AssumeRoleWithSAML", true),
    ] {
        assert_eq!(action_matches(pattern, action), want, "{pattern} {action}");
    }
}
