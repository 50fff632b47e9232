//! AWS seeds.
//!
//! **Demo** (every seeded sandbox): the customer account [`AWS_CUSTOMER_ACCOUNT_ID`] exists,
//! reachable with [`crate::AWS_ACCESS_KEY_ID`], and holds nothing CMEK-related yet, so the demo
//! AWS cluster (`seed::AWS_CLUSTER_ID`, CockroachDB account `seed::AWS_ACCOUNT_ID`) is set up
//! from scratch.
//!
//! **Audit** (only with the audit seed): the audit account [`AWS_AUDIT_ACCOUNT_ID`] (key
//! [`crate::AWS_AUDIT_ACCESS_KEY_ID`]), region `us-east-1`. Each `*-bad` resource breaks
//! exactly the check in its name; its `*-clean` twin does not. Keys are clean unless said
//! otherwise: symmetric `ENCRYPT_DECRYPT`, Enabled, rotation on (365 days), single-Region, the
//! KMS default key policy; each has the alias `alias/<name>` ([`audit_key_arn`]).
//!
//! | Resource | Kind | Case | Check |
//! |---|---|---|---|
//! | `a02-bad` | key | policy allows `{"AWS":"*"}` `kms:Decrypt` with no condition | A02 |
//! | `a02-clean` | key | the same statement limited by `kms:CallerAccount` | A02 twin |
//! | `a05-bad` | key | rotation off | A05 |
//! | `a05-clean` | key | rotation on, 365 days | A05 twin |
//! | `a09-bad` | key | `PendingDeletion`, deletion in 20 days | A09 |
//! | `a09-clean` | key | Enabled | A09 twin |
//! | `a10-bad` | key | `Disabled` | A10 |
//! | `a10-clean` | key | Enabled | A10 twin |
//! | `a13-bad` | key | multi-Region primary (`mrk-…`) with a replica in `us-west-2` | A13 (info) |
//! | `a13-clean` | key | single-Region | A13 twin |
//! | `a14-bad` | key | policy names a bare unique id `AROA…` (a deleted role) | A14 |
//! | `a14-clean` | key | policy names the existing role `a14-app` | A14 twin |
//! | `a12-bad` | role | inline policy allows `kms:*` on `*` | A12 |
//! | `a12-clean` | role | inline policy allows `kms:Decrypt` on one key ARN | A12 twin |
//! | `a12-managed-bad` | role + policy `kms-decrypt-all` | attached customer policy allows `kms:Decrypt` on `*` | A12 |
//! | `a12-managed-clean` | role + policy `kms-decrypt-one` | attached customer policy allows `kms:Decrypt` on one key | A12 twin |
//! | `crdb-cmek` + key [`AUDIT_CRDB_KEY_ID`] | role + key | the documented setup (trust with ExternalId, five actions); used by `seed_audit::AWS_CMEK_CLUSTER` | C03/C05 twin |
//! | `crdb-c05-bad` + `crdb-c05` | role + key | trust without `sts:ExternalId`; cluster [`AWS_C05_CLUSTER`] | C05 |
//! | `crdb-c03-bad` + `crdb-c03` | role + key | key policy grants the role `kms:*`; cluster [`AWS_C03_CLUSTER`] | C03 (High) |
//! | `crdb-c03-missing` (role and key) | role + key | key policy grants the role only `kms:Decrypt`, `kms:DescribeKey`; cluster [`AWS_C03_MISSING_CLUSTER`] | C03 (Critical) |
//! | `crdb-c01` (role and key) | role + key | the key is `Disabled`; cluster [`AWS_C01_CLUSTER`] | C01 |
//! | `crdb-c02` (role and key) | role + key | the key is `PendingDeletion` (in 10 days); cluster [`AWS_C02_CLUSTER`] | C02 (and C01) |
//! | `crdb-c06` (role and key) | role + key | the key is in `us-west-2` (alias there), the cluster region `us-east-1`; cluster [`AWS_C06_CLUSTER`] | C06 |
//!
//! The twin of every C row is `seed_audit::AWS_CMEK_CLUSTER` (`crdb-cmek`): the documented
//! setup, Enabled key in the cluster's region, exactly the five actions, ExternalId in the trust.

use serde_json::json;

use super::kms_policy::default_policy;
use super::{Alias, Key, ManagedPolicy, Role, AWS_AUDIT_ACCOUNT_ID};
use crate::seed::{AWS_ACCOUNT_ID, ORG_ID};
use crate::state::{CmekRegion, State};

pub use super::AWS_CUSTOMER_ACCOUNT_ID;

/// Region of every audit resource (replicas aside).
pub const AUDIT_REGION: &str = "us-east-1";
/// Key id the seeded audit AWS cluster (`seed_audit::AWS_CMEK_CLUSTER`) uses.
pub const AUDIT_CRDB_KEY_ID: &str = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
/// Audit AWS cluster whose role trusts CockroachDB without `sts:ExternalId` (C05). Its id and
/// name sort after `seed_audit::AWS_CMEK_CLUSTER` ("audit-aws"), which stays the first AWS one.
pub const AWS_C05_CLUSTER: &str = "a0000000-0000-4000-8000-00000000cc05";
/// Audit AWS cluster whose key policy grants its role `kms:*` (C03); sorts like the above.
pub const AWS_C03_CLUSTER: &str = "a0000000-0000-4000-8000-00000000cc03";
/// Audit AWS cluster whose key is `Disabled` (C01).
pub const AWS_C01_CLUSTER: &str = "a0000000-0000-4000-8000-00000000cc01";
/// Audit AWS cluster whose key is `PendingDeletion` (C02).
pub const AWS_C02_CLUSTER: &str = "a0000000-0000-4000-8000-00000000cc02";
/// Audit AWS cluster whose key policy lacks actions CockroachDB needs (C03 Critical).
pub const AWS_C03_MISSING_CLUSTER: &str = "a0000000-0000-4000-8000-0000000cc03c";
/// Audit AWS cluster in `us-east-1` whose key is in `us-west-2` (C06).
pub const AWS_C06_CLUSTER: &str = "a0000000-0000-4000-8000-00000000cc06";
/// Region of the `crdb-c06` key (the only audit key outside [`AUDIT_REGION`], replicas aside).
pub const C06_KEY_REGION: &str = "us-west-2";
/// The audit keys in [`AUDIT_REGION`] (alias names without `alias/`), see the module table.
pub const AUDIT_KEYS: &[&str] = &[
    "a02-bad",
    "a02-clean",
    "a05-bad",
    "a05-clean",
    "a09-bad",
    "a09-clean",
    "a10-bad",
    "a10-clean",
    "a13-bad",
    "a13-clean",
    "a14-bad",
    "a14-clean",
    "crdb-c05",
    "crdb-c03",
    "crdb-c03-missing",
    "crdb-c01",
    "crdb-c02",
];
/// The bare unique id in `a14-bad`'s key policy.
pub const DELETED_ROLE_ID: &str = "AROAYSANDBOXDELETED01";

const ACCT: &str = AWS_AUDIT_ACCOUNT_ID;

/// The key ARN behind `alias/<name>` of the audit account.
pub fn audit_key_arn(name: &str) -> String {
    let region = if name == "crdb-c06" {
        C06_KEY_REGION
    } else {
        AUDIT_REGION
    };
    format!("arn:aws:kms:{region}:{ACCT}:key/{}", key_id(name))
}

/// The ARN of an audit role.
pub fn audit_role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:role/{name}")
}

fn key_id(name: &str) -> String {
    if name == "crdb-cmek" {
        return AUDIT_CRDB_KEY_ID.into();
    }
    if name == "crdb-c06" {
        return "a0d1a000-0000-4000-8000-0000000000c6".into();
    }
    let i = AUDIT_KEYS.iter().position(|k| *k == name).unwrap_or(99);
    if name == "a13-bad" {
        format!("mrk-a0d1a00000004000800000000000{i:04x}")
    } else {
        format!("a0d1a000-0000-4000-8000-{i:012x}")
    }
}

fn date(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn statement(principal: &str, actions: serde_json::Value) -> serde_json::Value {
    json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": "*"})
}

/// A key policy: the account root statement plus `extra` statements.
fn policy_with(extra: Vec<serde_json::Value>) -> String {
    let mut st = vec![
        json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "kms:*", "Resource": "*"}),
    ];
    st.extend(extra);
    json!({"Version": "2012-10-17", "Statement": st}).to_string()
}

fn five() -> serde_json::Value {
    json!(super::policy::CRDB_ACTION_PATTERNS)
}

fn add_key(state: &mut State, name: &str, edit: impl FnOnce(&mut Key)) {
    let id = key_id(name);
    let mut k = Key {
        arn: format!("arn:aws:kms:{AUDIT_REGION}:{ACCT}:key/{id}"),
        id: id.clone(),
        region: AUDIT_REGION.into(),
        account: ACCT.into(),
        description: format!("audit seed: {name}"),
        state: "Enabled".into(),
        created: date("2025-05-01T08:00:00Z"),
        deletion_date: None,
        pending_window: None,
        spec: "SYMMETRIC_DEFAULT".into(),
        usage: "ENCRYPT_DECRYPT".into(),
        multi_region: false,
        primary_region: None,
        policy: default_policy(ACCT),
        rotation: Some(365),
        tags: Vec::new(),
    };
    edit(&mut k);
    let acc = state.aws.accounts.entry(ACCT.into()).or_default();
    let alias = Alias {
        name: format!("alias/{name}"),
        target: id.clone(),
        created: k.created,
    };
    acc.aliases
        .insert((k.region.clone(), alias.name.clone()), alias);
    acc.keys.insert((k.region.clone(), id), k);
}

fn add_role(state: &mut State, name: &str, trust: String, inline: Option<String>) {
    let n = state.aws.accounts.get(ACCT).map_or(0, |a| a.roles.len());
    let role = Role {
        name: name.into(),
        path: "/".into(),
        id: format!("AROAYSANDBOXAUDIT{n:04}"),
        arn: audit_role_arn(name),
        created: date("2025-05-01T07:00:00Z"),
        trust,
        description: None,
        max_session: 3600,
        inline: inline
            .map(|d| [("kms".to_string(), d)].into_iter().collect())
            .unwrap_or_default(),
        attached: Vec::new(),
        tags: Vec::new(),
        created_at: None,
    };
    let acc = state.aws.accounts.entry(ACCT.into()).or_default();
    acc.roles.insert(name.into(), role);
}

fn trust(external_id: bool) -> String {
    let mut st = json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{AWS_ACCOUNT_ID}:root")}, "Action": "sts:AssumeRole"});
    if external_id {
        st["Condition"] = json!({"StringEquals": {"sts:ExternalId": ORG_ID}});
    }
    json!({"Version": "2012-10-17", "Statement": [st]}).to_string()
}

fn identity(action: &str, resource: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}).to_string()
}

fn managed(state: &mut State, role: &str, policy: &str, doc: String) {
    let arn = format!("arn:aws:iam::{ACCT}:policy/{policy}");
    add_role(state, role, trust(true).replace(AWS_ACCOUNT_ID, ACCT), None);
    let acc = state.aws.accounts.entry(ACCT.into()).or_default();
    acc.policies.insert(
        arn.clone(),
        ManagedPolicy {
            name: policy.into(),
            path: "/".into(),
            id: format!("ANPAYSANDBOX{:09}", acc.policies.len()),
            arn: arn.clone(),
            created: date("2025-05-01T07:00:00Z"),
            document: doc,
            description: None,
        },
    );
    if let Some(r) = acc.roles.get_mut(role) {
        r.attached.push(arn);
    }
}

/// Adds the audit account's resources and its AWS clusters (see the module table).
pub(crate) fn seed_audit(state: &mut State) {
    let any = |action: &str| json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": action, "Resource": "*"});
    add_key(state, "a02-bad", |k| {
        k.policy = policy_with(vec![any("kms:Decrypt")]);
    });
    add_key(state, "a02-clean", |k| {
        let mut st = any("kms:Decrypt");
        st["Condition"] = json!({"StringEquals": {"kms:CallerAccount": ACCT}});
        k.policy = policy_with(vec![st]);
    });
    add_key(state, "a05-bad", |k| k.rotation = None);
    add_key(state, "a05-clean", |_| {});
    add_key(state, "a09-bad", |k| {
        k.state = "PendingDeletion".into();
        k.deletion_date = Some(time::OffsetDateTime::now_utc() + time::Duration::days(20));
        k.pending_window = Some(30);
    });
    add_key(state, "a09-clean", |_| {});
    add_key(state, "a10-bad", |k| k.state = "Disabled".into());
    add_key(state, "a10-clean", |_| {});
    add_key(state, "a13-bad", |k| {
        k.multi_region = true;
        k.primary_region = Some(AUDIT_REGION.into());
    });
    let mut replica = state.aws.find_key(&key_id("a13-bad")).cloned();
    if let Some(r) = replica.as_mut() {
        r.region = "us-west-2".into();
        r.arn = r.arn.replace(AUDIT_REGION, "us-west-2");
        let acc = state.aws.accounts.entry(ACCT.into()).or_default();
        acc.keys.insert((r.region.clone(), r.id.clone()), r.clone());
    }
    add_key(state, "a13-clean", |_| {});
    add_role(
        state,
        "a14-app",
        trust(true).replace(AWS_ACCOUNT_ID, ACCT),
        None,
    );
    add_key(state, "a14-bad", |k| {
        k.policy = policy_with(vec![statement(DELETED_ROLE_ID, json!("kms:Decrypt"))]);
    });
    add_key(state, "a14-clean", |k| {
        k.policy = policy_with(vec![statement(
            &audit_role_arn("a14-app"),
            json!("kms:Decrypt"),
        )]);
    });
    let own = trust(true).replace(AWS_ACCOUNT_ID, ACCT);
    add_role(state, "a12-bad", own.clone(), Some(identity("kms:*", "*")));
    let one = audit_key_arn("a05-clean");
    add_role(state, "a12-clean", own, Some(identity("kms:Decrypt", &one)));
    managed(
        state,
        "a12-managed-bad",
        "kms-decrypt-all",
        identity("kms:Decrypt", "*"),
    );
    managed(
        state,
        "a12-managed-clean",
        "kms-decrypt-one",
        identity("kms:Decrypt", &one),
    );

    // CockroachDB roles and keys: the clean setup, C05, C03 (High and Critical), C01, C02, C06.
    for (role, key, ext, actions) in [
        ("crdb-cmek", "crdb-cmek", true, five()),
        ("crdb-c05-bad", "crdb-c05", false, five()),
        ("crdb-c03-bad", "crdb-c03", true, json!("kms:*")),
        (
            "crdb-c03-missing",
            "crdb-c03-missing",
            true,
            json!(["kms:Decrypt", "kms:DescribeKey"]),
        ),
        ("crdb-c01", "crdb-c01", true, five()),
        ("crdb-c02", "crdb-c02", true, five()),
        ("crdb-c06", "crdb-c06", true, five()),
    ] {
        add_role(state, role, trust(ext), None);
        let p = policy_with(vec![statement(&audit_role_arn(role), actions)]);
        add_key(state, key, |k| {
            k.policy = p;
            match key {
                "crdb-c01" => k.state = "Disabled".into(),
                "crdb-c02" => {
                    k.state = "PendingDeletion".into();
                    k.deletion_date =
                        Some(time::OffsetDateTime::now_utc() + time::Duration::days(10));
                    k.pending_window = Some(10);
                }
                "crdb-c06" => {
                    k.region = C06_KEY_REGION.into();
                    k.arn = audit_key_arn(key);
                }
                _ => {}
            }
        });
    }
    for (id, name, role, key) in [
        (AWS_C05_CLUSTER, "audit-aws-c05", "crdb-c05-bad", "crdb-c05"),
        (AWS_C03_CLUSTER, "audit-aws-c03", "crdb-c03-bad", "crdb-c03"),
        (
            AWS_C03_MISSING_CLUSTER,
            "audit-aws-c03-missing",
            "crdb-c03-missing",
            "crdb-c03-missing",
        ),
        (AWS_C01_CLUSTER, "audit-aws-c01", "crdb-c01", "crdb-c01"),
        (AWS_C02_CLUSTER, "audit-aws-c02", "crdb-c02", "crdb-c02"),
        (AWS_C06_CLUSTER, "audit-aws-c06", "crdb-c06", "crdb-c06"),
    ] {
        let c = crate::seed::cluster(
            id,
            name,
            AWS_ACCOUNT_ID,
            "AWS",
            "ADVANCED",
            "PRIVATE",
            &["us-east-1"],
            "m6i.xlarge",
        );
        state.clusters.insert(id.into(), c);
        let spec = json!({"type": "AWS_KMS", "uri": audit_key_arn(key), "auth_principal": audit_role_arn(role)});
        let at = crate::seed_audit::CMEK_ENABLED_AT;
        let info = json!({"spec": spec, "status": "ENABLED", "user_message": "", "created_at": at, "updated_at": at});
        state.cmek.insert(
            id.into(),
            vec![CmekRegion {
                region: "us-east-1".into(),
                status: "ENABLED".into(),
                key_infos: vec![info],
                pending: None,
            }],
        );
    }
}
