//! The CockroachDB rows for clusters on AWS (audit-checks.md §3; cmek-procedure.md §5; field
//! report B29): C01 (key usable), C02 (no deletion pending), C03 (exactly the five actions for
//! the role), C05 (trust: only CockroachDB's account, `sts:ExternalId` = organization id), C06
//! (key region = cluster region). C07 and C08 read only CockroachDB's answer and already run for
//! every cluster ([`crate::checks::cockroach`]). Resources: `clusters/{id}/regions/{r}` (C05:
//! `clusters/{id}`).

use super::{AwsInventory, AwsKey};
use crate::checks::{ev, fail, fail_at, opt};
use crate::model::{ClusterRow, Finding, Severity};
use cmek_core::aws::arn::{account_root_arn, KeyArn, RoleArn};
use cmek_core::aws::policy::{action_matches, PolicyDocument};
use cmek_core::aws::statements::{check_trust, CMEK_KEY_ACTIONS, EXTERNAL_ID_KEY};
use cmek_core::cockroach::CmekKeyInfo;

/// The concrete actions CockroachDB calls, each covered by one of [`CMEK_KEY_ACTIONS`].
pub const NEEDED_ACTIONS: [&str; 6] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
];

fn region_res(c: &ClusterRow, region: &str) -> String {
    format!("clusters/{}/regions/{region}", c.id)
}

/// The current `AWS_KMS` key info of each region of `c`.
pub fn current_specs(c: &ClusterRow) -> Vec<(&str, &CmekKeyInfo)> {
    c.cmek
        .iter()
        .flat_map(|i| i.region_infos.iter())
        .filter_map(|r| {
            r.current()
                .filter(|k| k.spec.key_type == "AWS_KMS")
                .map(|k| (r.region.as_str(), k))
        })
        .collect()
}

/// C01, C02, C03, C05, C06 for every AWS cluster with CMEK.
pub fn run(inv: &AwsInventory, clusters: &[ClusterRow]) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in clusters.iter().filter(|c| c.cmek.is_some()) {
        let specs = current_specs(c);
        let mut roles: Vec<&str> = Vec::new();
        for (region, k) in &specs {
            let key = inv.key(&k.spec.uri);
            out.extend(c01_usable(c, region, k, key));
            out.extend(key.and_then(|key| c02_deletion(c, region, key)));
            out.extend(key.and_then(|key| c03_actions(c, region, k, key)));
            out.extend(c06_region(c, region, k));
            if !roles.contains(&k.spec.auth_principal.as_str()) {
                roles.push(&k.spec.auth_principal);
            }
        }
        for role in roles {
            out.extend(c05_trust(inv, c, role));
        }
    }
    out
}

/// C01 — CockroachDB managing-cmek; A10. FAIL if the region's key is not found in the scanned
/// regions, or is not `Enabled`, `SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`, customer managed.
pub fn c01_usable(
    c: &ClusterRow,
    region: &str,
    k: &CmekKeyInfo,
    key: Option<&AwsKey>,
) -> Option<Finding> {
    let why = match key {
        None => "the key was not found in the scanned regions (deleted, or not readable with these credentials)".to_owned(),
        Some(key) => key.meta.usable_for_cmek().err()?,
    };
    let mut e = vec![ev("key uri", &k.spec.uri)];
    if let Some(key) = key {
        e.extend([
            ev("KeyState", &key.meta.key_state),
            ev("KeySpec", &key.meta.key_spec),
            ev("KeyUsage", &key.meta.key_usage),
        ]);
    }
    Some(fail(
        "C01",
        &region_res(c, region),
        None,
        format!("[{}] Region {region}: {} — {why}.", c.name, k.spec.uri),
        e,
    ))
}

/// C02 — CockroachDB warning; A09. FAIL if the region's key is `PendingDeletion`; evidence:
/// `DeletionDate` (the deadline to cancel).
pub fn c02_deletion(c: &ClusterRow, region: &str, key: &AwsKey) -> Option<Finding> {
    (key.meta.key_state == "PendingDeletion").then(|| {
        let when = opt(key.meta.deletion_date.as_deref());
        fail("C02", &region_res(c, region), None, format!("[{}] Region {region}: key {} is scheduled for deletion on {when}; cancel it before then or the cluster loses its data.", c.name, key.meta.arn), vec![ev("key", &key.meta.arn), ev("DeletionDate", when)])
    })
}

/// The actions the key policy allows `role_arn` (Allow statements naming it).
pub fn role_actions(policy: &PolicyDocument, role_arn: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in policy.statements().iter().filter(|s| s.effect == "Allow") {
        if s.principal
            .as_ref()
            .is_some_and(|p| p.aws_ids().iter().any(|id| id == role_arn))
        {
            for a in s.actions() {
                if !out.contains(a) {
                    out.push(a.clone());
                }
            }
        }
    }
    out
}

/// C03 — CockroachDB cmek-ops-aws; cmek-procedure.md §5. FAIL (Critical) if the key policy does
/// not allow the role every action CockroachDB calls; FAIL (High) if it allows the role any
/// action beyond the five (`kms:Encrypt`, `kms:Decrypt`, `kms:GenerateDataKey*`,
/// `kms:DescribeKey`, `kms:ReEncrypt*`), e.g. `kms:*`.
pub fn c03_actions(c: &ClusterRow, region: &str, k: &CmekKeyInfo, key: &AwsKey) -> Option<Finding> {
    let policy = key.policy.as_ref()?;
    let role = &k.spec.auth_principal;
    let granted = role_actions(policy, role);
    let missing: Vec<&str> = NEEDED_ACTIONS
        .iter()
        .copied()
        .filter(|a| !granted.iter().any(|g| action_matches(g, a)))
        .collect();
    let broader: Vec<&String> = granted
        .iter()
        .filter(|g| !CMEK_KEY_ACTIONS.iter().any(|p| action_matches(p, g)))
        .collect();
    let e = vec![
        ev("key", &key.meta.arn),
        ev("role", role),
        ev("granted actions", granted.join(",")),
        ev("expected actions", CMEK_KEY_ACTIONS.join(",")),
    ];
    let res = region_res(c, region);
    if !missing.is_empty() {
        return Some(fail("C03", &res, None, format!("[{}] The key policy of {} does not allow role {role} {}: CockroachDB cannot use the key.", c.name, key.meta.arn, missing.join(", ")), e));
    }
    (!broader.is_empty()).then(|| {
        let list: Vec<&str> = broader.iter().map(|s| s.as_str()).collect();
        fail_at(Severity::High, "C03", &res, None, format!("[{}] The key policy of {} allows role {role} more than the five actions CockroachDB needs: {}.", c.name, key.meta.arn, list.join(", ")), e)
    })
}

/// C05 — CockroachDB cmek-ops-aws; confused-deputy guidance; field report B29. FAIL if the role
/// does not exist, its trust lets a principal other than CockroachDB's account
/// (`arn:aws:iam::{account_id}:root`) assume it, or CockroachDB's statement lacks
/// `StringEquals sts:ExternalId` = the CockroachDB organization id.
pub fn c05_trust(inv: &AwsInventory, c: &ClusterRow, role_arn: &str) -> Option<Finding> {
    let res = format!("clusters/{}", c.id);
    let mut e = vec![
        ev("role", role_arn),
        ev("CockroachDB account", &c.account_id),
        ev("organization id", opt(inv.org_id.as_deref())),
    ];
    let Some(role) = inv.role(role_arn) else {
        let msg = format!("[{}] Role {role_arn} does not exist (or was not readable): CockroachDB cannot assume it.", c.name);
        return Some(fail("C05", &res, None, msg, e));
    };
    let trust = &role.role.trust_policy;
    e.push(ev("trust policy", trust.to_json()));
    let partition = RoleArn::parse("role", role_arn)
        .map(|r| r.partition)
        .unwrap_or_else(|_| "aws".into());
    let root = account_root_arn(&partition, &c.account_id);
    let others: Vec<String> = trust
        .statements()
        .iter()
        .filter(|s| {
            s.effect == "Allow"
                && s.actions()
                    .iter()
                    .any(|a| action_matches(a, "sts:AssumeRole"))
        })
        .flat_map(|s| s.principal.as_ref().map(|p| p.pairs()).unwrap_or_default())
        .filter(|(_, id)| id != &root)
        .map(|(kind, id)| format!("{kind}:{id}"))
        .collect();
    let mut issues = Vec::new();
    if !others.is_empty() {
        issues.push(format!(
            "the trust also lets {} assume the role",
            others.join(", ")
        ));
    }
    match inv.org_id.as_deref() {
        Some(org) => issues.extend(check_trust(trust, &partition, &c.account_id, org).issue),
        None => {
            let has_ext = trust.statements().iter().any(|s| {
                s.condition_triples()
                    .iter()
                    .any(|(_, k, _)| k.eq_ignore_ascii_case(EXTERNAL_ID_KEY))
            });
            if !has_ext {
                issues.push(format!("the trust has no {EXTERNAL_ID_KEY} condition (the organization id could not be read to compare)"));
            }
        }
    }
    (!issues.is_empty()).then(|| {
        fail(
            "C05",
            &res,
            None,
            format!("[{}] Role {role_arn}: {}.", c.name, issues.join("; ")),
            e,
        )
    })
}

/// C06 — CockroachDB cmek-ops-aws. FAIL if the region's key ARN is in another region than the
/// cluster region (a multi-Region key is flagged "verify": its replica in the region must be the
/// one named).
pub fn c06_region(c: &ClusterRow, region: &str, k: &CmekKeyInfo) -> Option<Finding> {
    let arn = KeyArn::parse("uri", &k.spec.uri).ok();
    let key_region = arn.as_ref().map(|a| a.region.clone()).unwrap_or_default();
    if key_region == region {
        return None;
    }
    let msg = match &arn {
        Some(a) if a.is_multi_region() => format!("[{}] Region {region} names the multi-Region key {} in {key_region}: name its replica in {region} (verify with CockroachDB).", c.name, k.spec.uri),
        _ => format!("[{}] Region {region} uses a key in {key_region}: the regions do not match.", c.name),
    };
    Some(fail(
        "C06",
        &region_res(c, region),
        None,
        msg,
        vec![
            ev("region", region),
            ev("key region", key_region),
            ev("key uri", &k.spec.uri),
        ],
    ))
}
