//! CockroachDB CMEK checks (audit-checks.md §3): C01-C04 and C06-C12 over the clusters, their
//! `GET …/cmek` answers, the linked keys and the `auth_principal` service accounts. Regions are
//! matched by name, never by index; any number of regions (0, 1, many) is handled.

use super::gcp_iam::sod_violations;
use super::gcp_keys::{
    a01_public, a03_rotation_configured, a04_rotation_90_days, a14_deleted_principals,
};
use super::{ev, fail, fail_at, opt, Inputs};
use crate::effective::{
    describe, MemberKind, ENCRYPT_DECRYPT_ROLES, ROLE_EDITOR, ROLE_KMS_ADMIN, ROLE_OWNER,
    ROLE_TOKEN_CREATOR,
};
use crate::inventory::segment;
use crate::model::{ClusterRow, Finding, FindingStatus, KeyRow, Severity};
use cmek_core::cockroach::CmekKeyInfo;
use std::collections::BTreeSet;

/// `crl-kms-user-{last 12 chars of cluster id}@{account_id}.iam.gserviceaccount.com`.
pub fn crl_principal(cluster_id: &str, account_id: &str) -> String {
    let n = cluster_id.chars().count();
    let tail: String = cluster_id.chars().skip(n.saturating_sub(12)).collect();
    format!("crl-kms-user-{tail}@{account_id}.iam.gserviceaccount.com")
}

/// Multi-region and dual-region Cloud KMS locations (and `global`): usable by more than one
/// region, but not accepted by every regional consumer (field report B18).
pub fn is_multi_location(location: &str) -> bool {
    matches!(
        location,
        "global"
            | "us"
            | "europe"
            | "asia"
            | "nam4"
            | "eur4"
            | "eur3"
            | "eur5"
            | "asia1"
            | "nam-eur-asia1"
    ) || !location.contains('-')
}

fn region_res(c: &ClusterRow, region: &str) -> String {
    format!("clusters/{}/regions/{region}", c.id)
}

/// Runs C01-C04 and C06-C12 for every cluster with CMEK info.
pub fn check_clusters(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in inputs.clusters {
        let Some(info) = &c.cmek else { continue };
        out.extend(c07_regions_covered(c));
        out.extend(c08_status(c));
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for r in &info.region_infos {
            let Some(cur) = r.current().filter(|k| k.spec.key_type == "GCP_CLOUD_KMS") else {
                continue;
            };
            out.extend(c06_location(c, &r.region, cur));
            if seen.insert((cur.spec.uri.clone(), cur.spec.auth_principal.clone())) {
                out.extend(current_key_checks(inputs, c, cur));
            }
        }
        out.extend(c02_destruction(inputs, c));
    }
    out
}

/// C07 — CockroachDB managing-cmek; field report B43; provider PR #363.
/// FAIL for each cluster region with no CMEK region info or no key info, or whose region
/// status ≠ `ENABLED`.
pub fn c07_regions_covered(c: &ClusterRow) -> Vec<Finding> {
    let Some(info) = &c.cmek else {
        return Vec::new();
    };
    c.regions
        .iter()
        .filter_map(|region| {
            let ri = info.region(region);
            let (msg, status) = match ri {
                None => (format!("Region {region} of cluster {} has no CMEK region spec: its data is not protected by CMEK.", c.name), "<absent>".to_owned()),
                Some(ri) if ri.key_infos.is_empty() => (format!("Region {region} has no key spec."), ri.status.clone()),
                Some(ri) if ri.status != "ENABLED" => (format!("Region {region} CMEK status is {}.", ri.status), ri.status.clone()),
                Some(_) => return None,
            };
            let regions: Vec<&str> = info.region_infos.iter().map(|r| r.region.as_str()).collect();
            Some(fail("C07", &region_res(c, region), None, msg, vec![ev("cluster.regions", c.regions.join(",")), ev("cmek.region_infos", regions.join(",")), ev("region status", status)]))
        })
        .collect()
}

/// C08 — CockroachDB SDK `CMEKStatus`.
/// FAIL if the cluster's CMEK status ≠ `ENABLED`; evidence carries every non-empty `user_message`.
pub fn c08_status(c: &ClusterRow) -> Option<Finding> {
    let info = c.cmek.as_ref()?;
    (info.status != "ENABLED").then(|| {
        let mut evidence = vec![ev("status", &info.status)];
        for r in &info.region_infos {
            for k in r.key_infos.iter().filter(|k| !k.user_message.is_empty()) {
                evidence.push(ev(&format!("{} user_message", r.region), &k.user_message));
            }
        }
        fail(
            "C08",
            &format!("clusters/{}", c.id),
            None,
            format!("CMEK status of {} is {}.", c.name, info.status),
            evidence,
        )
    })
}

/// C06 — CockroachDB cmek-ops-gcp; field report B18.
/// FAIL if the current key's location ≠ the cluster region; a global, multi- or dual-region
/// location is flagged as "verify with CockroachDB" rather than accepted.
pub fn c06_location(c: &ClusterRow, region: &str, cur: &CmekKeyInfo) -> Option<Finding> {
    let location = segment(&cur.spec.uri, 3);
    if location == region {
        return None;
    }
    let msg = if is_multi_location(&location) {
        format!("Region {region} uses a key in the multi-region location {location}; regional consumers may reject it (B18): verify with CockroachDB or use a {region} key.")
    } else {
        format!("Region {region} uses a key in {location}: the locations do not match.")
    };
    Some(fail(
        "C06",
        &region_res(c, region),
        Some(&segment(&cur.spec.uri, 1)),
        msg,
        vec![
            ev("region", region),
            ev("key location", &location),
            ev("key uri", &cur.spec.uri),
        ],
    ))
}

fn retag(mut f: Finding, id: &str, cluster: &ClusterRow) -> Finding {
    let info = super::catalogue::info(id);
    f.message = format!("[{} uses this key] {}", cluster.name, f.message);
    Finding {
        check_id: info.id.clone(),
        title: info.title.clone(),
        severity: info.severity,
        sources: info.sources.clone(),
        remediation: info.remediation.clone(),
        ..f
    }
}

/// C01, C03, C04, C09, C10, C11, C12 for one current (key, auth_principal) of a cluster.
fn current_key_checks(inputs: &Inputs<'_>, c: &ClusterRow, cur: &CmekKeyInfo) -> Vec<Finding> {
    let uri = cur.spec.uri.as_str();
    let project = segment(uri, 1);
    let Some(key) = inputs.key(uri) else {
        let scanned = inputs.project(&project).is_some_and(|p| p.error.is_none());
        let mut f = fail(
            "C01",
            uri,
            Some(&project),
            format!(
                "Key used by {} is not in project {project}'s inventory.",
                c.name
            ),
            vec![ev("key uri", uri)],
        );
        if !scanned {
            f.status = FindingStatus::NotEvaluated;
            f.message = format!("Key used by {} is in project {project}, which was not scanned (or failed): add it to the scan.", c.name);
        }
        return vec![f];
    };
    let mut out: Vec<Finding> = Vec::new();
    out.extend(c01_usable(c, key));
    out.extend(c03_principal_roles(c, key, &cur.spec.auth_principal));
    out.extend(c04_impersonation(inputs, c, &cur.spec.auth_principal));
    out.extend(a01_public(key).map(|f| retag(f, "C09", c)));
    out.extend(a14_deleted_principals(key).map(|f| retag(f, "C10", c)));
    if let Some(sa) = inputs
        .service_accounts
        .iter()
        .find(|s| s.email == cur.spec.auth_principal)
    {
        let dead: Vec<_> = sa
            .bindings
            .iter()
            .filter(|b| MemberKind::of(&b.member) == MemberKind::Deleted)
            .collect();
        if !dead.is_empty() {
            out.push(fail(
                "C10",
                &sa.email,
                Some(&sa.project),
                format!(
                    "Deleted principals in the policy of {} (used by {}).",
                    sa.email, c.name
                ),
                dead.iter().map(|b| ev("binding", describe(b))).collect(),
            ));
        }
    }
    out.extend(a03_rotation_configured(key).map(|f| retag(f, "C11", c)));
    out.extend(a04_rotation_90_days(key, inputs.now).map(|f| retag(f, "C11", c)));
    out.extend(c12_human_sod(inputs, c, key));
    out
}

/// C01 — CockroachDB managing-cmek; A10.
/// FAIL if purpose ≠ `ENCRYPT_DECRYPT` or the primary is absent / not `ENABLED`.
pub fn c01_usable(c: &ClusterRow, key: &KeyRow) -> Option<Finding> {
    let ok = key.purpose.as_deref() == Some("ENCRYPT_DECRYPT")
        && key.primary_state.as_deref() == Some("ENABLED");
    (!ok).then(|| {
        fail(
            "C01",
            &key.name,
            Some(&key.project),
            format!(
                "{} cannot use this key: purpose or primary state is wrong.",
                c.name
            ),
            vec![
                ev("purpose", opt(key.purpose.as_deref())),
                ev("primary.state", opt(key.primary_state.as_deref())),
            ],
        )
    })
}

/// C03 — CockroachDB cmek-ops-gcp; A06/A08.
/// FAIL (Critical) if `serviceAccount:{auth_principal}` has no unconditional
/// `roles/cloudkms.cryptoKeyEncrypterDecrypter` in the key's effective policy; FAIL (High) if it
/// also holds `roles/cloudkms.admin`, `roles/owner` or `roles/editor` there.
pub fn c03_principal_roles(c: &ClusterRow, key: &KeyRow, auth_principal: &str) -> Option<Finding> {
    let member = format!("serviceAccount:{auth_principal}");
    let mine: Vec<_> = key
        .effective_bindings
        .iter()
        .filter(|b| b.member == member)
        .collect();
    let has = mine
        .iter()
        .any(|b| b.role == ENCRYPT_DECRYPT_ROLES[0] && b.condition.is_none());
    let broad: Vec<_> = mine
        .iter()
        .filter(|b| [ROLE_KMS_ADMIN, ROLE_OWNER, ROLE_EDITOR].contains(&b.role.as_str()))
        .collect();
    let evidence = |v: &[&&crate::model::EffectiveBinding]| {
        v.iter()
            .map(|b| ev("binding", describe(b)))
            .collect::<Vec<_>>()
    };
    if !has {
        let mut e = evidence(&mine.iter().collect::<Vec<_>>());
        e.push(ev("auth_principal", auth_principal));
        return Some(fail_at(Severity::Critical, "C03", &key.name, Some(&key.project), format!("{auth_principal} (used by {}) has no unconditional Encrypter/Decrypter on the key.", c.name), e));
    }
    (!broad.is_empty()).then(|| {
        fail_at(
            Severity::High,
            "C03",
            &key.name,
            Some(&key.project),
            format!("{auth_principal} holds roles broader than Encrypter/Decrypter."),
            evidence(&broad),
        )
    })
}

/// C04 — CockroachDB cmek-ops-gcp; SCC `OVER_PRIVILEGED_SERVICE_ACCOUNT_USER`; A15.
/// FAIL (Critical) if the CockroachDB identity `crl-kms-user-…` has no unconditional
/// `roles/iam.serviceAccountTokenCreator` on the auth_principal (its policy or its project's),
/// or the account does not exist; FAIL (Medium) if granted only at project level.
pub fn c04_impersonation(
    inputs: &Inputs<'_>,
    c: &ClusterRow,
    auth_principal: &str,
) -> Option<Finding> {
    let crl = format!("serviceAccount:{}", crl_principal(&c.id, &c.account_id));
    let Some(sa) = inputs
        .service_accounts
        .iter()
        .find(|s| s.email == auth_principal)
    else {
        return Some(fail(
            "C04",
            auth_principal,
            None,
            "The service account was not read.",
            vec![ev("auth_principal", auth_principal)],
        ));
    };
    let grant = |b: &&crate::model::EffectiveBinding| {
        b.member == crl && b.role == ROLE_TOKEN_CREATOR && b.condition.is_none()
    };
    if !sa.exists {
        return Some(fail(
            "C04",
            auth_principal,
            Some(&sa.project),
            format!("{auth_principal} does not exist (deleted?)."),
            vec![ev("exists", false)],
        ));
    }
    if sa.bindings.iter().any(|b| grant(&b)) {
        return None;
    }
    let wide = sa.project_bindings.iter().any(|b| grant(&b));
    let (sev, msg) = if wide {
        (
            Severity::Medium,
            format!("{crl} can impersonate {auth_principal} only through a project-wide grant."),
        )
    } else {
        (
            Severity::Critical,
            format!(
                "{crl} cannot impersonate {auth_principal}: {} cannot use its key.",
                c.name
            ),
        )
    };
    Some(fail_at(
        sev,
        "C04",
        auth_principal,
        Some(&sa.project),
        msg,
        vec![
            ev("expected member", &crl),
            ev("role", ROLE_TOKEN_CREATOR),
            ev("granted at project level", wide),
        ],
    ))
}

/// C12 — CIS GCP 1.11; SCC `KMS_ROLE_SEPARATION`, `KMS_PROJECT_HAS_OWNER`; A06/A07.
/// FAIL if a human member (user, group, domain, principal, principalSet) holds
/// `roles/cloudkms.admin` and an encrypt/decrypt role on the key, or `roles/owner` on its project.
/// The rule itself is `cmek_core::separation::c12_members`, which the setup plan applies to the
/// keys it would create (one rule for both).
pub fn c12_human_sod(inputs: &Inputs<'_>, c: &ClusterRow, key: &KeyRow) -> Vec<Finding> {
    let project = inputs.project(&key.project);
    let rule = cmek_core::separation::c12_members(
        key.effective_bindings
            .iter()
            .map(|b| (b.role.as_str(), b.member.as_str())),
        project
            .into_iter()
            .flat_map(|p| p.bindings.iter())
            .map(|b| (b.role.as_str(), b.member.as_str())),
    );
    let named = |m: &str| rule.administer_and_use.iter().any(|x| x == m);
    let mut out: Vec<Finding> = sod_violations(&key.effective_bindings, named)
        .into_iter()
        .map(|(m, bs)| {
            fail(
                "C12",
                &key.name,
                Some(&key.project),
                format!("{m} can administer and use the key of {}.", c.name),
                bs.iter().map(|b| ev("binding", describe(b))).collect(),
            )
        })
        .collect();
    if let Some(p) = project {
        let owners: Vec<_> = p
            .bindings
            .iter()
            .filter(|b| b.role == ROLE_OWNER && rule.project_owners.contains(&b.member))
            .collect();
        if !owners.is_empty() {
            out.push(fail(
                "C12",
                &key.name,
                Some(&key.project),
                format!("Human owners on the project of the key of {}.", c.name),
                owners.iter().map(|b| ev("binding", describe(b))).collect(),
            ));
        }
    }
    out
}

/// C02 — CockroachDB managing-cmek; A09.
/// For each key a cluster uses now or used before: FAIL if a version in `DESTROY_SCHEDULED` or
/// `DESTROYED` was created at or after the first key info naming that key, or is the newest
/// version created before it (the primary when CMEK started using the key).
pub fn c02_destruction(inputs: &Inputs<'_>, c: &ClusterRow) -> Vec<Finding> {
    let Some(info) = &c.cmek else {
        return Vec::new();
    };
    let mut first_use: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for k in info
        .region_infos
        .iter()
        .flat_map(|r| r.key_infos.iter())
        .filter(|k| k.spec.key_type == "GCP_CLOUD_KMS")
    {
        let e = first_use
            .entry(k.spec.uri.as_str())
            .or_insert(k.created_at.as_str());
        if k.created_at.as_str() < *e {
            *e = k.created_at.as_str();
        }
    }
    let mut out = Vec::new();
    for (uri, since) in first_use {
        let Some(key) = inputs.key(uri) else { continue };
        let since_t = crate::time_util::parse_time(since);
        let created = |v: &crate::model::VersionRow| {
            v.create_time
                .as_deref()
                .and_then(crate::time_util::parse_time)
        };
        let before: Option<&crate::model::VersionRow> = key
            .versions
            .iter()
            .filter(|v| matches!((created(v), since_t), (Some(a), Some(b)) if a < b))
            .max_by_key(|v| created(v));
        let needed: Vec<_> = key
            .versions
            .iter()
            .filter(|v| matches!(v.state.as_str(), "DESTROY_SCHEDULED" | "DESTROYED"))
            .filter(|v| {
                since_t.is_none()
                    || created(v).is_none()
                    || created(v) >= since_t
                    || before.is_some_and(|b| b.name == v.name)
            })
            .collect();
        if !needed.is_empty() {
            let evidence = needed
                .iter()
                .map(|v| {
                    ev(
                        &format!("version {} {}", v.id, v.state),
                        opt(v.destroy_time.as_deref()),
                    )
                })
                .chain([ev("first used by cluster", since)])
                .collect();
            out.push(fail("C02", &key.name, Some(&key.project), format!("{} may still need key material that is scheduled for destruction or destroyed.", c.name), evidence));
        }
    }
    out
}
