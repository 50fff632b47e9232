//! What `cmek` refuses, and that a refusal changes nothing: a plan file edited after planning
//! (an extra principal in the IAM grants, a different key), a revocation whose typed
//! confirmation is wrong, `apply CLUSTER` without `--yes`, and bad arguments, which exit 2 with
//! a message naming the argument and the rule.

mod common;

use cmek_sandbox::seed::DEMO_PROJECT_ID;
use common::{with_action, write_json, Cli, Run, Served};
use serde_json::{json, Value};

const CLUSTER: &str = "prod-payments";

/// The cluster's CMEK status as `cmek status --json` reports it.
fn cmek_status(cli: &Cli) -> String {
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    status["status"].as_str().unwrap().to_owned()
}

#[test]
fn a_plan_file_edited_after_planning_is_refused_and_nothing_is_written() {
    let served = Served::fast();
    let cli = Cli::new(&served);
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

    let mut extra_principal = plan.clone();
    let mut grant = extra_principal["iamChanges"][0].clone();
    grant["grant"]["member"] = json!("user:mallory@example.com");
    extra_principal["iamChanges"]
        .as_array_mut()
        .unwrap()
        .push(grant);
    let mut other_key = plan.clone();
    let key = other_key["keys"][0]["name"]
        .as_str()
        .unwrap()
        .replace("/cryptoKeys/", "/cryptoKeys/someone-elses-");
    other_key["keys"][0]["name"] = Value::String(key.clone());
    other_key["regionSpecs"][0]["key_spec"]["uri"] = Value::String(key);
    let mut other_principal = plan.clone();
    other_principal["serviceAccountEmail"] = json!("mallory@evil-project.iam.gserviceaccount.com");

    for (name, tampered) in [
        ("extra-principal.json", extra_principal),
        ("other-key.json", other_key),
        ("other-principal.json", other_principal),
    ] {
        write_json(&cli.path(name), &tampered);
        let refused = cli.run(&["apply", "--plan", name]);
        assert_eq!(refused.code, 1, "{name}: {refused:#?}");
        assert!(
            refused.stderr.contains("error:")
                && refused.stderr.contains("changed after it was made"),
            "{name}: {refused:#?}"
        );
        assert!(
            refused.stderr.contains("Nothing was applied"),
            "{refused:#?}"
        );
    }
    // Nothing was written: no setup operation in the log, CMEK still off.
    assert!(with_action(&cli.activity(), "setup").is_empty());
    assert_eq!(cmek_status(&cli), "DISABLED");

    // A plan file that is not a plan is a usage error naming --plan.
    std::fs::write(cli.path("junk.json"), "{\"hello\": 1}").unwrap();
    let junk = cli.run(&["apply", "--plan", "junk.json"]).expect(2);
    assert!(junk.stderr.contains("--plan"), "{junk:#?}");

    // The untouched file still applies (the refusals were about the edits).
    cli.run(&["apply", "--plan", "plan.json"]).expect(0);
    assert_eq!(cmek_status(&cli), "ENABLED");
}

#[test]
fn revoke_with_a_wrong_confirmation_changes_nothing() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    cli.run(&["apply", CLUSTER, "--yes", "--project", DEMO_PROJECT_ID])
        .expect(0);
    let before = cli.activity().len();

    let refused = cli
        .run(&[
            "revoke",
            CLUSTER,
            "--lever",
            "disable-sa",
            "--confirm",
            "prod-payment",
        ])
        .expect(2);
    assert!(
        refused.stderr.contains("--confirm") && refused.stderr.contains("\"prod-payments\""),
        "{refused:#?}"
    );
    let entries = cli.activity();
    assert!(
        with_action(&entries, "revoke").is_empty(),
        "no revocation was logged"
    );
    assert_eq!(
        entries[before..]
            .iter()
            .filter(|e| e["kind"] != "event")
            .count(),
        0,
        "only connection events since"
    );
    assert_eq!(cmek_status(&cli), "ENABLED");
}

fn assert_usage(run: Run, names: &str) {
    let run = run.expect(2);
    assert!(
        run.stderr.contains(names),
        "stderr should name {names}: {run:#?}"
    );
    assert!(run.stderr.contains("error:"), "{run:#?}");
}

#[test]
fn bad_arguments_exit_2_naming_the_argument() {
    let offline = Cli::offline();
    assert_usage(
        offline.run(&["plan", CLUSTER, "--rotation", "5x"]),
        "--rotation",
    );
    assert_usage(
        offline.run(&["plan", CLUSTER, "--rotation", "40000d"]),
        "36500d",
    );
    assert_usage(
        offline.run(&["revoke", CLUSTER, "--lever", "nope", "--confirm", CLUSTER]),
        "--lever",
    );
    assert_usage(offline.run(&["plan"]), "<CLUSTER>");
    assert_usage(offline.run(&["status"]), "<CLUSTER>");
    assert_usage(offline.run(&["revoke", CLUSTER]), "--confirm");
    assert_usage(
        offline.run(&["plan", CLUSTER, "--key-ring", "bad ring"]),
        "--key-ring",
    );
    assert_usage(
        offline.run(&["plan", CLUSTER, "--project", "X"]),
        "--project",
    );
    assert_usage(
        offline.run(&["plan", CLUSTER, "--same-key", "--key-per-region"]),
        "--same-key",
    );
    assert_usage(offline.run(&["audit"]), "--project");
    assert_usage(
        offline.run(&["audit", "--project", DEMO_PROJECT_ID, "--fail-on", "severe"]),
        "--fail-on",
    );
    assert_usage(
        offline.run(&["apply", "--plan", "p.json", CLUSTER]),
        "--plan",
    );
    assert_usage(
        offline.run(&["--sandbox-url", "http://example.com:80", "clusters"]),
        "--sandbox-url",
    );

    // Rules that need the cluster: checked before anything is planned or written.
    let served = Served::fast();
    let cli = Cli::new(&served);
    assert_usage(
        cli.run(&["plan", "global-ledger", "--same-key"]),
        "--same-key",
    );
    assert_usage(cli.run(&["plan", "no-such-cluster"]), "CLUSTER");
    assert_usage(cli.run(&["apply", CLUSTER]), "--yes");
    assert_usage(
        cli.run(&[
            "audit",
            "--project",
            DEMO_PROJECT_ID,
            "--format",
            "table",
            "--out",
            "a.txt",
        ]),
        "--format",
    );
    assert_usage(cli.run(&["recover", "not-an-operation"]), "OPERATION_ID");
    assert!(
        cli.activity().iter().all(|e| e["kind"] == "event"),
        "nothing changed"
    );
}

#[test]
fn help_documents_examples_and_exit_codes_and_completions_are_generated() {
    let cli = Cli::offline();
    let help = cli.run(&["--help"]).expect(0);
    for needle in ["Examples:", "Exit codes:", "130", "cmek audit --project"] {
        assert!(help.stdout.contains(needle), "{needle}: {help:#?}");
    }
    let bash = cli.run(&["completions", "bash"]).expect(0);
    assert!(
        bash.stdout.contains("cmek") && bash.stdout.contains("revoke"),
        "{bash:#?}"
    );
}
