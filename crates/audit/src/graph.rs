//! The access graph of each CockroachDB cluster, as the audit screen draws it: CockroachDB
//! principal → service account → key → key ring → project, one path per (key, service
//! account) a region uses now. Each edge carries its role and a health derived from the
//! findings (C01-C04, A07, A15) and the level an IAM binding comes from; the UI only renders it.

use crate::checks::cockroach::crl_principal;
use crate::effective::{ENCRYPT_DECRYPT_ROLES, ROLE_TOKEN_CREATOR};
use crate::model::{
    AuditReport, ClusterRow, EffectiveBinding, Finding, FindingStatus, PolicyLevel, Severity,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How sound one link of the chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Health {
    /// The grant or containment is there, scoped as it should be.
    Ok,
    /// Missing, deleted, disabled or unusable: CockroachDB cannot use the key through it.
    Broken,
    /// Works, but through a grant wider than needed (project-wide, broader roles, owners).
    OverWide,
    /// Not read by this scan (e.g. the key's project was not picked).
    Unknown,
}

impl Health {
    /// The worse of two: broken, then over-wide, then unknown, then ok.
    fn worse(self, other: Self) -> Self {
        let rank = |h: Self| match h {
            Self::Broken => 0,
            Self::OverWide => 1,
            Self::Unknown => 2,
            Self::Ok => 3,
        };
        if rank(other) < rank(self) {
            other
        } else {
            self
        }
    }
}

/// What a node of the chain is (also its column, left to right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum NodeKind {
    Principal,
    ServiceAccount,
    Key,
    KeyRing,
    Project,
    /// An AWS IAM role (AWS clusters, [`crate::aws::graph`]).
    Role,
    /// A cluster region an AWS key serves (AWS clusters).
    Region,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GraphNode {
    /// Unique within the graph (`p:…`, `sa:…`, `k:…`, `r:…`, `pr:…`).
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
    pub health: Health,
    /// Extra text (the full resource name, "disabled", …); empty when none.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GraphEdge {
    /// Node ids.
    pub from: String,
    pub to: String,
    /// Short text on the edge: the role (`Token Creator`, `Encrypt/Decrypt`) or the containment.
    pub label: String,
    /// The IAM role the edge stands for; `None` for containment (key ring, project).
    pub role: Option<String>,
    /// The level the grant comes from, when there is one.
    pub level: Option<PolicyLevel>,
    /// Second line (`missing`, `project-wide`, `on key ring`, …); empty when none.
    pub sub: String,
    pub health: Health,
    /// Why the edge has its health (a finding's message, the grant found); empty when plain.
    pub why: String,
}

/// The access graph of one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccessGraph {
    pub cluster_id: String,
    pub nodes: Vec<GraphNode>,
    /// Empty when the cluster uses no Cloud KMS key now (nothing to draw).
    pub edges: Vec<GraphEdge>,
}

/// The access graph of every cluster of the report, in its order.
pub fn access_graphs(report: &AuditReport) -> Vec<AccessGraph> {
    report
        .clusters
        .iter()
        .map(|c| access_graph(report, c))
        .collect()
}

/// The access chain of `c`, one path per (key, service account) a region uses now. Edge health:
/// principal → service account from C04 (Critical: broken, Medium: project-wide = over-wide) and
/// the account's existence; service account → key from C03 (Critical: broken, High: over-wide)
/// and the level of its Encrypter/Decrypter grant (on the project: over-wide); key → key ring is
/// broken when the key is unusable (C01/C02); key ring → project is over-wide when A07/A15 fire
/// on the project. Where two paths share an edge or node, the worse health wins.
pub fn access_graph(report: &AuditReport, c: &ClusterRow) -> AccessGraph {
    let mut g = Builder::default();
    let fails: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .collect();
    let fail = |check: &str, resource: &str| -> Vec<&Finding> {
        fails
            .iter()
            .copied()
            .filter(|f| f.check_id == check && f.resource == resource)
            .collect()
    };
    let crl = crl_principal(&c.id, &c.account_id);
    let principal = format!("p:{crl}");

    let mut pairs: Vec<(String, String)> = Vec::new();
    for r in c.cmek.iter().flat_map(|i| i.region_infos.iter()) {
        if let Some(cur) = r.current().filter(|k| k.spec.key_type == "GCP_CLOUD_KMS") {
            let pair = (cur.spec.uri.clone(), cur.spec.auth_principal.clone());
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
    }
    if pairs.is_empty() {
        return AccessGraph {
            cluster_id: c.id.clone(),
            ..Default::default()
        };
    }
    g.node(
        &principal,
        NodeKind::Principal,
        &crl,
        Health::Ok,
        &format!("CockroachDB identity of {}", c.name),
    );

    for (uri, sa) in &pairs {
        let sa_row = report.service_accounts.iter().find(|s| &s.email == sa);
        let key = report.keys().find(|k| &k.name == uri);

        // principal → service account (Token Creator)
        let c04 = fail("C04", sa).into_iter().find(|f| {
            f.evidence.is_empty()
                || f.evidence.iter().any(|e| e.value.contains(&crl))
                || !f.evidence.iter().any(|e| e.field == "expected member")
        });
        let (mut h, mut why) = match sa_row {
            None => (
                Health::Unknown,
                "the service account was not read".to_owned(),
            ),
            Some(s) if !s.exists => (
                Health::Broken,
                "the service account does not exist".to_owned(),
            ),
            Some(_) => (
                Health::Ok,
                format!("{ROLE_TOKEN_CREATOR} granted on the service account"),
            ),
        };
        if let Some(f) = c04 {
            (h, why) = (severity_health(f), f.message.clone());
        }
        let sa_broken = sa_row.is_some_and(|s| !s.exists || s.disabled);
        let sa_note = if sa_row.is_some_and(|s| s.disabled) {
            "disabled"
        } else {
            ""
        };
        let sa_id = format!("sa:{sa}");
        g.node(
            &sa_id,
            NodeKind::ServiceAccount,
            sa,
            if sa_broken {
                Health::Broken
            } else {
                Health::Ok
            },
            sa_note,
        );
        let sub = match h {
            Health::Broken => "missing",
            Health::OverWide => "project-wide",
            _ => "",
        };
        let level = match h {
            Health::Ok => Some(PolicyLevel::ServiceAccount),
            Health::OverWide => Some(PolicyLevel::Project),
            _ => None,
        };
        g.edge(
            &principal,
            &sa_id,
            "Token Creator",
            Some(ROLE_TOKEN_CREATOR),
            level,
            sub,
            h,
            why,
        );

        // service account → key (Encrypter/Decrypter)
        let c03 = fail("C03", uri)
            .into_iter()
            .find(|f| f.evidence.iter().any(|e| e.value.contains(sa.as_str())))
            .or_else(|| fail("C03", uri).into_iter().next());
        let member = format!("serviceAccount:{sa}");
        let grant: Option<&EffectiveBinding> = key.and_then(|k| {
            k.effective_bindings.iter().find(|b| {
                b.member == member && b.role == ENCRYPT_DECRYPT_ROLES[0] && b.condition.is_none()
            })
        });
        let (mut kh, mut kwhy) = match (grant, key) {
            (Some(b), _) => (
                if b.level == PolicyLevel::Project {
                    Health::OverWide
                } else {
                    Health::Ok
                },
                format!(
                    "{} at {} level",
                    ENCRYPT_DECRYPT_ROLES[0],
                    level_name(b.level)
                ),
            ),
            (None, Some(_)) => (
                Health::Broken,
                "no unconditional Encrypter/Decrypter on the key".to_owned(),
            ),
            (None, None) => (
                Health::Unknown,
                "the key was not scanned (pick its project)".to_owned(),
            ),
        };
        if let Some(f) = c03 {
            (kh, kwhy) = (severity_health(f), f.message.clone());
        }
        let key_broken = !fail("C01", uri).is_empty() || !fail("C02", uri).is_empty();
        let key_id = format!("k:{uri}");
        let key_health = match key {
            None => Health::Unknown,
            Some(_) if key_broken => Health::Broken,
            Some(_) => Health::Ok,
        };
        g.node(
            &key_id,
            NodeKind::Key,
            uri.rsplit('/').next().unwrap_or(uri),
            key_health,
            uri,
        );
        let sub = grant.map_or_else(
            || "missing".to_owned(),
            |b| format!("on {}", level_name(b.level)),
        );
        g.edge(
            &sa_id,
            &key_id,
            "Encrypt/Decrypt",
            Some(ENCRYPT_DECRYPT_ROLES[0]),
            grant.map(|b| b.level),
            &sub,
            kh,
            kwhy,
        );

        // key → key ring → project (containment)
        let Some((project, location, ring_id, ring)) = ring_of(uri) else {
            continue;
        };
        let ring_node = format!("r:{ring}");
        g.node(
            &ring_node,
            NodeKind::KeyRing,
            &format!("{ring_id} ({location})"),
            Health::Ok,
            &ring,
        );
        let (rh, rwhy) = match key {
            _ if key_broken => (Health::Broken, "the key is not usable (C01/C02)"),
            Some(_) => (Health::Ok, ""),
            None => (Health::Unknown, ""),
        };
        g.edge(
            &key_id,
            &ring_node,
            "in key ring",
            None,
            None,
            "",
            rh,
            rwhy.to_owned(),
        );
        let project_res = format!("projects/{project}");
        let wide: Vec<&str> = fails
            .iter()
            .filter(|f| (f.check_id == "A07" || f.check_id == "A15") && f.resource == project_res)
            .map(|f| f.message.as_str())
            .collect();
        let ph = if wide.is_empty() {
            Health::Ok
        } else {
            Health::OverWide
        };
        let project_node = format!("pr:{project}");
        g.node(&project_node, NodeKind::Project, project, ph, "");
        g.edge(
            &ring_node,
            &project_node,
            "in project",
            None,
            None,
            if wide.is_empty() { "" } else { "wide grants" },
            ph,
            wide.join(" "),
        );
    }
    AccessGraph {
        cluster_id: c.id.clone(),
        nodes: g.nodes,
        edges: g.edges,
    }
}

/// Critical: broken; any lower severity: over-wide (the two levels of C03 and C04).
fn severity_health(f: &Finding) -> Health {
    if f.severity == Severity::Critical {
        Health::Broken
    } else {
        Health::OverWide
    }
}

fn level_name(level: PolicyLevel) -> &'static str {
    match level {
        PolicyLevel::Key => "key",
        PolicyLevel::KeyRing => "key ring",
        PolicyLevel::Project => "project",
        PolicyLevel::ServiceAccount => "service account",
    }
}

/// `projects/P/locations/L/keyRings/R/…` → (P, L, R, the key ring's name).
fn ring_of(uri: &str) -> Option<(&str, &str, &str, String)> {
    let parts: Vec<&str> = uri.split('/').collect();
    match parts.as_slice() {
        ["projects", p, "locations", l, "keyRings", r, ..]
            if !p.is_empty() && !l.is_empty() && !r.is_empty() =>
        {
            Some((p, l, r, format!("projects/{p}/locations/{l}/keyRings/{r}")))
        }
        _ => None,
    }
}

/// Nodes and edges in first-seen order; a repeat keeps the first and takes the worse health.
#[derive(Default)]
struct Builder {
    nodes: Vec<GraphNode>,
    edges: Vec<GraphEdge>,
}

impl Builder {
    fn node(&mut self, id: &str, kind: NodeKind, label: &str, health: Health, note: &str) {
        match self.nodes.iter_mut().find(|n| n.id == id) {
            Some(had) => had.health = had.health.worse(health),
            None => self.nodes.push(GraphNode {
                id: id.to_owned(),
                kind,
                label: label.to_owned(),
                health,
                note: note.to_owned(),
            }),
        }
    }

    /// A repeated edge keeps the worse health, with the reason of the path that set it.
    #[allow(clippy::too_many_arguments)]
    fn edge(
        &mut self,
        from: &str,
        to: &str,
        label: &str,
        role: Option<&str>,
        level: Option<PolicyLevel>,
        sub: &str,
        health: Health,
        why: String,
    ) {
        match self.edges.iter_mut().find(|e| e.from == from && e.to == to) {
            Some(had) => {
                had.health = had.health.worse(health);
                if had.health == health {
                    had.why = why;
                }
            }
            None => self.edges.push(GraphEdge {
                from: from.to_owned(),
                to: to.to_owned(),
                label: label.to_owned(),
                role: role.map(str::to_owned),
                level,
                sub: sub.to_owned(),
                health,
                why,
            }),
        }
    }
}
