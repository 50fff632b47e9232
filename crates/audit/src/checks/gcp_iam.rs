//! IAM checks beyond one key's fields: A06 separation of duties on the key's effective policy,
//! A07 owners on key projects, A15 project-wide Token Creator / Service Account User. All are
//! set operations over de-duplicated members, so binding order never matters and every member
//! type (user, group, serviceAccount, domain, principal://, principalSet://, deleted:…) counts.

use super::{ev, fail};
use crate::effective::{
    describe, with_roles, ENCRYPT_DECRYPT_ROLES, ROLE_KMS_ADMIN, ROLE_OWNER, ROLE_SA_USER,
    ROLE_TOKEN_CREATOR,
};
use crate::model::{EffectiveBinding, Finding, KeyRow, ProjectRow};
use std::collections::BTreeSet;

/// Members that hold both `roles/cloudkms.admin` and an encrypt/decrypt role in `bindings`,
/// restricted to those `keep` accepts. Returns the evidence bindings per member.
pub fn sod_violations(
    bindings: &[EffectiveBinding],
    keep: impl Fn(&str) -> bool,
) -> Vec<(String, Vec<&EffectiveBinding>)> {
    let admins: BTreeSet<&str> = with_roles(bindings, &[ROLE_KMS_ADMIN])
        .map(|b| b.member.as_str())
        .collect();
    let users: BTreeSet<&str> = with_roles(bindings, ENCRYPT_DECRYPT_ROLES)
        .map(|b| b.member.as_str())
        .collect();
    admins
        .intersection(&users)
        .filter(|m| keep(m))
        .map(|m| {
            let mut ev: Vec<&EffectiveBinding> = bindings
                .iter()
                .filter(|b| {
                    b.member == *m
                        && (b.role == ROLE_KMS_ADMIN
                            || ENCRYPT_DECRYPT_ROLES.contains(&b.role.as_str()))
                })
                .collect();
            ev.sort_by(|a, b| {
                (a.level, &a.role, &a.resource).cmp(&(b.level, &b.role, &b.resource))
            });
            ((*m).to_owned(), ev)
        })
        .collect()
}

/// A06 — CIS GCP 1.11 / 5.0 1.12; Prowler `iam_role_kms_enforce_separation_of_duties`;
/// ScoutSuite `iam-role-kms-separation-duties-is-false`; SCC `KMS_ROLE_SEPARATION`.
/// FAIL if one member of any type holds `roles/cloudkms.admin` and any of
/// cryptoKeyEncrypterDecrypter / cryptoKeyEncrypter / cryptoKeyDecrypter in the key's effective
/// policy (the two grants may be at different levels; binding order is irrelevant; conditional
/// grants count and are shown as such).
pub fn a06_separation_of_duties(key: &KeyRow) -> Vec<Finding> {
    sod_violations(&key.effective_bindings, |_| true)
        .into_iter()
        .map(|(member, bs)| {
            let evidence = bs.iter().map(|b| ev("binding", describe(b))).collect();
            fail(
                "A06",
                &key.name,
                Some(&key.project),
                format!("{member} can both administer and use this key."),
                evidence,
            )
        })
        .collect()
}

/// A07 — SCC `KMS_PROJECT_HAS_OWNER`.
/// FAIL if the project holds at least one Cloud KMS key and its policy grants `roles/owner`
/// to any member.
pub fn a07_project_owner(project: &ProjectRow) -> Option<Finding> {
    if project.keys.is_empty() {
        return None;
    }
    let owners: Vec<_> = with_roles(&project.bindings, &[ROLE_OWNER]).collect();
    (!owners.is_empty()).then(|| {
        let mut evidence: Vec<_> = owners.iter().map(|b| ev("binding", describe(b))).collect();
        evidence.push(ev("keys", project.keys.len()));
        fail(
            "A07",
            &format!("projects/{}", project.project_id),
            Some(&project.project_id),
            format!(
                "{} owner(s) on a project that holds Cloud KMS keys.",
                owners.len()
            ),
            evidence,
        )
    })
}

/// A15 — SCC `OVER_PRIVILEGED_SERVICE_ACCOUNT_USER`; CIS GCP 1.8 (SA separation of duties).
/// FAIL if the project policy grants `roles/iam.serviceAccountTokenCreator` or
/// `roles/iam.serviceAccountUser` to any member (it should be granted on one service account).
pub fn a15_project_wide_token_creator(project: &ProjectRow) -> Option<Finding> {
    let wide: Vec<_> = with_roles(&project.bindings, &[ROLE_TOKEN_CREATOR, ROLE_SA_USER]).collect();
    (!wide.is_empty()).then(|| {
        fail(
            "A15",
            &format!("projects/{}", project.project_id),
            Some(&project.project_id),
            "Service-account impersonation roles are granted for every service account of the project.",
            wide.iter().map(|b| ev("binding", describe(b))).collect(),
        )
    })
}
