//! Unit tests of the AWS cluster rows that the sandbox's audit seed has no case for (C01, C02,
//! C06, C03 missing actions, C05 on a missing role or a second trusted account) and of the
//! principal rules (A02 public forms, A14 unique ids).

use super::cluster_checks::run;
use super::{checks, AwsInventory, AwsKey, AwsRole};
use crate::model::{ClusterRow, Severity};
use cmek_core::aws::model::{IamRole, KeyMetadata};
use cmek_core::aws::policy::{PolicyDocument, Principal};
use cmek_core::aws::statements::{key_statement, trust_policy};
use cmek_core::cockroach::{CmekClusterInfo, CmekKeyInfo, CmekKeySpec, CmekRegionInfo};

const ROLE: &str = "arn:aws:iam::123456789012:role/crdb";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1b2c3d4e-0000-4000-8000-000000000001";

fn cluster(uri: &str) -> ClusterRow {
    let spec = CmekKeySpec {
        key_type: "AWS_KMS".into(),
        uri: uri.into(),
        auth_principal: ROLE.into(),
    };
    let info = CmekKeyInfo {
        spec,
        status: "ENABLED".into(),
        ..Default::default()
    };
    ClusterRow {
        id: "c1".into(),
        name: "one".into(),
        cloud_provider: "AWS".into(),
        account_id: "810912345678".into(),
        regions: vec!["us-east-1".into()],
        cmek: Some(CmekClusterInfo {
            status: "ENABLED".into(),
            region_infos: vec![CmekRegionInfo {
                region: "us-east-1".into(),
                status: "ENABLED".into(),
                key_infos: vec![info],
            }],
        }),
        ..Default::default()
    }
}

fn inventory(state: &str, actions: &[&str]) -> AwsInventory {
    let mut st = key_statement(ROLE);
    st.action = Some(cmek_core::aws::policy::OneOrMany::Many(
        actions.iter().map(|a| (*a).to_owned()).collect(),
    ));
    let mut policy = PolicyDocument::new(None);
    policy.upsert(st);
    let meta = KeyMetadata {
        key_id: "1b2c3d4e-0000-4000-8000-000000000001".into(),
        arn: KEY.into(),
        region: "us-east-1".into(),
        key_state: state.into(),
        key_spec: "SYMMETRIC_DEFAULT".into(),
        key_usage: "ENCRYPT_DECRYPT".into(),
        key_manager: "CUSTOMER".into(),
        origin: "AWS_KMS".into(),
        deletion_date: (state == "PendingDeletion").then(|| "2027-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    let role = IamRole {
        name: "crdb".into(),
        arn: ROLE.into(),
        role_id: "AROAEXAMPLE".into(),
        path: "/".into(),
        trust_policy: trust_policy("aws", "810912345678", "org-1"),
        description: None,
        create_date: None,
    };
    AwsInventory {
        keys: vec![AwsKey {
            meta,
            aliases: vec![],
            policy: Some(policy),
            rotation_enabled: Some(true),
            error: None,
        }],
        roles: vec![AwsRole {
            role,
            policies: vec![],
            aws_managed: vec![],
            error: None,
        }],
        org_id: Some("org-1".into()),
        ..Default::default()
    }
}

const FIVE: &[&str] = &[
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:ReEncrypt*",
];

fn ids(inv: &AwsInventory, c: &ClusterRow) -> Vec<(String, Severity)> {
    run(inv, std::slice::from_ref(c))
        .into_iter()
        .map(|f| (f.check_id, f.severity))
        .collect()
}

#[test]
fn the_documented_setup_passes_every_cluster_row() {
    assert_eq!(ids(&inventory("Enabled", FIVE), &cluster(KEY)), vec![]);
}

#[test]
fn c01_c02_on_a_key_pending_deletion_or_missing() {
    let got = ids(&inventory("PendingDeletion", FIVE), &cluster(KEY));
    assert!(
        got.contains(&("C01".into(), Severity::Critical))
            && got.contains(&("C02".into(), Severity::Critical)),
        "{got:?}"
    );
    let other = KEY.replace("000000000001", "000000000002");
    let got = ids(&inventory("Enabled", FIVE), &cluster(&other));
    assert_eq!(got, vec![("C01".into(), Severity::Critical)]);
}

#[test]
fn c06_on_a_key_in_another_region() {
    let west = KEY.replace("us-east-1", "us-west-2");
    let mut inv = inventory("Enabled", FIVE);
    inv.keys[0].meta.arn = west.clone();
    assert_eq!(
        ids(&inv, &cluster(&west)),
        vec![("C06".into(), Severity::High)]
    );
}

#[test]
fn c03_is_critical_when_an_action_is_missing() {
    let got = ids(&inventory("Enabled", &FIVE[..4]), &cluster(KEY));
    assert_eq!(got, vec![("C03".into(), Severity::Critical)]);
}

#[test]
fn c05_on_a_missing_role_or_a_second_trusted_account() {
    let mut inv = inventory("Enabled", FIVE);
    inv.roles[0].role.arn = "arn:aws:iam::123456789012:role/other".into();
    assert_eq!(
        ids(&inv, &cluster(KEY)),
        vec![("C05".into(), Severity::High)]
    );
    let mut inv = inventory("Enabled", FIVE);
    let mut extra = inv.roles[0].role.trust_policy.statements()[0].clone();
    extra.sid = Some("Other".into());
    extra.principal = Some(Principal::aws("arn:aws:iam::999999999999:root"));
    inv.roles[0].role.trust_policy.upsert(extra);
    assert_eq!(
        ids(&inv, &cluster(KEY)),
        vec![("C05".into(), Severity::High)]
    );
}

#[test]
fn public_and_unique_id_principals() {
    assert!(checks::is_public_principal(&Principal::Wildcard(
        "*".into()
    )));
    assert!(checks::is_public_principal(&Principal::aws("*")));
    assert!(checks::is_public_principal(&Principal::aws(
        "arn:aws:iam::*:root"
    )));
    assert!(!checks::is_public_principal(&Principal::aws(ROLE)));
    assert!(checks::is_unique_id("AROAYSANDBOXDELETED01"));
    assert!(checks::is_unique_id("AIDAEXAMPLE1"));
    assert!(!checks::is_unique_id(ROLE));
}
