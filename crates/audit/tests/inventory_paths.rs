//! The two inventory paths (issue #12): the crawl and Cloud Asset Inventory read the sandbox's
//! audit organisation at organisation scope and must produce the same findings (check ids,
//! resources, severities, status, evidence, modulo order) and the same key rows; without the
//! Cloud Asset permissions the audit falls back to the crawl and says why. What else the cluster
//! keys protect (KMS Inventory) is the same on both paths.

mod common;

use cmek_audit::{AuditReport, AuditScope, Finding, InventoryMode, ScanOptions};
use cmek_sandbox::seed::GCP_ORGANIZATION;
use cmek_sandbox::{SandboxHandle, DEFAULT_GOOGLE_MEMBER};
use std::sync::atomic::AtomicBool;

fn org_id() -> String {
    GCP_ORGANIZATION
        .trim_start_matches("organizations/")
        .to_owned()
}

fn org_options(inventory: InventoryMode) -> ScanOptions {
    ScanOptions {
        scope: AuditScope::Organization(org_id()),
        inventory,
        kms_reads_per_minute: 60_000,
        ..Default::default()
    }
}

async fn audit(sb: &SandboxHandle, opts: ScanOptions) -> AuditReport {
    let (r, _) = common::run(sb, opts, &AtomicBool::new(false), |_| {}).await;
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
    r
}

/// A finding as compared: everything but order (evidence sorted too) and the time each scan
/// started (`scanTime` evidence, the clock of the run, not the inventory).
fn comparable(f: &Finding) -> String {
    let mut ev: Vec<String> = f
        .evidence
        .iter()
        .map(|e| match e.field.as_str() {
            "scanTime" => "scanTime=<the scan's start>".to_owned(),
            _ => format!("{}={}", e.field, e.value),
        })
        .collect();
    ev.sort();
    format!(
        "{} {} {:?} {:?} {:?} [{}] {}",
        f.check_id,
        f.resource,
        f.severity,
        f.status,
        f.project,
        ev.join("; "),
        f.message
    )
}

fn findings(r: &AuditReport) -> Vec<String> {
    let mut v: Vec<String> = r.findings.iter().map(comparable).collect();
    v.sort();
    v
}

/// Asserts equal finding lists, naming only the differences.
fn assert_same(crawl: &[String], inventory: &[String]) {
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    assert!(
        crawl == inventory,
        "only in the crawl: {:#?}\nonly in the inventory path: {:#?}",
        only(crawl, inventory),
        only(inventory, crawl)
    );
}

fn kms_calls(sb: &SandboxHandle) -> usize {
    sb.requests().iter().filter(|r| r.service == "kms").count()
}

fn asset_calls(sb: &SandboxHandle) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.service == "cloudasset")
        .count()
}

#[tokio::test]
async fn inventory_path_and_crawl_find_the_same_on_the_audit_organisation() {
    let sb = common::audit_sandbox().await;
    sb.with_state(|s| {
        s.add_binding_direct(
            GCP_ORGANIZATION,
            "roles/cloudasset.viewer",
            DEFAULT_GOOGLE_MEMBER,
        );
    });

    let crawl = audit(&sb, org_options(InventoryMode::Crawl)).await;
    assert!(!crawl.inventory_path.used);
    assert_eq!(crawl.inventory_path.reason, "the crawl was chosen");
    assert_eq!(asset_calls(&sb), 0, "the crawl never calls Cloud Asset");
    let kms_by_crawl = kms_calls(&sb);
    assert!(
        kms_by_crawl > 50,
        "the crawl read Cloud KMS: {kms_by_crawl}"
    );

    let inventory = audit(&sb, org_options(InventoryMode::Auto)).await;
    assert!(
        inventory.inventory_path.used,
        "{}",
        inventory.inventory_path.line()
    );
    assert_eq!(
        kms_calls(&sb),
        kms_by_crawl,
        "the inventory path makes no Cloud KMS call"
    );
    let searches = asset_calls(&sb);
    assert!(
        (2..=4).contains(&searches),
        "one org-wide page of each search: {searches}"
    );
    assert_eq!(inventory.inventory_path.asset_calls as usize, searches);

    // The scope resolved to the same projects, with the audit projects among them.
    let ids = |r: &AuditReport| -> Vec<String> {
        r.projects.iter().map(|p| p.project_id.clone()).collect()
    };
    assert_eq!(ids(&crawl), ids(&inventory));
    assert!(ids(&crawl).iter().any(|p| p == "audit-keys-prj"));

    // Same keys, versions and effective bindings.
    let keys = |r: &AuditReport| {
        let mut k: Vec<_> = r.keys().cloned().collect();
        k.sort_by(|a, b| a.name.cmp(&b.name));
        k
    };
    let (ck, ik) = (keys(&crawl), keys(&inventory));
    assert!(
        ck.len() > 20,
        "the audit organisation has keys: {}",
        ck.len()
    );
    assert_eq!(ck.len(), ik.len());
    for (c, i) in ck.iter().zip(&ik) {
        assert_eq!(c, i, "key row {}", c.name);
    }
    // The same KMS Inventory answer on both paths (it keys off the clusters), with the seeded
    // resources of the key that protects other data.
    let protected = |k: &[cmek_audit::KeyRow]| -> Vec<(String, String)> {
        k.iter()
            .filter_map(|k| Some((k.name.clone(), k.protected_resources.as_ref()?.line())))
            .collect()
    };
    assert_eq!(protected(&ck), protected(&ik));
    let seeded = ik
        .iter()
        .find(|k| k.name == cmek_sandbox::seed_audit::PROTECTING_KEY)
        .and_then(|k| k.protected_resources.as_ref())
        .expect("the seeded key was searched");
    assert_eq!(seeded.resources().len(), 2, "{}", seeded.line());

    let (cf, inf) = (findings(&crawl), findings(&inventory));
    assert!(
        cf.iter().any(|f| f.starts_with("A01 ")),
        "the seeded misconfigurations are found: {cf:#?}"
    );
    assert_same(&cf, &inf);
}

#[tokio::test]
async fn without_cloud_asset_rights_the_audit_crawls_and_says_why() {
    let sb = common::audit_sandbox().await;
    let report = audit(&sb, org_options(InventoryMode::Auto)).await;
    let path = &report.inventory_path;
    assert!(!path.used);
    assert!(
        path.reason
            .contains("lacks cloudasset.assets.searchAllResources on organizations/"),
        "{}",
        path.reason
    );
    assert!(path
        .line()
        .starts_with("inventory path: not available because "));
    assert_eq!(asset_calls(&sb), 0, "no search without the permission");
    assert!(kms_calls(&sb) > 0, "the crawl ran");
    let crawl = audit(&sb, org_options(InventoryMode::Crawl)).await;
    assert_same(&findings(&crawl), &findings(&report));
}

#[tokio::test]
async fn chosen_projects_use_project_scoped_searches() {
    let sb = common::audit_sandbox().await;
    sb.with_state(|s| {
        s.add_binding_direct(
            GCP_ORGANIZATION,
            "roles/cloudasset.viewer",
            DEFAULT_GOOGLE_MEMBER,
        );
    });
    let projects = ["audit-keys-prj", "audit-owner-prj"];
    let crawl = audit(
        &sb,
        ScanOptions {
            inventory: InventoryMode::Crawl,
            ..common::options(&projects)
        },
    )
    .await;
    let inventory = audit(&sb, common::options(&projects)).await;
    assert!(
        inventory.inventory_path.used,
        "{}",
        inventory.inventory_path.line()
    );
    let scoped: Vec<String> = sb
        .requests()
        .iter()
        .filter(|r| r.service == "cloudasset")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        scoped
            .iter()
            .all(|p| p.starts_with("/v1/projects/audit-keys-prj:")
                || p.starts_with("/v1/projects/audit-owner-prj:")),
        "{scoped:?}"
    );
    assert_same(&findings(&crawl), &findings(&inventory));
}
