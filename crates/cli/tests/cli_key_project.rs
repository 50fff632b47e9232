//! `--key-project` on the command line (issue #11, the C12 fix): `cmek plan` in a project the
//! officer owns warns about C12 and names the flag; with `--key-project` the plan has no C12
//! warning and its keys are in the key project; `cmek apply --yes --key-project` enables CMEK
//! with the keys there and the service account in `--project`; an AWS cluster refuses the flag.

mod common;

use cmek_sandbox::seed::{DEMO_PROJECT_ID, KEYS_PROJECT_ID};
use common::{Cli, Served};

const CLUSTER: &str = "prod-payments";

#[test]
fn the_c12_warning_names_the_flag_and_the_flag_moves_the_keys() {
    let served = Served::fast();
    let cli = Cli::new(&served);

    let owned = cli
        .run(&["plan", CLUSTER, "--project", DEMO_PROJECT_ID])
        .expect(0);
    let c12: Vec<&str> = owned
        .stdout
        .lines()
        .filter(|l| l.contains("(audit check C12)"))
        .collect();
    assert_eq!(c12.len(), 1, "{owned:#?}");
    assert!(c12[0].contains("--key-project PROJECT"), "{}", c12[0]);

    let plan = cli
        .run(&[
            "plan",
            CLUSTER,
            "--project",
            DEMO_PROJECT_ID,
            "--key-project",
            KEYS_PROJECT_ID,
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(plan["request"]["keyProject"], KEYS_PROJECT_ID);
    assert_eq!(plan["offerKeyProject"], false);
    let warnings = plan["warnings"].to_string();
    assert!(!warnings.contains("C12"), "{warnings}");
    let key = plan["keys"][0]["name"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with(&format!("projects/{KEYS_PROJECT_ID}/")),
        "{key}"
    );

    let applied = cli
        .run(&[
            "apply",
            CLUSTER,
            "--yes",
            "--project",
            DEMO_PROJECT_ID,
            "--key-project",
            KEYS_PROJECT_ID,
        ])
        .expect(0);
    assert!(applied.stdout.contains("ENABLED"), "{applied:#?}");
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert!(status.to_string().contains(&key), "{status}");
    assert!(
        status
            .to_string()
            .contains(&format!("@{DEMO_PROJECT_ID}.iam.gserviceaccount.com")),
        "{status}"
    );

    let aws = cli.run(&["plan", "aws-analytics", "--key-project", KEYS_PROJECT_ID]);
    assert_ne!(aws.code, 0, "{aws:#?}");
    assert!(aws.stderr.contains("--key-project"), "{aws:#?}");
}

#[test]
fn a_setup_with_a_key_project_killed_mid_way_resumes_in_the_same_key_project() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let apply = [
        "apply",
        CLUSTER,
        "--yes",
        "--project",
        DEMO_PROJECT_ID,
        "--key-project",
        KEYS_PROJECT_ID,
    ];
    // Killed after the fourth write (the key ring is created, the key is not yet).
    let run = cli
        .command(&apply)
        .env("CMEK_DESK_KILL_AT", "4:after-apply")
        .output()
        .expect("run cmek");
    assert!(
        !run.status.success(),
        "the kill point stopped the apply: {run:?}"
    );
    let pending = cli.run(&["pending", "--json"]).expect(0).json();
    let ops = pending.as_array().expect("a list");
    assert_eq!(ops.len(), 1, "{pending:#}");
    assert_eq!(ops[0]["action"], "setup", "{pending:#}");

    // Without any flag, the plan resumes the interrupted setup: same projects, same keys.
    let plan = cli.run(&["plan", CLUSTER, "--json"]).expect(0).json();
    assert_eq!(plan["request"]["project"], DEMO_PROJECT_ID, "{plan:#}");
    assert_eq!(plan["request"]["keyProject"], KEYS_PROJECT_ID, "{plan:#}");
    let key = plan["keys"][0]["name"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with(&format!("projects/{KEYS_PROJECT_ID}/")),
        "{key}"
    );
    assert!(
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["alreadyDone"] == true && s["kind"] == "createServiceAccount"),
        "what was done before the kill is only verified: {plan:#}"
    );

    let resumed = cli.run(&["apply", CLUSTER, "--yes"]).expect(0);
    assert!(resumed.stdout.contains("ENABLED"), "{resumed:#?}");
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert!(status.to_string().contains(&key), "{status}");
    // The finished setup closes the interrupted one: nothing is pending any more.
    let pending = cli.run(&["pending", "--json"]).expect(0).json();
    assert_eq!(pending.as_array().map(Vec::len), Some(0), "{pending:#}");
}
