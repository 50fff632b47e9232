//! The plan's warning about the audit's own C12 finding (separation of duties, issue #11): the
//! rule `cmek_core::separation::c12_members` applied to the end state of every key the plan
//! creates or adopts — the key's policy after the plan's grant, its key ring's policy and its
//! project's policy — so the plan warns about exactly what the audit would then report, with
//! the fix in the officer's words. Reads only (one project policy per project, one key ring
//! policy per existing key ring).

use crate::connection::Connection;
use cmek_core::iam::{Grant, Policy};
use cmek_core::separation::c12_members;
use cmek_core::{ErrorCode, Result};
use std::collections::BTreeMap;

/// One key as it will be after the plan: its name, its key ring, whether the ring exists now,
/// and its own policy's grants after the plan's grant.
pub(crate) struct EndState {
    pub key: String,
    pub ring: String,
    pub ring_exists: bool,
    pub key_after: Vec<Grant>,
}

/// What [`c12_warnings`] found.
pub(crate) struct C12Warnings {
    /// One warning per finding the audit would raise (and one per project whose policy could
    /// not be read, saying C12 was not checked).
    pub warnings: Vec<String>,
    /// True when the audit would raise C12 on at least one key.
    pub raised: bool,
}

/// The C12 warnings for `keys` (empty when the audit would raise no C12 on them). A project
/// policy the identity may not read gives one warning saying C12 was not checked.
pub(crate) async fn c12_warnings(conn: &Connection, keys: &[EndState]) -> Result<C12Warnings> {
    let g = &conn.google;
    let mut projects: BTreeMap<String, Option<Policy>> = BTreeMap::new();
    let mut rings: BTreeMap<String, Policy> = BTreeMap::new();
    let mut owners: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut raised = false;
    for k in keys {
        let project = k.key.split('/').nth(1).unwrap_or_default().to_owned();
        if !projects.contains_key(&project) {
            let policy = match g.crm.get_iam_policy(&project).await {
                Ok(p) => Some(p),
                Err(e) if e.code == ErrorCode::PermissionDenied => {
                    warnings.push(format!("Separation of duties (audit check C12) was not checked: the IAM policy of project {project} cannot be read with your permissions."));
                    None
                }
                Err(e) => return Err(e),
            };
            projects.insert(project.clone(), policy);
        }
        let Some(Some(project_policy)) = projects.get(&project) else {
            continue;
        };
        if k.ring_exists && !rings.contains_key(&k.ring) {
            rings.insert(k.ring.clone(), g.kms.get_iam_policy(&k.ring).await?);
        }
        let project_grants = project_policy.grants_list();
        let ring_grants = rings
            .get(&k.ring)
            .map(Policy::grants_list)
            .unwrap_or_default();
        let pairs = |v: &'_ [Grant]| {
            v.iter()
                .map(|g| (g.role.clone(), g.member.clone()))
                .collect::<Vec<_>>()
        };
        let effective: Vec<(String, String)> = pairs(&k.key_after)
            .into_iter()
            .chain(pairs(&ring_grants))
            .chain(pairs(&project_grants))
            .collect();
        let project_pairs = pairs(&project_grants);
        let rule = c12_members(
            effective.iter().map(|(r, m)| (r.as_str(), m.as_str())),
            project_pairs.iter().map(|(r, m)| (r.as_str(), m.as_str())),
        );
        raised |= !rule.is_clean();
        for m in &rule.administer_and_use {
            warnings.push(format!("Separation of duties (audit check C12): {m} will be able to both administer and use key {}, so the audit will report C12 on it. Fix: give {m} either Cloud KMS Admin or an encrypt/decrypt role, not both.", k.key));
        }
        if !rule.project_owners.is_empty() {
            owners
                .entry((project.clone(), rule.project_owners.clone()))
                .or_default()
                .push(k.key.clone());
        }
    }
    for ((project, people), keys) in owners {
        warnings.push(format!("Separation of duties (audit check C12): {} own(s) project {project}, which will hold {} key(s) ({}); the audit will report C12 on each. Fix: keep the keys in a separate key project that no person owns, where the people who manage keys hold Cloud KMS Admin and no encrypt/decrypt role (the service account can stay where it is).", people.join(", "), keys.len(), keys.join(", ")));
    }
    Ok(C12Warnings { warnings, raised })
}
