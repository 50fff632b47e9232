//! The access graph of a CockroachDB cluster on AWS: principal (CockroachDB's account root) →
//! role (trust: C05) → key (key policy: C03) → region (key usable, not pending deletion, in the
//! region: C01, C02, C06), one path per (key, role) a region uses now. Edge health is decided
//! here from the findings, as [`crate::graph`] does for GCP; the UI only renders it.

use super::cluster_checks::current_specs;
use super::AwsInventory;
use crate::graph::{AccessGraph, GraphEdge, GraphNode, Health, NodeKind};
use crate::model::{ClusterRow, Finding, FindingStatus, Severity};
use cmek_core::aws::arn::{account_root_arn, RoleArn};

fn health_of(f: &Finding) -> Health {
    match f.severity {
        Severity::Critical => Health::Broken,
        _ => Health::OverWide,
    }
}

fn worse(a: Health, b: Health) -> Health {
    let rank = |h: Health| match h {
        Health::Broken => 0,
        Health::OverWide => 1,
        Health::Unknown => 2,
        Health::Ok => 3,
    };
    if rank(b) < rank(a) {
        b
    } else {
        a
    }
}

/// Health and reason of an edge from the failed findings `ids` on `resource` (`ok` otherwise).
fn judge(findings: &[Finding], ids: &[&str], resource: &str, ok: &str) -> (Health, String) {
    findings
        .iter()
        .filter(|f| {
            f.status == FindingStatus::Fail
                && ids.contains(&f.check_id.as_str())
                && f.resource == resource
        })
        .fold((Health::Ok, ok.to_owned()), |(h, why), f| {
            let n = health_of(f);
            if worse(h, n) != h {
                (n, f.message.clone())
            } else {
                (h, why)
            }
        })
}

#[derive(Default)]
struct Builder {
    nodes: Vec<GraphNode>,
    edges: Vec<GraphEdge>,
}

impl Builder {
    fn node(&mut self, id: &str, kind: NodeKind, label: &str, health: Health, note: &str) {
        if let Some(n) = self.nodes.iter_mut().find(|n| n.id == id) {
            n.health = worse(n.health, health);
            return;
        }
        self.nodes.push(GraphNode {
            id: id.into(),
            kind,
            label: label.into(),
            health,
            note: note.into(),
        });
    }

    fn edge(&mut self, from: &str, to: &str, label: &str, (health, why): (Health, String)) {
        if let Some(e) = self.edges.iter_mut().find(|e| e.from == from && e.to == to) {
            if worse(e.health, health) != e.health {
                (e.health, e.why) = (health, why);
            }
            return;
        }
        let sub = match health {
            Health::Broken => "broken",
            Health::OverWide => "too wide",
            Health::Unknown => "not read",
            Health::Ok => "",
        };
        self.edges.push(GraphEdge {
            from: from.into(),
            to: to.into(),
            label: label.into(),
            role: None,
            level: None,
            sub: sub.into(),
            health,
            why,
        });
    }
}

/// The chain of `c` (empty edges when it uses no AWS key now). `findings` are the report's.
pub fn access_graph(inv: &AwsInventory, findings: &[Finding], c: &ClusterRow) -> AccessGraph {
    let mut g = Builder::default();
    let specs = current_specs(c);
    if specs.is_empty() {
        return AccessGraph {
            cluster_id: c.id.clone(),
            ..Default::default()
        };
    }
    let cluster = format!("clusters/{}", c.id);
    for (region, k) in specs {
        let role_arn = &k.spec.auth_principal;
        let partition = RoleArn::parse("role", role_arn)
            .map(|r| r.partition)
            .unwrap_or_else(|_| "aws".into());
        let root = account_root_arn(&partition, &c.account_id);
        let p = format!("p:{root}");
        g.node(
            &p,
            NodeKind::Principal,
            &root,
            Health::Ok,
            &format!("CockroachDB's AWS account for {}", c.name),
        );
        let role = inv.role(role_arn);
        let r = format!("role:{role_arn}");
        let role_health = if role.is_some() {
            Health::Ok
        } else {
            Health::Broken
        };
        g.node(
            &r,
            NodeKind::Role,
            role_arn,
            role_health,
            if role.is_some() { "" } else { "does not exist" },
        );
        g.edge(
            &p,
            &r,
            "sts:AssumeRole",
            judge(
                findings,
                &["C05"],
                &cluster,
                "trusted with sts:ExternalId = organization id",
            ),
        );
        let key = inv.key(&k.spec.uri);
        let kid = format!("k:{}", k.spec.uri);
        let key_health = match key {
            None => Health::Unknown,
            Some(key) if key.meta.usable_for_cmek().is_err() => Health::Broken,
            Some(_) => Health::Ok,
        };
        let note = key
            .map(|k| k.aliases.join(", "))
            .unwrap_or_else(|| "not found in the scanned regions".into());
        g.node(&kid, NodeKind::Key, &k.spec.uri, key_health, &note);
        let res = format!("clusters/{}/regions/{region}", c.id);
        let mut policy = judge(
            findings,
            &["C03"],
            &res,
            "key policy grants exactly the five actions",
        );
        if key.is_none() {
            policy = (Health::Unknown, "the key was not read".into());
        }
        g.edge(&r, &kid, "key policy", policy);
        let rid = format!("region:{region}");
        g.node(&rid, NodeKind::Region, region, Health::Ok, "");
        g.edge(
            &kid,
            &rid,
            "encrypts",
            judge(
                findings,
                &["C01", "C02", "C06"],
                &res,
                "key usable in the region",
            ),
        );
    }
    AccessGraph {
        cluster_id: c.id.clone(),
        nodes: g.nodes,
        edges: g.edges,
    }
}
