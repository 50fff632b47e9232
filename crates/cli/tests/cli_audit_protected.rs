//! `cmek audit`'s table lists what else the keys CockroachDB uses protect (issue 12, KMS
//! Inventory) against a `cmek sandbox serve` process: the seeded BigQuery dataset and Cloud
//! Storage bucket of the `audit-clean` cluster's key, with their project and key version, and
//! "nothing else" for the other cluster keys; `--format json` carries the same per key.

mod common;

use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT, PROTECTING_KEY};
use common::{Cli, Served};

#[test]
fn the_audit_table_and_json_list_what_else_a_cockroachdb_key_protects() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let scan = [
        "audit",
        "--project",
        AUDIT_KEYS_PROJECT,
        "--project",
        AUDIT_OWNER_PROJECT,
        "--reads-per-minute",
        "6000",
    ];
    let table = cli.run(&scan);
    let out = &table.stdout;
    assert!(
        out.contains("What else the keys CockroachDB uses protect (KMS Inventory):"),
        "{out}"
    );
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with(PROTECTING_KEY))
        .collect();
    assert_eq!(rows.len(), 2, "one row per protected resource: {out}");
    let version = format!("{PROTECTING_KEY}/cryptoKeyVersions/1");
    for (row, name) in rows.iter().zip([
        "//bigquery.googleapis.com/projects/audit-owner-prj/datasets/payments_ledger",
        "//storage.googleapis.com/projects/_/buckets/audit-owner-prj-exports",
    ]) {
        assert!(row.contains(name), "{row}");
        assert!(row.contains(AUDIT_OWNER_PROJECT), "{row}");
        assert!(row.contains(&version), "{row}");
    }
    assert!(
        out.lines()
            .any(|l| l.contains("nothing else in organizations/998877665544")),
        "{out}"
    );

    let mut json_scan = scan.to_vec();
    json_scan.extend(["--format", "json"]);
    let r = cli.run(&json_scan).json();
    let key = r["projects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["keys"].as_array().unwrap())
        .find(|k| k["name"] == PROTECTING_KEY)
        .expect("the key is in the report");
    assert_eq!(key["protectedResources"]["status"], "evaluated");
    assert_eq!(
        key["protectedResources"]["resources"][0]["resourceType"],
        "bigquery.googleapis.com/Dataset"
    );
}
