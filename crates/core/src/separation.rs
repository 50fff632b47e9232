//! The C12 rule, separation of duties for people on a CockroachDB key (CIS GCP 1.11; SCC
//! `KMS_ROLE_SEPARATION`, `KMS_PROJECT_HAS_OWNER`; audit-checks.md C12), stated once for the
//! two places that judge it: the audit's C12 check on what exists (`cmek_audit`) and the setup
//! plan's warning on what it would create (`cmek_setup`), so the plan warns about exactly the
//! findings its own audit would raise.
//!
//! A key breaks the rule when a person (a human member: `user:`, `group:`, `domain:`,
//! `principal://`, `principalSet://`; not a service account) holds `roles/cloudkms.admin` and an
//! encrypt/decrypt role in the key's effective policy (key, key ring and project levels), or
//! holds `roles/owner` on the key's project.

use std::collections::BTreeSet;

/// `roles/cloudkms.admin`.
pub const ROLE_KMS_ADMIN: &str = "roles/cloudkms.admin";
/// `roles/owner`.
pub const ROLE_OWNER: &str = "roles/owner";
/// Encrypt/decrypt roles of CIS GCP 1.11 / 5.0 1.12 (separation of duties with admin).
pub const ENCRYPT_DECRYPT_ROLES: &[&str] = &[
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
];

/// True for a member that stands for people: users, groups, domains, federated principals and
/// principal sets (not service accounts, deleted or public members).
pub fn is_human_member(member: &str) -> bool {
    [
        "user:",
        "group:",
        "domain:",
        "principal://",
        "principalSet://",
    ]
    .iter()
    .any(|p| member.starts_with(p))
}

/// The people C12 names for one key, each list sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct C12Members {
    /// People who can administer and use the key (admin + an encrypt/decrypt role).
    pub administer_and_use: Vec<String>,
    /// People who own the key's project.
    pub project_owners: Vec<String>,
}

impl C12Members {
    /// True when the key raises no C12 finding.
    pub fn is_clean(&self) -> bool {
        self.administer_and_use.is_empty() && self.project_owners.is_empty()
    }
}

/// Applies C12 to one key: `effective` is every `(role, member)` of the key's effective policy
/// (key, key ring and project levels), `project` every `(role, member)` of its project's own
/// policy.
pub fn c12_members<'a>(
    effective: impl IntoIterator<Item = (&'a str, &'a str)>,
    project: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> C12Members {
    let mut admins = BTreeSet::new();
    let mut users = BTreeSet::new();
    for (role, member) in effective {
        if !is_human_member(member) {
            continue;
        }
        if role == ROLE_KMS_ADMIN {
            admins.insert(member);
        }
        if ENCRYPT_DECRYPT_ROLES.contains(&role) {
            users.insert(member);
        }
    }
    let owners: BTreeSet<&str> = project
        .into_iter()
        .filter(|(role, member)| *role == ROLE_OWNER && is_human_member(member))
        .map(|(_, m)| m)
        .collect();
    C12Members {
        administer_and_use: admins
            .intersection(&users)
            .map(|m| (*m).to_owned())
            .collect(),
        project_owners: owners.into_iter().map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_with_admin_and_use_or_owning_the_project_break_c12() {
        let admin = "roles/cloudkms.admin";
        let ed = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
        let sa = "serviceAccount:crdb@p.iam.gserviceaccount.com";
        let c = c12_members(
            [
                (admin, "user:a@x.com"),
                (ed, "user:a@x.com"),
                (admin, "user:b@x.com"),
                (ed, sa),
                (admin, sa),
                (ed, "group:ops@x.com"),
            ],
            [(ROLE_OWNER, "user:o@x.com"), (ROLE_OWNER, sa)],
        );
        assert_eq!(c.administer_and_use, vec!["user:a@x.com"]);
        assert_eq!(c.project_owners, vec!["user:o@x.com"]);
        assert!(!c.is_clean());
        let clean = c12_members(
            [(admin, "user:b@x.com"), (ed, sa)],
            [(admin, "user:b@x.com")],
        );
        assert!(clean.is_clean());
        assert!(is_human_member("principalSet://iam.googleapis.com/x"));
        assert!(!is_human_member("deleted:user:a@x.com"));
    }
}
