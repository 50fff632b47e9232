//! `cmek rotate`, `cmek add-region` and the allowed actions of `cmek status`, end to end over
//! real processes against `cmek sandbox serve`: plan with --out, apply the file in another
//! process, status shows the new key and what is allowed; add-region with --yes; a plan file
//! of the other kind and bad flags exit 2; a rotation on a revoked cluster exits 1 saying why
//! and what to do.

mod common;

use cmek_sandbox::seed::DEMO_PROJECT_ID;
use common::{with_action, Cli, Served};
use serde_json::Value;

const CLUSTER: &str = "prod-payments";

fn region<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["cmek"]["region_infos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == name)
        .unwrap_or_else(|| panic!("no {name}: {status:#}"))
}

fn current_uri(region: &Value) -> String {
    region["key_infos"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|k| k["created_at"].as_str().unwrap().to_owned())
        .unwrap()["spec"]["uri"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn allowed(status: &Value, action: &str) -> bool {
    status["allowedActions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == action)
        .unwrap_or_else(|| panic!("no {action}: {status:#}"))["allowed"]
        == true
}

#[test]
fn rotate_and_add_region_from_plan_files_and_with_yes() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert!(allowed(&status, "setup") && !allowed(&status, "rotate"));
    let refused = cli.run(&["rotate", CLUSTER, "--key", "next"]).expect(1);
    assert!(refused.stderr.contains("Set up CMEK first"), "{refused:#?}");

    cli.run(&["apply", CLUSTER, "--yes", "--project", DEMO_PROJECT_ID])
        .expect(0);
    let before = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    let old = current_uri(region(&before, "us-east4"));
    assert!(allowed(&before, "rotate") && allowed(&before, "addRegion"));

    // rotate: plan to a file (reads only), then apply the file in another process
    let plan = cli
        .run(&[
            "rotate",
            CLUSTER,
            "--key-ring",
            "cockroachdb-cmek",
            "--key",
            "payments-next",
            "--out",
            "rotate.json",
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(plan["change"]["kind"], "rotation");
    assert_eq!(plan["change"]["changedRegions"][0], "us-east4");
    assert_eq!(plan["change"]["from"][0]["key_spec"]["uri"], old.as_str());
    let human = cli
        .run(&["rotate", CLUSTER, "--key", "payments-next"])
        .expect(0);
    assert!(
        human.stdout.contains("Rotation") && human.stdout.contains("(kept"),
        "{human:#?}"
    );
    // The officer owns the demo project, so the new key gets C12; the warning names the fix
    // in rotate's own terms (the new key's --project), not setup's --key-project.
    let c12: Vec<&str> = human
        .stdout
        .lines()
        .filter(|l| l.contains("(audit check C12)"))
        .collect();
    assert!(
        !c12.is_empty()
            && c12
                .iter()
                .all(|l| l.contains("cmek rotate: --project PROJECT")),
        "{human:#?}"
    );
    let applied = cli.run(&["rotate", "--plan", "rotate.json"]).expect(0);
    assert!(applied.stdout.contains("ENABLED"), "{applied:#?}");
    let after = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    let east = region(&after, "us-east4");
    assert!(current_uri(east).ends_with("/cryptoKeys/payments-next"));
    assert!(east["key_infos"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["spec"]["uri"] == old.as_str()));

    // add-region with --yes
    let added = cli
        .run(&[
            "add-region",
            CLUSTER,
            "--region",
            "us-west1",
            "--nodes",
            "3",
            "--yes",
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(added["cmek"]["status"], "ENABLED");
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert_eq!(region(&status, "us-west1")["status"], "ENABLED");
    let table = cli.run(&["status", CLUSTER]).expect(0);
    assert!(
        table.stdout.contains("Rotate to a new key") && table.stdout.contains("WHAT TO DO"),
        "{table:#?}"
    );

    // both are in the activity log as their own operations
    let entries = cli.run(&["activity", "--json"]).expect(0).json();
    let entries = entries.as_array().unwrap();
    assert!(with_action(entries, "rotate")
        .iter()
        .any(|e| e["action"] == "rotate.updateCmek"));
    assert!(with_action(entries, "add_region")
        .iter()
        .any(|e| e["action"] == "add_region.addRegion"));
}

#[test]
fn wrong_kinds_bad_flags_and_a_revoked_cluster_are_refused_with_the_documented_codes() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    cli.run(&["apply", CLUSTER, "--yes", "--project", DEMO_PROJECT_ID])
        .expect(0);
    cli.run(&[
        "add-region",
        CLUSTER,
        "--region",
        "us-west1",
        "--out",
        "add.json",
    ])
    .expect(0);
    let wrong = cli.run(&["rotate", "--plan", "add.json"]).expect(2);
    assert!(wrong.stderr.contains("addRegion plan"), "{wrong:#?}");
    let nodes = cli
        .run(&[
            "add-region",
            CLUSTER,
            "--region",
            "us-west1",
            "--nodes",
            "0",
        ])
        .expect(2);
    assert!(nodes.stderr.contains("--nodes"), "{nodes:#?}");
    cli.run(&["add-region", CLUSTER]).expect(2);
    cli.run(&["rotate", CLUSTER, "--plan", "add.json"])
        .expect(2);
    let region = cli
        .run(&["add-region", CLUSTER, "--region", "europe"])
        .expect(2);
    assert!(region.stderr.contains("--region"), "{region:#?}");

    cli.run(&["revoke", CLUSTER, "--confirm", CLUSTER, "--json"])
        .expect(0);
    let refused = cli
        .run(&["rotate", CLUSTER, "--key", "after-revoke"])
        .expect(1);
    for phrase in ["revoked", "Recover", "Cockroach Labs support"] {
        assert!(refused.stderr.contains(phrase), "{phrase}: {refused:#?}");
    }
    let applied = cli.run(&["add-region", "--plan", "add.json"]).expect(1);
    assert!(applied.stderr.contains("revoked"), "{applied:#?}");
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert!(!allowed(&status, "setup") && allowed(&status, "recover"));
}
