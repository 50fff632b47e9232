//! Table tests of the equivalent commands and of key usability.

use super::commands::{commands, shell_quote, KNOWN_COMMANDS};
use super::plan::*;
use super::statements::*;
use crate::cockroach::{Cluster, CmekKeySpec, CmekRegionSpec};

const ORG: &str = "2f5a0b6c-0000-4000-8000-000000000001";
const CRL: &str = "810912345678";

fn sample_plan(existing_key: bool) -> AwsPlan {
    let role_arn = "arn:aws:iam::111122223333:role/crdb-cmek";
    let mut after = default_key_policy("aws", "111122223333");
    after.upsert(key_statement(role_arn));
    let arn = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
    let key = |region: &str, kind| AwsPlannedKey {
        alias: "alias/crdb-it's".into(),
        region: region.into(),
        regions: vec![region.into()],
        kind,
        exists: existing_key && kind == AwsKeyKind::Primary,
        arn: (existing_key && kind == AwsKeyKind::Primary).then(|| arn.to_owned()),
        key_state: None,
        rotation_enabled: None,
        key_policy_before: None,
        key_policy_after: after.to_pretty_json(),
    };
    let keys = vec![
        key("us-east-1", AwsKeyKind::Primary),
        key("us-west-2", AwsKeyKind::Replica),
    ];
    AwsPlan {
        plan_id: String::new(),
        digest: String::new(),
        request: AwsSetupRequest {
            cluster_id: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e".into(),
            role_name: "crdb-cmek".into(),
            key_alias: "alias/crdb-it's".into(),
            layout: AwsKeyLayout::MultiRegion {
                primary_region: "us-east-1".into(),
            },
            rotation: true,
            fix_trust: false,
        },
        cluster: Cluster {
            id: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e".into(),
            name: "aws-prod".into(),
            ..Default::default()
        },
        organization_id: ORG.into(),
        account_id: "111122223333".into(),
        caller_arn: "arn:aws:iam::111122223333:user/officer".into(),
        partition: "aws".into(),
        role: AwsPlannedRole {
            name: "crdb-cmek".into(),
            arn: role_arn.into(),
            exists: false,
            trust_policy_before: None,
            trust_policy_after: trust_policy("aws", CRL, ORG).to_pretty_json(),
            trust_issue: None,
            permission_policies: vec![],
        },
        region_specs: keys
            .iter()
            .map(|k| CmekRegionSpec {
                region: k.region.clone(),
                key_spec: CmekKeySpec {
                    key_type: "AWS_KMS".into(),
                    uri: pending_key_uri(&k.alias, &k.region),
                    auth_principal: role_arn.into(),
                },
            })
            .collect(),
        keys,
        steps: vec![],
        commands: vec![],
        warnings: vec![],
    }
}

#[test]
fn commands_use_only_known_flags_and_quote_json() {
    for existing in [false, true] {
        let cmds = commands(&sample_plan(existing));
        assert!(cmds
            .last()
            .unwrap()
            .starts_with("curl -X POST https://cockroachlabs.cloud/api/v1/clusters/2b3c4d5e"));
        for c in cmds.iter().filter(|c| c.contains("aws ")) {
            let start = c.find("aws ").unwrap();
            let text = &c[start..];
            let (name, flags) = KNOWN_COMMANDS
                .iter()
                .find(|(n, _)| text.starts_with(n))
                .unwrap_or_else(|| panic!("unknown command {c}"));
            for word in text[name.len()..]
                .split_whitespace()
                .filter(|w| w.starts_with("--"))
            {
                assert!(flags.contains(&word), "{name} has no flag {word}: {c}");
            }
        }
        let joined = cmds.join("\n");
        assert_eq!(joined.contains("--multi-region"), !existing, "{joined}");
        assert!(
            joined.contains("aws kms replicate-key --region us-east-1"),
            "{joined}"
        );
        assert!(joined.contains("alias/crdb-it's"), "{joined}");
        assert_eq!(joined.contains("KEY_US_EAST_1=$("), !existing, "{joined}");
    }
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
}

#[test]
fn usable_keys_are_symmetric_enabled_customer_keys() {
    use super::model::KeyMetadata;
    let good = KeyMetadata {
        key_spec: "SYMMETRIC_DEFAULT".into(),
        key_usage: "ENCRYPT_DECRYPT".into(),
        key_manager: "CUSTOMER".into(),
        key_state: "Enabled".into(),
        ..Default::default()
    };
    assert!(good.usable_for_cmek().is_ok());
    let pending = KeyMetadata {
        key_state: "PendingDeletion".into(),
        deletion_date: Some("2027-01-01T00:00:00Z".into()),
        ..good.clone()
    };
    assert!(pending
        .usable_for_cmek()
        .unwrap_err()
        .contains("PendingDeletion, deletion on 2027-01-01"));
    let rsa = KeyMetadata {
        key_spec: "RSA_2048".into(),
        key_manager: "AWS".into(),
        ..good
    };
    let why = rsa.usable_for_cmek().unwrap_err();
    assert!(
        why.contains("RSA_2048") && why.contains("AWS managed"),
        "{why}"
    );
}
