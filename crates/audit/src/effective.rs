//! Effective IAM policy of a key: the union of the key's, its key ring's and its project's
//! bindings (folder/organisation are not read), each flattened to (role, member) pairs that
//! remember their level and condition. Every check that asks "who can do X on this key" reads
//! this union, so a grant is seen wherever it is made (the anchors read only the key level,
//! audit-checks.md §1.1) and the answer never depends on binding order or on a role being split
//! over several (conditional) bindings (ScoutSuite keeps only the last binding per role).

use crate::model::{EffectiveBinding, PolicyLevel};
use cmek_core::iam::Policy;
use std::collections::BTreeSet;

/// `roles/cloudkms.admin`.
pub const ROLE_KMS_ADMIN: &str = cmek_core::separation::ROLE_KMS_ADMIN;
/// `roles/owner`.
pub const ROLE_OWNER: &str = cmek_core::separation::ROLE_OWNER;
/// `roles/editor`.
pub const ROLE_EDITOR: &str = "roles/editor";
/// `roles/iam.serviceAccountUser`.
pub const ROLE_SA_USER: &str = "roles/iam.serviceAccountUser";
/// `roles/iam.serviceAccountTokenCreator`.
pub const ROLE_TOKEN_CREATOR: &str = cmek_core::iam::ROLE_TOKEN_CREATOR;

/// Encrypt/decrypt roles of CIS GCP 1.11 / 5.0 1.12 (separation of duties with admin).
pub const ENCRYPT_DECRYPT_ROLES: &[&str] = cmek_core::separation::ENCRYPT_DECRYPT_ROLES;

/// Roles that can *use* a key (encrypt, decrypt, sign, MAC, raw operations) — SCC
/// `TOO_MANY_KMS_USERS` counts these "including owner".
pub const KEY_USE_ROLES: &[&str] = &[
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
    "roles/cloudkms.cryptoKeyEncrypterDecrypterViaDelegation",
    "roles/cloudkms.cryptoKeyEncrypterViaDelegation",
    "roles/cloudkms.cryptoKeyDecrypterViaDelegation",
    "roles/cloudkms.signerVerifier",
    "roles/cloudkms.signer",
    "roles/cloudkms.cryptoOperator",
    "roles/cloudkms.expertRawPKCS1",
    "roles/owner",
];

/// Every IAM member syntax Google uses; unknown prefixes are kept as [`MemberKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberKind {
    AllUsers,
    AllAuthenticatedUsers,
    User,
    Group,
    ServiceAccount,
    Domain,
    /// `principal://…` (workforce / workload identity, one identity).
    Principal,
    /// `principalSet://…` (a set of federated identities).
    PrincipalSet,
    /// `deleted:user:…`, `deleted:group:…`, `deleted:serviceAccount:…?uid=…`.
    Deleted,
    /// `projectOwner:`, `projectEditor:`, `projectViewer:` convenience members.
    ProjectConvenience,
    Other,
}

impl MemberKind {
    /// Classifies a member string.
    pub fn of(member: &str) -> Self {
        match member {
            "allUsers" => return Self::AllUsers,
            "allAuthenticatedUsers" => return Self::AllAuthenticatedUsers,
            _ => {}
        }
        let prefixes: &[(&str, Self)] = &[
            ("deleted:", Self::Deleted),
            ("user:", Self::User),
            ("group:", Self::Group),
            ("serviceAccount:", Self::ServiceAccount),
            ("domain:", Self::Domain),
            ("principal://", Self::Principal),
            ("principalSet://", Self::PrincipalSet),
            ("projectOwner:", Self::ProjectConvenience),
            ("projectEditor:", Self::ProjectConvenience),
            ("projectViewer:", Self::ProjectConvenience),
        ];
        prefixes
            .iter()
            .find(|(p, _)| member.starts_with(p))
            .map_or(Self::Other, |(_, k)| *k)
    }

    /// `allUsers` or `allAuthenticatedUsers` (CIS GCP 1.9 / 5.0 1.10).
    pub fn is_public(self) -> bool {
        matches!(self, Self::AllUsers | Self::AllAuthenticatedUsers)
    }

    /// Members that stand for people (one or many): users, groups, domains, federated
    /// principals and sets. Service accounts, deleted and public members are not "humans".
    pub fn is_human(self) -> bool {
        matches!(
            self,
            Self::User | Self::Group | Self::Domain | Self::Principal | Self::PrincipalSet
        )
    }
}

/// Flattens a policy into bindings of one level.
pub fn flatten(policy: &Policy, level: PolicyLevel, resource: &str) -> Vec<EffectiveBinding> {
    policy
        .bindings
        .iter()
        .flat_map(|b| {
            b.members.iter().map(move |m| EffectiveBinding {
                role: b.role.clone(),
                member: m.clone(),
                level,
                resource: resource.to_owned(),
                condition: b.condition.clone(),
            })
        })
        .collect()
}

/// The effective bindings of a key: key, key ring and project levels, deduplicated and
/// sorted (level, role, member) so the result never depends on input order.
pub fn effective(
    key: &[EffectiveBinding],
    ring: &[EffectiveBinding],
    project: &[EffectiveBinding],
) -> Vec<EffectiveBinding> {
    let mut all: Vec<EffectiveBinding> = key.iter().chain(ring).chain(project).cloned().collect();
    all.sort_by(|a, b| {
        (
            a.level,
            &a.role,
            &a.member,
            a.condition.as_ref().map(|c| &c.expression),
        )
            .cmp(&(
                b.level,
                &b.role,
                &b.member,
                b.condition.as_ref().map(|c| &c.expression),
            ))
    });
    all.dedup();
    all
}

/// Bindings whose role is in `roles`.
pub fn with_roles<'a>(
    bindings: &'a [EffectiveBinding],
    roles: &'a [&str],
) -> impl Iterator<Item = &'a EffectiveBinding> + 'a {
    bindings
        .iter()
        .filter(move |b| roles.contains(&b.role.as_str()))
}

/// Distinct members holding any of `roles` (conditional grants included).
pub fn members_with(bindings: &[EffectiveBinding], roles: &[&str]) -> BTreeSet<String> {
    with_roles(bindings, roles)
        .map(|b| b.member.clone())
        .collect()
}

/// Short description of where a binding comes from, for evidence: `roles/x @ key (conditional: t)`.
pub fn describe(b: &EffectiveBinding) -> String {
    let level = match b.level {
        PolicyLevel::Key => "key",
        PolicyLevel::KeyRing => "key ring",
        PolicyLevel::Project => "project",
        PolicyLevel::ServiceAccount => "service account",
    };
    match &b.condition {
        Some(c) => format!(
            "{} {} @ {} (conditional: {})",
            b.member,
            b.role,
            level,
            c.title.clone().unwrap_or_else(|| c.expression.clone())
        ),
        None => format!("{} {} @ {}", b.member, b.role, level),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_syntax_is_classified() {
        let rows = [
            ("allUsers", MemberKind::AllUsers),
            ("allAuthenticatedUsers", MemberKind::AllAuthenticatedUsers),
            ("user:a@example.com", MemberKind::User),
            ("group:g@example.com", MemberKind::Group),
            (
                "serviceAccount:s@p.iam.gserviceaccount.com",
                MemberKind::ServiceAccount,
            ),
            ("domain:example.com", MemberKind::Domain),
            (
                "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
                MemberKind::Principal,
            ),
            (
                "principalSet://iam.googleapis.com/locations/global/workforcePools/p/*",
                MemberKind::PrincipalSet,
            ),
            (
                "deleted:serviceAccount:s@p.iam.gserviceaccount.com?uid=123",
                MemberKind::Deleted,
            ),
            ("deleted:user:a@example.com?uid=1", MemberKind::Deleted),
            ("projectOwner:p", MemberKind::ProjectConvenience),
            ("somethingNew:x", MemberKind::Other),
        ];
        for (m, k) in rows {
            assert_eq!(MemberKind::of(m), k, "{m}");
        }
    }
}
