//! The access graph of a cluster on hand-built inventory, with the findings the checks really
//! produce on it: every edge ok on a correct chain, broken where a grant is missing, over-wide
//! (amber) where a grant is project-wide, unknown where the key was not scanned, and nothing
//! to draw for a cluster without a Cloud KMS key.

use cmek_audit::checks::{self, Inputs};
use cmek_audit::graph::{access_graph, AccessGraph, GraphEdge, Health, NodeKind};
use cmek_audit::inventory::key_row;
use cmek_audit::model::*;
use cmek_core::cockroach::{CmekClusterInfo, CmekKeyInfo, CmekKeySpec, CmekRegionInfo};
use cmek_core::kms::{CryptoKey, CryptoKeyVersion};
use time::OffsetDateTime;

const RING: &str = "projects/keys-prj/locations/us-east1/keyRings/crdb";
const KEY: &str = "projects/keys-prj/locations/us-east1/keyRings/crdb/cryptoKeys/cmek";
const SA: &str = "crdb@keys-prj.iam.gserviceaccount.com";
const CLUSTER_ID: &str = "11111111-2222-3333-4444-abcdefabcdef";
const ACCOUNT: &str = "crl-prod-abc";
const CRL: &str = "crl-kms-user-abcdefabcdef@crl-prod-abc.iam.gserviceaccount.com";
const ENCRYPTER: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
const TOKEN_CREATOR: &str = "roles/iam.serviceAccountTokenCreator";

fn binding(role: &str, member: &str, level: PolicyLevel) -> EffectiveBinding {
    EffectiveBinding {
        role: role.into(),
        member: member.into(),
        level,
        resource: "r".into(),
        condition: None,
    }
}

fn key(bindings: Vec<EffectiveBinding>) -> KeyRow {
    let primary = CryptoKeyVersion {
        name: format!("{KEY}/cryptoKeyVersions/1"),
        state: Some("ENABLED".into()),
        ..Default::default()
    };
    let k = CryptoKey {
        name: KEY.into(),
        purpose: Some("ENCRYPT_DECRYPT".into()),
        primary: Some(primary.clone()),
        rotation_period: Some("7776000s".into()),
        ..Default::default()
    };
    let mut row = key_row(&k, RING, vec![primary]);
    row.effective_bindings = bindings;
    row
}

fn cluster(provider: &str, key_type: &str) -> ClusterRow {
    ClusterRow {
        id: CLUSTER_ID.into(),
        name: "payments".into(),
        cloud_provider: provider.into(),
        account_id: ACCOUNT.into(),
        regions: vec!["us-east1".into()],
        cmek: Some(CmekClusterInfo {
            status: "ENABLED".into(),
            region_infos: vec![CmekRegionInfo {
                region: "us-east1".into(),
                status: "ENABLED".into(),
                key_infos: vec![CmekKeyInfo {
                    spec: CmekKeySpec {
                        key_type: key_type.into(),
                        uri: KEY.into(),
                        auth_principal: SA.into(),
                    },
                    status: "ENABLED".into(),
                    created_at: "2025-01-01T00:00:00Z".into(),
                    ..Default::default()
                }],
            }],
        }),
        ..Default::default()
    }
}

/// The service account with Token Creator for the cluster's identity on its own policy
/// (`on_sa`) and/or on its project's (`on_project`).
fn service_account(on_sa: bool, on_project: bool) -> ServiceAccountRow {
    let grant = |level| binding(TOKEN_CREATOR, &format!("serviceAccount:{CRL}"), level);
    ServiceAccountRow {
        email: SA.into(),
        project: "keys-prj".into(),
        exists: true,
        bindings: on_sa
            .then(|| grant(PolicyLevel::ServiceAccount))
            .into_iter()
            .collect(),
        project_bindings: on_project
            .then(|| grant(PolicyLevel::Project))
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

/// A report over `keys` (in project keys-prj), `sa` and `cluster`, with the checks' findings.
fn report(keys: Vec<KeyRow>, sa: ServiceAccountRow, cluster: ClusterRow) -> AuditReport {
    let projects = vec![ProjectRow {
        project_id: "keys-prj".into(),
        keys,
        ..Default::default()
    }];
    let (service_accounts, clusters) = (vec![sa], vec![cluster]);
    let findings = checks::run_all(&Inputs {
        projects: &projects,
        service_accounts: &service_accounts,
        clusters: &clusters,
        now: OffsetDateTime::now_utc(),
    });
    AuditReport {
        projects,
        service_accounts,
        clusters,
        findings,
        ..Default::default()
    }
}

fn graph_of(report: &AuditReport) -> AccessGraph {
    access_graph(report, &report.clusters[0])
}

fn edge<'a>(g: &'a AccessGraph, from: &str, to: &str) -> &'a GraphEdge {
    g.edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .unwrap_or_else(|| panic!("no edge {from} → {to} in {:#?}", g.edges))
}

const P: &str = "p:crl-kms-user-abcdefabcdef@crl-prod-abc.iam.gserviceaccount.com";
const S: &str = "sa:crdb@keys-prj.iam.gserviceaccount.com";
const K: &str = "k:projects/keys-prj/locations/us-east1/keyRings/crdb/cryptoKeys/cmek";
const R: &str = "r:projects/keys-prj/locations/us-east1/keyRings/crdb";
const PR: &str = "pr:keys-prj";

fn key_grant(level: PolicyLevel) -> Vec<EffectiveBinding> {
    vec![binding(ENCRYPTER, &format!("serviceAccount:{SA}"), level)]
}

#[test]
fn a_correct_chain_is_ok_end_to_end_with_its_roles_and_levels() {
    let r = report(
        vec![key(key_grant(PolicyLevel::Key))],
        service_account(true, false),
        cluster("GCP", "GCP_CLOUD_KMS"),
    );
    let g = graph_of(&r);
    assert_eq!(g.cluster_id, CLUSTER_ID);
    let kinds: Vec<NodeKind> = g.nodes.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NodeKind::Principal,
            NodeKind::ServiceAccount,
            NodeKind::Key,
            NodeKind::KeyRing,
            NodeKind::Project
        ]
    );
    assert!(
        g.nodes.iter().all(|n| n.health == Health::Ok),
        "{:#?}",
        g.nodes
    );
    assert_eq!(g.nodes[0].label, CRL);
    assert_eq!(g.nodes[2].label, "cmek");
    assert_eq!(g.nodes[3].label, "crdb (us-east1)");
    assert!(
        g.edges.iter().all(|e| e.health == Health::Ok),
        "{:#?}",
        g.edges
    );

    let impersonate = edge(&g, P, S);
    assert_eq!(impersonate.label, "Token Creator");
    assert_eq!(impersonate.role.as_deref(), Some(TOKEN_CREATOR));
    assert_eq!(impersonate.level, Some(PolicyLevel::ServiceAccount));
    let use_key = edge(&g, S, K);
    assert_eq!(use_key.label, "Encrypt/Decrypt");
    assert_eq!(use_key.role.as_deref(), Some(ENCRYPTER));
    assert_eq!(use_key.level, Some(PolicyLevel::Key));
    assert_eq!(use_key.sub, "on key");
    assert_eq!(edge(&g, K, R).role, None);
    assert_eq!(edge(&g, R, PR).label, "in project");
}

#[test]
fn a_missing_grant_breaks_its_edge_with_the_finding_as_reason() {
    // No Token Creator anywhere (C04 Critical) and no Encrypter/Decrypter on the key (C03 Critical).
    let r = report(
        vec![key(vec![])],
        service_account(false, false),
        cluster("GCP", "GCP_CLOUD_KMS"),
    );
    let g = graph_of(&r);
    let impersonate = edge(&g, P, S);
    assert_eq!(impersonate.health, Health::Broken);
    assert_eq!(impersonate.sub, "missing");
    assert_eq!(impersonate.level, None);
    assert!(
        impersonate.why.contains("cannot impersonate"),
        "{}",
        impersonate.why
    );
    let use_key = edge(&g, S, K);
    assert_eq!(use_key.health, Health::Broken);
    assert_eq!(use_key.sub, "missing");
    assert!(
        use_key.why.contains("no unconditional Encrypter/Decrypter"),
        "{}",
        use_key.why
    );
    assert_eq!(
        edge(&g, K, R).health,
        Health::Ok,
        "containment is not a grant"
    );
}

#[test]
fn project_wide_grants_make_their_edges_over_wide() {
    // Token Creator only through the project (C04 Medium), Encrypter/Decrypter granted on the
    // project (no C03, but the binding's level is too wide).
    let r = report(
        vec![key(key_grant(PolicyLevel::Project))],
        service_account(false, true),
        cluster("GCP", "GCP_CLOUD_KMS"),
    );
    let g = graph_of(&r);
    let impersonate = edge(&g, P, S);
    assert_eq!(impersonate.health, Health::OverWide);
    assert_eq!(impersonate.sub, "project-wide");
    assert_eq!(impersonate.level, Some(PolicyLevel::Project));
    assert!(
        impersonate.why.contains("project-wide grant"),
        "{}",
        impersonate.why
    );
    let use_key = edge(&g, S, K);
    assert_eq!(use_key.health, Health::OverWide);
    assert_eq!(use_key.level, Some(PolicyLevel::Project));
    assert_eq!(use_key.sub, "on project");
    assert_eq!(
        serde_json::to_value(use_key.health).unwrap(),
        "over-wide",
        "the UI's class name"
    );
}

#[test]
fn broader_roles_on_the_key_make_the_key_edge_over_wide() {
    // C03 High: Encrypter/Decrypter on the key plus roles/cloudkms.admin.
    let mut bindings = key_grant(PolicyLevel::Key);
    bindings.push(binding(
        "roles/cloudkms.admin",
        &format!("serviceAccount:{SA}"),
        PolicyLevel::Key,
    ));
    let r = report(
        vec![key(bindings)],
        service_account(true, false),
        cluster("GCP", "GCP_CLOUD_KMS"),
    );
    let use_key = edge(&graph_of(&r), S, K).clone();
    assert_eq!(use_key.health, Health::OverWide);
    assert!(
        use_key.why.contains("broader than Encrypter/Decrypter"),
        "{}",
        use_key.why
    );
}

#[test]
fn a_key_outside_the_scan_is_unknown_and_a_non_gcp_cluster_draws_nothing() {
    let r = report(
        vec![],
        service_account(true, false),
        cluster("GCP", "GCP_CLOUD_KMS"),
    );
    let g = graph_of(&r);
    assert_eq!(edge(&g, S, K).health, Health::Unknown);
    assert_eq!(
        g.nodes.iter().find(|n| n.id == K).unwrap().health,
        Health::Unknown
    );

    let r = report(
        vec![],
        service_account(true, false),
        cluster("AWS", "AWS_KMS"),
    );
    let g = graph_of(&r);
    assert!(g.edges.is_empty() && g.nodes.is_empty(), "{g:#?}");
}
