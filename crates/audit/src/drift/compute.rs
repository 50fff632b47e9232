//! The drift computation itself (pure): what CockroachDB needs on each resource its CMEK
//! specs name ([`expectations`]), the comparison with what a resource has ([`compute`]), the
//! stable finding id ([`drift_id`]) and the audit's use of its inventory ([`from_report_rows`]).

use super::{key_name, sa_resource, DriftCluster, DriftFinding, DriftKind, Expected, Observed};
use crate::checks::cockroach::crl_principal;
use crate::crdb::sa_project;
use crate::effective::ROLE_TOKEN_CREATOR;
use crate::model::{ClusterRow, EffectiveBinding, PolicyLevel};
use cmek_core::iam::{Expr, Grant, ROLE_ENCRYPTER_DECRYPTER};
use std::collections::BTreeMap;

/// Every resource CockroachDB's GCP CMEK specs name, with what it needs, by resource name.
pub fn expectations(clusters: &[ClusterRow]) -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    for c in clusters {
        let Some(info) = &c.cmek else { continue };
        let who = DriftCluster {
            id: c.id.clone(),
            name: c.name.clone(),
        };
        let crl = format!("serviceAccount:{}", crl_principal(&c.id, &c.account_id));
        for r in &info.region_infos {
            let revoked = matches!(r.status.as_str(), "REVOKED" | "REVOKING");
            for k in r.key_infos.iter().filter(|k| {
                k.spec.key_type == "GCP_CLOUD_KMS"
                    && !k.spec.uri.is_empty()
                    && !k.spec.auth_principal.is_empty()
            }) {
                let key = key_name(&k.spec.uri);
                let sa = &k.spec.auth_principal;
                let needs = [
                    (
                        key.clone(),
                        PolicyLevel::Key,
                        segment(&key, 1),
                        key.rsplit('/').next().unwrap_or_default().to_owned(),
                        (ROLE_ENCRYPTER_DECRYPTER, format!("serviceAccount:{sa}")),
                    ),
                    (
                        sa_resource(sa),
                        PolicyLevel::ServiceAccount,
                        sa_project(sa),
                        sa.clone(),
                        (ROLE_TOKEN_CREATOR, crl.clone()),
                    ),
                ];
                for (res, level, project, confirm, (role, member)) in needs {
                    let e = out.entry(res).or_default();
                    e.level = Some(level);
                    e.project = project;
                    e.confirm_text = confirm;
                    e.used_by.insert(who.clone());
                    let pair = (role.to_owned(), member);
                    if revoked {
                        e.tolerated.insert(pair);
                    } else {
                        e.required.insert(pair);
                    }
                }
            }
        }
    }
    out
}

fn segment(name: &str, i: usize) -> String {
    name.split('/').nth(i).unwrap_or_default().to_owned()
}

/// Drift of every expected resource that `observed` returns bindings for, sorted by
/// (resource, kind, role, member).
pub fn compute(
    expected: &BTreeMap<String, Expected>,
    observed: impl Fn(&str, PolicyLevel) -> Option<Observed>,
) -> Vec<DriftFinding> {
    let mut out = Vec::new();
    for (res, e) in expected {
        let Some(level) = e.level else { continue };
        let Some(o) = observed(res, level) else {
            continue;
        };
        let known = |role: &str, member: &str| {
            let p = (role.to_owned(), member.to_owned());
            e.required.contains(&p) || e.tolerated.contains(&p)
        };
        let mut seen = std::collections::HashSet::new();
        for b in &o.own {
            let ok = b.condition.is_none() && known(&b.role, &b.member);
            let key = (b.role.clone(), b.member.clone(), b.condition.clone());
            if !ok && seen.insert(key) {
                out.push(finding(res, e, level, DriftKind::Extra, b));
            }
        }
        for (role, member) in &e.required {
            let has = |bs: &[EffectiveBinding]| {
                bs.iter()
                    .any(|b| &b.role == role && &b.member == member && b.condition.is_none())
            };
            let inherited_ok = level == PolicyLevel::Key && has(&o.inherited);
            if !has(&o.own) && !inherited_ok {
                let b = EffectiveBinding {
                    role: role.clone(),
                    member: member.clone(),
                    level,
                    resource: res.clone(),
                    condition: None,
                };
                out.push(finding(res, e, level, DriftKind::Missing, &b));
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.resource, a.kind, &a.role, &a.member).cmp(&(&b.resource, b.kind, &b.role, &b.member))
    });
    out
}

/// Stable id of a drift finding (FNV-1a 64: no dependency, same on every platform and run).
pub fn drift_id(
    kind: DriftKind,
    resource: &str,
    role: &str,
    member: &str,
    cond: Option<&Expr>,
) -> String {
    let kind = match kind {
        DriftKind::Extra => "extra",
        DriftKind::Missing => "missing",
    };
    let c = cond.map(|c| {
        format!(
            "{}\u{1f}{}",
            c.expression,
            c.title.as_deref().unwrap_or_default()
        )
    });
    let text = [
        kind,
        resource,
        role,
        member,
        c.as_deref().unwrap_or_default(),
    ]
    .join("\u{1e}");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("drift-{h:016x}")
}

fn finding(
    res: &str,
    e: &Expected,
    level: PolicyLevel,
    kind: DriftKind,
    b: &EffectiveBinding,
) -> DriftFinding {
    let names: Vec<&str> = e.used_by.iter().map(|c| c.name.as_str()).collect();
    let names = names.join(", ");
    let cond = b
        .condition
        .as_ref()
        .map(|c| {
            format!(
                " under the condition \"{}\"",
                c.title.as_deref().unwrap_or(&c.expression)
            )
        })
        .unwrap_or_default();
    let place = match level {
        PolicyLevel::ServiceAccount => format!("service account {}", e.confirm_text),
        _ => format!("key {}", e.confirm_text),
    };
    let id = drift_id(kind, res, &b.role, &b.member, b.condition.as_ref());
    let message = match kind {
        DriftKind::Extra => format!(
            "{} holds {}{cond} on {place}, which CockroachDB's CMEK does not need (used by {names}) [{id}]",
            b.member, b.role
        ),
        DriftKind::Missing => format!(
            "{} lacks the unconditional {} on {place} that {names} need(s) [{id}]",
            b.member, b.role
        ),
    };
    DriftFinding {
        id,
        kind,
        level,
        resource: res.to_owned(),
        project: e.project.clone(),
        confirm_text: e.confirm_text.clone(),
        role: b.role.clone(),
        member: b.member.clone(),
        condition: b.condition.clone(),
        used_by: e.used_by.iter().cloned().collect(),
        expected: e
            .required
            .iter()
            .map(|(r, m)| Grant::new(r.clone(), m.clone()))
            .collect(),
        message,
    }
}

/// Drift over an audit's inventory: keys from the scanned projects (their key and key-ring
/// bindings), service accounts that exist and were read without error.
pub fn from_report_rows(
    projects: &[crate::model::ProjectRow],
    service_accounts: &[crate::model::ServiceAccountRow],
    clusters: &[ClusterRow],
) -> Vec<DriftFinding> {
    compute(&expectations(clusters), |res, level| match level {
        PolicyLevel::Key => {
            let k = projects
                .iter()
                .flat_map(|p| p.keys.iter())
                .find(|k| k.name == res)?;
            let at = |l: PolicyLevel| {
                k.effective_bindings
                    .iter()
                    .filter(|b| b.level == l)
                    .cloned()
                    .collect()
            };
            Some(Observed {
                own: at(PolicyLevel::Key),
                inherited: at(PolicyLevel::KeyRing),
            })
        }
        _ => {
            let sa = service_accounts
                .iter()
                .find(|s| sa_resource(&s.email) == res && s.exists && s.error.is_none())?;
            Some(Observed {
                own: sa.bindings.clone(),
                inherited: Vec::new(),
            })
        }
    })
}
