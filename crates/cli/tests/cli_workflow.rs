//! The `cmek` command line end to end over real processes: `cmek sandbox serve` in one child
//! process, and every step a separate `cmek --sandbox-url URL …` process with its own data
//! folder: clusters → plan (JSON, plan file) → apply the file → status --wait ENABLED →
//! audit --fail-on high (3 on the audit organisation, 0 on clean projects) → revoke with the
//! typed confirmation → recover → activity lists the setup's intents and outcomes and both
//! operations.

mod common;

use cmek_sandbox::seed::{DEMO_PROJECT_ID, FRESH_PROJECT_ID, SINGLE_REGION_CLUSTER_ID};
use cmek_sandbox::seed_audit::{AUDIT_KEYS_PROJECT, AUDIT_OWNER_PROJECT};
use common::{with_action, Cli, Served};

const CLUSTER: &str = "prod-payments";

#[test]
fn plan_apply_status_audit_revoke_recover_and_the_activity_log() {
    let served = Served::fast();
    let cli = Cli::new(&served);

    // clusters
    let clusters = cli.run(&["clusters", "--json"]).expect(0).json();
    let prod = clusters
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cluster"]["name"] == CLUSTER)
        .expect("the demo cluster is listed");
    assert_eq!(prod["cluster"]["id"], SINGLE_REGION_CLUSTER_ID);
    assert_eq!(prod["cmekStatus"], "DISABLED");
    let table = cli.run(&["clusters"]).expect(0);
    assert!(
        table.stdout.contains(CLUSTER) && table.stdout.contains("ELIGIBLE"),
        "{table:#?}"
    );

    // plan (by name), JSON on stdout and the plan file
    let plan = cli
        .run(&[
            "plan",
            CLUSTER,
            "--project",
            DEMO_PROJECT_ID,
            "--json",
            "--out",
            "plan.json",
        ])
        .expect(0)
        .json();
    assert!(plan["planId"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(plan["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(plan["request"]["project"], DEMO_PROJECT_ID);
    assert_eq!(plan["request"]["layout"]["kind"], "singleKey");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cli.path("plan.json")).unwrap()).unwrap();
    assert_eq!(file, plan, "the plan file is the plan printed");

    // apply the plan file (a separate process from the one that planned)
    let applied = cli.run(&["apply", "--plan", "plan.json"]).expect(0);
    assert!(applied.stdout.contains("ENABLED"), "{applied:#?}");

    // status --wait (by id)
    let status = cli
        .run(&["status", SINGLE_REGION_CLUSTER_ID, "--wait", "--json"])
        .expect(0)
        .json();
    assert_eq!(status["status"], "ENABLED");
    assert_eq!(status["settled"], true);
    assert_eq!(status["cmek"]["region_infos"][0]["status"], "ENABLED");

    // audit: the audit organisation fails the gate, clean projects pass it
    let fast = ["--reads-per-minute", "6000"];
    let audit_org = [
        &[
            "audit",
            "--project",
            AUDIT_KEYS_PROJECT,
            "--project",
            AUDIT_OWNER_PROJECT,
            "--fail-on",
            "high",
        ][..],
        &fast,
    ]
    .concat();
    let bad = cli.run(&audit_org).expect(3);
    assert!(
        bad.stdout.contains("CRITICAL") && bad.stderr.contains("--fail-on"),
        "{bad:#?}"
    );
    for clean in [DEMO_PROJECT_ID, FRESH_PROJECT_ID] {
        let args = [
            &["audit", "--project", clean, "--fail-on", "high"][..],
            &fast,
        ]
        .concat();
        cli.run(&args).expect(0);
    }
    // …and a report file with a JSON summary on stdout
    let args = [
        &[
            "audit",
            "--project",
            AUDIT_KEYS_PROJECT,
            "--out",
            "audit.csv",
            "--fail-on",
            "critical",
            "--json",
        ][..],
        &fast,
    ]
    .concat();
    let summary = cli.run(&args).expect(3).json();
    assert_eq!(summary["format"], "csv");
    assert_eq!(summary["thresholdExceeded"], true);
    assert!(summary["failCounts"]["CRITICAL"].as_u64().unwrap() > 0);
    let csv = std::fs::read_to_string(cli.path("audit.csv")).unwrap();
    assert!(csv.lines().count() > 1, "one row per finding: {csv}");

    // revoke with the typed confirmation, then recover
    let revoked = cli
        .run(&[
            "revoke",
            CLUSTER,
            "--lever",
            "token-creator",
            "--confirm",
            CLUSTER,
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(revoked["cmekStatus"], "REVOKED");
    let operation = revoked["operationId"].as_str().unwrap().to_owned();
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert_eq!(status["status"], "REVOKED");
    let recovered = cli.run(&["recover", &operation, "--json"]).expect(0).json();
    assert_eq!(recovered["verified"], true);
    assert_eq!(recovered["revokeOperationId"], operation.as_str());

    // the activity log: every setup write with its intent and outcome, and both operations
    let entries = cli.activity();
    let setup = with_action(&entries, "setup");
    let intents = setup.iter().filter(|e| e["kind"] == "intent").count();
    let outcomes = setup.iter().filter(|e| e["kind"] == "outcome").count();
    assert!(intents >= 5, "setup's write calls are logged: {setup:#?}");
    assert_eq!(intents, outcomes, "each intent has its outcome");
    let revoke = with_action(&entries, "revoke");
    assert!(revoke
        .iter()
        .any(|e| e["kind"] == "operation_started" && e["operationId"] == operation.as_str()));
    assert!(revoke.iter().any(|e| e["action"] == "revoke.call_revoke"));
    assert!(with_action(&entries, "recover")
        .iter()
        .any(|e| e["kind"] == "operation_finished" && e["status"] == "ok"));
    let human = cli.run(&["activity"]).expect(0);
    assert!(human.stdout.contains("revoke.remove_access"), "{human:#?}");
}

#[test]
fn apply_with_yes_plans_and_applies_in_one_go() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let result = cli
        .run(&[
            "apply",
            CLUSTER,
            "--yes",
            "--project",
            DEMO_PROJECT_ID,
            "--rotation",
            "never",
            "--key",
            "payments-key",
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(result["cmek"]["status"], "ENABLED");
    let uri = result["cmek"]["region_infos"][0]["key_infos"][0]["spec"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("/cryptoKeys/payments-key"), "{uri}");
}

#[test]
fn sandbox_flag_runs_an_in_process_sandbox_for_one_command() {
    let cli = Cli::offline();
    let plan = cli
        .run(&[
            "--sandbox",
            "plan",
            CLUSTER,
            "--project",
            DEMO_PROJECT_ID,
            "--hsm",
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(plan["request"]["protectionLevel"], "HSM");
    assert_eq!(plan["cluster"]["id"], SINGLE_REGION_CLUSTER_ID);
    let connects = with_action(&cli.activity(), "connect").len();
    assert_eq!(
        connects, 1,
        "one connection to the in-process sandbox was logged"
    );
}
