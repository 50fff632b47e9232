//! What else the keys CockroachDB uses protect (issue 12, `cmek_audit::protected`), against the
//! sandbox over HTTP: the seeded key's BigQuery dataset and bucket are listed with the key
//! version; without `cloudkms.protectedResources.search` on the organisation every cluster key
//! is "not evaluated" naming the permission and no search is sent; keys no cluster uses are not
//! searched; the same answer for an organisation scope and for chosen projects (organisation
//! from the key project's parent), and for the key actions' confirmation (`for_key`); more than
//! a page (500) is read to the last page.

mod common;

use cmek_audit::protected::for_key;
use cmek_audit::{AuditReport, KeyRow};
use cmek_core::protected::ProtectedResources;
use cmek_sandbox::seed::GCP_ORGANIZATION;
use cmek_sandbox::seed_audit::{
    audit_key, AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT, PROTECTED_VIEWER_ROLE, PROTECTING_KEY,
};
use cmek_sandbox::{SandboxHandle, DEFAULT_GOOGLE_MEMBER};

fn key<'a>(r: &'a AuditReport, name: &str) -> &'a KeyRow {
    r.keys()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("{name} scanned"))
}

fn searches(sb: &SandboxHandle) -> Vec<String> {
    sb.requests()
        .iter()
        .filter(|r| r.path.contains("protectedResources:search"))
        .map(|r| r.path.clone())
        .collect()
}

fn assert_seeded_list(p: &ProtectedResources) {
    let ProtectedResources::Evaluated {
        organization,
        resources,
    } = p
    else {
        panic!("evaluated: {p:?}")
    };
    assert_eq!(organization, GCP_ORGANIZATION);
    let names: Vec<(&str, &str, &str)> = resources
        .iter()
        .map(|r| {
            (
                r.resource_type.as_str(),
                r.name.as_str(),
                r.project.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "bigquery.googleapis.com/Dataset",
                "//bigquery.googleapis.com/projects/audit-owner-prj/datasets/payments_ledger",
                AUDIT_OWNER_PROJECT
            ),
            (
                "storage.googleapis.com/Bucket",
                "//storage.googleapis.com/projects/_/buckets/audit-owner-prj-exports",
                AUDIT_OWNER_PROJECT
            ),
        ]
    );
    for r in resources {
        assert_eq!(r.location, "us-east4");
        assert_eq!(
            r.key_versions,
            vec![format!("{PROTECTING_KEY}/cryptoKeyVersions/1")],
            "the key version KMS Inventory reports"
        );
    }
}

#[tokio::test]
async fn the_seeded_cluster_key_lists_what_else_it_protects() {
    let sb = common::audit_sandbox().await;
    let report = common::full_report(&sb).await;
    let k = key(&report, PROTECTING_KEY);
    assert!(!k.used_by.is_empty(), "a CockroachDB cluster uses it");
    assert_seeded_list(k.protected_resources.as_ref().expect("searched"));

    // Every other cluster key was searched and protects nothing else; keys no cluster uses were
    // not searched at all.
    let cluster_keys: Vec<&KeyRow> = report.keys().filter(|k| !k.used_by.is_empty()).collect();
    assert!(cluster_keys.len() > 5, "{}", cluster_keys.len());
    for k in &cluster_keys {
        match k.protected_resources.as_ref() {
            Some(ProtectedResources::Evaluated { resources, .. }) if k.name != PROTECTING_KEY => {
                assert!(resources.is_empty(), "{}: {resources:?}", k.name)
            }
            Some(ProtectedResources::Evaluated { .. }) => {}
            other => panic!("{}: {other:?}", k.name),
        }
    }
    let unused = key(&report, &audit_key("a01-bad"));
    assert!(unused.used_by.is_empty());
    assert_eq!(unused.protected_resources, None);
    let sent = searches(&sb);
    assert!(
        sent.iter()
            .all(|p| p == &format!("/v1/{GCP_ORGANIZATION}/protectedResources:search")),
        "{sent:?}"
    );
    // One page per cluster key: at most one search per key the clusters name.
    assert!(sent.len() >= cluster_keys.len(), "{}", sent.len());

    // The key actions' confirmation reads the same list live.
    let c = common::clients(&sb);
    assert_seeded_list(&for_key(&c.google, PROTECTING_KEY).await);
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
}

#[tokio::test]
async fn without_the_permission_each_cluster_key_says_which_is_missing() {
    let sb = common::audit_sandbox().await;
    sb.with_state(|s| {
        s.remove_binding_direct(
            GCP_ORGANIZATION,
            PROTECTED_VIEWER_ROLE,
            DEFAULT_GOOGLE_MEMBER,
        );
    });
    let report = common::full_report(&sb).await;
    let expected = format!(
        "the signed-in identity lacks cloudkms.protectedResources.search on {GCP_ORGANIZATION} (roles/cloudkms.protectedResourcesViewer grants it)"
    );
    let cluster_keys: Vec<&KeyRow> = report.keys().filter(|k| !k.used_by.is_empty()).collect();
    assert!(!cluster_keys.is_empty());
    for k in cluster_keys {
        assert_eq!(
            k.protected_resources,
            Some(ProtectedResources::NotEvaluated {
                why: expected.clone()
            }),
            "{}",
            k.name
        );
    }
    assert_eq!(searches(&sb), Vec::<String>::new(), "no search without it");
    let c = common::clients(&sb);
    assert_eq!(
        for_key(&c.google, PROTECTING_KEY).await,
        ProtectedResources::NotEvaluated { why: expected }
    );
    // The permission is enforced by the API too, not only by our check: 403 naming it.
    let denied = c
        .google
        .kms_inventory
        .search_protected_resources(GCP_ORGANIZATION, PROTECTING_KEY, None)
        .await
        .expect_err("403");
    assert_eq!(denied.http_status, Some(403));
    assert_eq!(
        denied.permission.as_deref(),
        Some("cloudkms.protectedResources.search"),
        "{denied:?}"
    );
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
}

#[tokio::test]
async fn chosen_projects_search_at_the_organisation_of_the_key_project() {
    let sb = common::audit_sandbox().await;
    let report = common::run(
        &sb,
        common::options(&[AUDIT_KEYS_PROJECT]),
        &std::sync::atomic::AtomicBool::new(false),
        |_| {},
    )
    .await
    .0;
    assert_seeded_list(
        key(&report, PROTECTING_KEY)
            .protected_resources
            .as_ref()
            .expect("searched"),
    );
    let parents = sb
        .requests()
        .iter()
        .filter(|r| r.path == format!("/v3/projects/{AUDIT_KEYS_PROJECT}"))
        .count();
    assert!(parents >= 1, "the key project's parent was read");
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
}

#[tokio::test]
async fn every_export_shows_what_else_the_key_protects() {
    use cmek_audit::export::{csv, html, json, ocsf};
    let sb = common::audit_sandbox().await;
    let report = common::full_report(&sb).await;
    let want = key(&report, PROTECTING_KEY).protected_resources.clone();
    assert!(want.is_some());

    let back = json::from_json(&json::to_json(&report)).expect("JSON export reads back");
    assert_eq!(key(&back, PROTECTING_KEY).protected_resources, want, "JSON");

    let c = csv::to_csv(&report);
    let line = format!(
        "# protectedResources key={PROTECTING_KEY} also protects 2 resource(s) of {GCP_ORGANIZATION}: bigquery.googleapis.com/Dataset //bigquery.googleapis.com/projects/audit-owner-prj/datasets/payments_ledger (us-east4); "
    );
    assert!(c.lines().any(|l| l.starts_with(&line)), "CSV:\n{c}");

    let h = html::to_html(&report);
    assert!(
        h.contains("Other resources this key protects in organizations/998877665544 (KMS Inventory): 2</p>"),
        "HTML"
    );
    assert!(h.contains("//storage.googleapis.com/projects/_/buckets/audit-owner-prj-exports"));

    let events = ocsf::to_ocsf(&report);
    let first = &events[0]["unmapped"]["protected_resources"];
    let entry = first
        .as_array()
        .and_then(|a| a.iter().find(|e| e["key"] == PROTECTING_KEY))
        .expect("OCSF lists the key");
    assert_eq!(entry["result"]["status"], "evaluated");
    assert_eq!(
        entry["result"]["resources"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_key_protecting_more_than_a_page_is_read_to_the_last_page() {
    let sb = common::audit_sandbox().await;
    sb.with_state(|s| {
        for i in 0..600 {
            s.add_protected_resource(
                PROTECTING_KEY,
                "compute.googleapis.com/Disk",
                &format!("//compute.googleapis.com/projects/audit-owner-prj/zones/us-east4-a/disks/d{i:03}"),
                AUDIT_OWNER_PROJECT,
                "us-east4-a",
            );
        }
    });
    let c = common::clients(&sb);
    let found = for_key(&c.google, PROTECTING_KEY).await;
    let resources = found.resources();
    assert_eq!(resources.len(), 602, "{}", found.line());
    let disks = resources
        .iter()
        .filter(|r| r.resource_type == "compute.googleapis.com/Disk")
        .count();
    assert_eq!(disks, 600);
    assert_eq!(searches(&sb).len(), 2, "two pages of 500");
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
}

#[tokio::test]
async fn a_key_project_under_folders_searches_at_the_organisation_above_them() {
    let sb = common::audit_sandbox().await;
    sb.with_state(|s| {
        s.add_folder("5550001", GCP_ORGANIZATION);
        s.add_folder("5550002", "folders/5550001");
        s.set_project_parent(AUDIT_KEYS_PROJECT, "folders/5550002");
    });
    let c = common::clients(&sb);
    // The officer may not read the folders yet: not evaluated, naming the folder.
    match for_key(&c.google, PROTECTING_KEY).await {
        ProtectedResources::NotEvaluated { why } => assert!(
            why.starts_with("folders/5550002 above project audit-keys-prj could not be read"),
            "{why}"
        ),
        other => panic!("not evaluated: {other:?}"),
    }
    sb.with_state(|s| {
        s.add_binding_direct("folders/5550001", "roles/viewer", DEFAULT_GOOGLE_MEMBER);
    });
    assert_seeded_list(&for_key(&c.google, PROTECTING_KEY).await);
    let folders: Vec<String> = sb
        .requests()
        .iter()
        .filter(|r| r.operation == "cloudresourcemanager.folders.get")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        folders.contains(&"/v3/folders/5550001".to_owned()),
        "{folders:?}"
    );
    assert!(
        sb.spec_violations().is_empty(),
        "{:#?}",
        sb.spec_violations()
    );
}
