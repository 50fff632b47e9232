//! `cmek audit --organization ID` against a `cmek sandbox serve` process (issue #12): the scope
//! resolves to the organisation's projects, the report says which inventory path read them
//! (the signed-in identity has no Cloud Asset rights in the served sandbox, so the crawl, with
//! the reason), and `--project` with `--organization` is refused by the parser.

mod common;

use cmek_sandbox::seed::GCP_ORGANIZATION;
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use common::{Cli, Served};

#[test]
fn an_organization_scope_covers_its_projects_and_names_the_inventory_path() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let org = GCP_ORGANIZATION.trim_start_matches("organizations/");
    let r = cli
        .run(&[
            "audit",
            "--organization",
            org,
            "--format",
            "json",
            "--reads-per-minute",
            "6000",
        ])
        .json();
    let projects: Vec<&str> = r["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["projectId"].as_str())
        .collect();
    assert!(projects.contains(&AUDIT_KEYS_PROJECT), "{projects:?}");
    assert!(projects.contains(&AUDIT_OWNER_PROJECT), "{projects:?}");
    assert_eq!(r["inventoryPath"]["used"], false);
    let reason = r["inventoryPath"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("cloudasset.assets.searchAllResources"),
        "{reason}"
    );

    let refused = cli.run(&[
        "audit",
        "--organization",
        org,
        "--project",
        AUDIT_KEYS_PROJECT,
    ]);
    assert_eq!(refused.code, 2, "clap refuses both scopes");
}
