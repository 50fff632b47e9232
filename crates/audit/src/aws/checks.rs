//! The AWS key and role checks (audit-checks.md §2, AWS rows), pure functions over the
//! [`AwsInventory`]; each docstring states the exact condition and its sources (the same text is
//! in the catalogue). Findings name only AWS sources (Prowler AWS, Security Hub, CIS AWS).
//! Resources: a key's ARN, a role's ARN. The cluster rows C01-C03, C05, C06 are in
//! [`super::cluster_checks`].

use super::{AwsInventory, AwsKey, AwsRole};
use crate::checks::{ev, fail, opt};
use crate::model::{ClusterRow, Finding};
use cmek_core::aws::policy::{Principal, Statement};

/// Every AWS finding of the inventory: per key A02, A05, A09, A10, A13, A14; per role A12; per
/// AWS cluster C01-C03, C05, C06 ([`super::cluster_checks`]).
pub fn run(inv: &AwsInventory, clusters: &[ClusterRow]) -> Vec<Finding> {
    let mut out = Vec::new();
    for k in &inv.keys {
        out.extend(a02_public(k));
        out.extend(a05_rotation(k));
        out.extend(a09_pending_deletion(k));
        out.extend(a10_enabled(k));
        out.extend(a13_multi_region(k));
        out.extend(a14_unique_id_principals(k));
    }
    for r in &inv.roles {
        out.extend(a12_kms_wide(r));
    }
    out.extend(super::cluster_checks::run(inv, clusters));
    out.iter_mut().for_each(super::sources::localize);
    out
}

fn key_evidence(k: &AwsKey) -> Vec<crate::model::Evidence> {
    vec![
        ev("arn", &k.meta.arn),
        ev("aliases", k.aliases.join(",")),
        ev("KeyState", &k.meta.key_state),
    ]
}

/// Condition keys that restrict a wildcard principal to known callers (A02).
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "kms:calleraccount",
];

/// True when `p` is anyone: `"*"`, `{"AWS":"*"}` or `arn:aws:iam::*:root`.
pub fn is_public_principal(p: &Principal) -> bool {
    p.pairs().iter().any(|(kind, id)| {
        (kind == "*" || kind == "AWS")
            && (id == "*" || (id.contains(":iam::*:") && id.ends_with(":root")))
    })
}

/// A02 — Prowler AWS `kms_key_not_publicly_accessible`; Security Hub KMS.5; Checkov
/// `CKV_AWS_33`. FAIL if an `Allow` statement of the key policy has principal `*` /
/// `{"AWS":"*"}` / `arn:aws:iam::*:root` without an account, organisation or IP condition.
pub fn a02_public(k: &AwsKey) -> Option<Finding> {
    let st: &Statement = k.policy.as_ref()?.statements().iter().find(|s| {
        s.effect == "Allow"
            && s.principal.as_ref().is_some_and(is_public_principal)
            && !s
                .condition_triples()
                .iter()
                .any(|(_, key, _)| RESTRICTING_KEYS.contains(&key.to_ascii_lowercase().as_str()))
    })?;
    let mut e = key_evidence(k);
    e.push(ev(
        "statement",
        serde_json::to_string(st).unwrap_or_default(),
    ));
    Some(fail("A02", &k.meta.arn, None, format!("The key policy of {} lets any AWS principal use the key ({}) with no account, organisation or network condition.", k.meta.arn, st.actions().join(", ")), e))
}

/// A05 — Prowler AWS `kms_cmk_rotation_enabled`; CIS AWS 3.8/3.6/4.6; Security Hub KMS.4.
/// Customer-managed, `Enabled`, `SYMMETRIC_DEFAULT`, origin `AWS_KMS`: FAIL if
/// `GetKeyRotationStatus` is false.
pub fn a05_rotation(k: &AwsKey) -> Option<Finding> {
    let m = &k.meta;
    let applies = m.key_manager == "CUSTOMER"
        && m.key_state == "Enabled"
        && m.key_spec == "SYMMETRIC_DEFAULT"
        && m.origin == "AWS_KMS";
    (applies && k.rotation_enabled == Some(false)).then(|| {
        let mut e = key_evidence(k);
        e.push(ev("KeyRotationEnabled", "false"));
        fail(
            "A05",
            &m.arn,
            None,
            format!("Automatic rotation is off for {}.", m.arn),
            e,
        )
    })
}

/// A09 — Prowler AWS `kms_cmk_not_deleted_unintentionally`; Security Hub KMS.3. FAIL if
/// `KeyState` is `PendingDeletion` (or `PendingReplicaDeletion`); evidence: `DeletionDate`.
pub fn a09_pending_deletion(k: &AwsKey) -> Option<Finding> {
    let m = &k.meta;
    m.key_state.starts_with("Pending").then_some(())?;
    if !m.key_state.contains("Deletion") {
        return None;
    }
    let mut e = key_evidence(k);
    e.push(ev("DeletionDate", opt(m.deletion_date.as_deref())));
    Some(fail("A09", &m.arn, None, format!("{} is scheduled for deletion on {} (cancel with aws kms cancel-key-deletion before then).", m.arn, opt(m.deletion_date.as_deref())), e))
}

/// A10 — Prowler AWS `kms_cmk_are_used`. FAIL if `KeyState` ≠ `Enabled`.
pub fn a10_enabled(k: &AwsKey) -> Option<Finding> {
    (k.meta.key_state != "Enabled").then(|| {
        fail(
            "A10",
            &k.meta.arn,
            None,
            format!("{} is {}, not Enabled.", k.meta.arn, k.meta.key_state),
            key_evidence(k),
        )
    })
}

/// A13 — Prowler AWS `kms_cmk_not_multi_region` (info only: CockroachDB accepts multi-Region
/// keys, audit-checks.md conflict note). Reported on an Enabled customer key with
/// `MultiRegion = true` (on the primary only, evidence: replicas).
pub fn a13_multi_region(k: &AwsKey) -> Option<Finding> {
    let m = &k.meta;
    let primary = m
        .multi_region_key_type
        .as_deref()
        .is_none_or(|t| t == "PRIMARY");
    (m.multi_region && m.key_state == "Enabled" && primary).then(|| {
        let mut e = key_evidence(k);
        e.push(ev("MultiRegion", "true"));
        e.push(ev("replicas", m.replica_arns.join(",")));
        fail("A13", &m.arn, None, format!("{} is a multi-Region key (information: CockroachDB accepts it; confirm the replication is intended).", m.arn), e)
    })
}

/// True for a bare IAM unique id (`AROA…` role, `AIDA…` user): what a key policy shows after the
/// principal it named was deleted.
pub fn is_unique_id(id: &str) -> bool {
    (id.starts_with("AROA") || id.starts_with("AIDA"))
        && id.len() > 4
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A14 — AWS unique-id principals (no scanner; CockroachDB loses access when its role was
/// deleted and re-created). FAIL if a key-policy statement names a bare unique id `AROA…` /
/// `AIDA…`.
pub fn a14_unique_id_principals(k: &AwsKey) -> Option<Finding> {
    let ids: Vec<String> = k
        .policy
        .as_ref()?
        .statements()
        .iter()
        .filter_map(|s| s.principal.as_ref())
        .flat_map(|p| p.aws_ids())
        .filter(|id| is_unique_id(id))
        .collect();
    (!ids.is_empty()).then(|| {
        let mut e = key_evidence(k);
        e.push(ev("unique-id principals", ids.join(",")));
        fail("A14", &k.meta.arn, None, format!("The key policy of {} names {} — a deleted principal shown by its unique id; a re-created role of the same name is not granted.", k.meta.arn, ids.join(", ")), e)
    })
}

/// True when `s` allows `kms:*` (or `*`), or `kms:Decrypt` / `kms:ReEncryptFrom` on
/// `Resource: *` (A12).
pub fn kms_wide(s: &Statement) -> bool {
    if s.effect != "Allow" {
        return false;
    }
    let full = s
        .actions()
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case("kms:*"));
    let all = s
        .resource
        .as_ref()
        .is_some_and(|r| r.as_slice().iter().any(|x| x == "*"));
    full || (all && (s.allows_action("kms:Decrypt") || s.allows_action("kms:ReEncryptFrom")))
}

/// A12 — Prowler AWS `iam_policy_no_full_access_to_kms`, `iam_inline_policy_no_full_access_to_kms`;
/// Security Hub KMS.1/KMS.2. FAIL (per policy) if an inline or customer-managed policy of the
/// role allows `kms:*`, or `kms:Decrypt` / `kms:ReEncryptFrom` on `Resource: *`.
pub fn a12_kms_wide(r: &AwsRole) -> Vec<Finding> {
    r.policies
        .iter()
        .filter_map(|p| {
            let st = p.document.statements().iter().find(|s| kms_wide(s))?;
            let kind = if p.inline {
                "inline policy"
            } else {
                "customer-managed policy"
            };
            Some(fail(
                "A12",
                &r.role.arn,
                None,
                format!(
                    "The {kind} {} of role {} allows {} on {}.",
                    p.name,
                    r.role.name,
                    st.actions().join(", "),
                    st.resource
                        .as_ref()
                        .map(|x| x.as_slice().join(","))
                        .unwrap_or_default()
                ),
                vec![
                    ev("role", &r.role.arn),
                    ev(kind, &p.name),
                    ev("statement", serde_json::to_string(st).unwrap_or_default()),
                ],
            ))
        })
        .collect()
}
