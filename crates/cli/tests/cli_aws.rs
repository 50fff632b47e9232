//! `cmek` for the sandbox's AWS cluster over real processes (`cmek sandbox serve` and one
//! `cmek --sandbox-url …` process per step): plan (JSON and plan file) → apply the file →
//! status ENABLED → re-apply writes nothing; AWS flags are checked against the cluster's cloud,
//! and an edited plan file is refused.

mod common;

use cmek_sandbox::seed::AWS_CLUSTER_ID;
use common::{with_action, write_json, Cli, Served};

const CLUSTER: &str = "aws-analytics";

#[test]
fn plan_apply_and_status_for_the_aws_cluster() {
    let served = Served::fast();
    let cli = Cli::new(&served);

    let clusters = cli.run(&["clusters", "--json"]).expect(0).json();
    let aws = clusters
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cluster"]["id"] == AWS_CLUSTER_ID)
        .expect("listed");
    assert!(
        aws.get("ineligibleReason").is_none_or(|r| r.is_null()),
        "{aws:#}"
    );

    // Flags of the other cloud are refused, naming the flag (exit 2).
    let wrong = cli
        .run(&["plan", CLUSTER, "--project", "cmek-demo-project"])
        .expect(2);
    assert!(
        wrong.stderr.contains("--project") && wrong.stderr.contains("AWS"),
        "{wrong:#?}"
    );
    let bad_alias = cli
        .run(&["plan", CLUSTER, "--key-alias", "alias/aws/ebs"])
        .expect(2);
    assert!(bad_alias.stderr.contains("--key-alias"), "{bad_alias:#?}");

    let plan = cli
        .run(&[
            "plan",
            CLUSTER,
            "--role-name",
            "crdb-cmek-analytics",
            "--key-alias",
            "crdb-analytics",
            "--json",
            "--out",
            "aws-plan.json",
        ])
        .expect(0)
        .json();
    assert!(plan["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(plan["request"]["roleName"], "crdb-cmek-analytics");
    assert_eq!(plan["keys"][0]["alias"], "alias/crdb-analytics");
    assert_eq!(plan["role"]["exists"], false);
    assert!(plan["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.as_str().unwrap().starts_with("aws iam create-role")));
    let human = cli.run(&["plan", CLUSTER]).expect(0);
    assert!(
        human.stdout.contains("AWS plan for aws-analytics")
            && human.stdout.contains("Trust policy"),
        "{human:#?}"
    );

    // An edited plan file is refused before anything is written.
    let mut edited = plan.clone();
    edited["role"]["arn"] = "arn:aws:iam::999999999999:role/attacker".into();
    write_json(&cli.path("edited.json"), &edited);
    let refused = cli.run(&["apply", "--plan", "edited.json"]).expect(1);
    assert!(
        refused.stderr.contains("changed after it was made"),
        "{refused:#?}"
    );

    let applied = cli.run(&["apply", "--plan", "aws-plan.json"]).expect(0);
    assert!(
        applied.stdout.contains("ENABLED") && applied.stdout.contains("role/crdb-cmek-analytics"),
        "{applied:#?}"
    );

    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert_eq!(status["status"], "ENABLED");
    let spec = &status["cmek"]["region_infos"][0]["key_infos"][0]["spec"];
    assert_eq!(spec["type"], "AWS_KMS");
    assert!(spec["uri"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:kms:us-east-1:"));

    let again = cli
        .run(&[
            "apply",
            CLUSTER,
            "--yes",
            "--role-name",
            "crdb-cmek-analytics",
            "--key-alias",
            "crdb-analytics",
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(again["writeCalls"], 0, "{again:#}");

    let activity = cli.activity();
    assert!(!with_action(&activity, "setup.createRole").is_empty());
    assert!(!with_action(&activity, "setup.writeKeyPolicy").is_empty());
}

#[test]
fn login_aws_proves_the_standard_chain_and_never_prints_the_secret() {
    let served = Served::fast();
    let cli = Cli::new(&served)
        .with_env("CMEK_DESK_AWS_ENDPOINT", &format!("{}/aws", served.url))
        .with_env("AWS_ACCESS_KEY_ID", cmek_sandbox::AWS_ACCESS_KEY_ID)
        .with_env("AWS_SECRET_ACCESS_KEY", cmek_sandbox::AWS_SECRET_ACCESS_KEY)
        .with_env("AWS_REGION", "us-east-1")
        .with_env("AWS_CONFIG_FILE", "/nonexistent")
        .with_env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    let run = cli.run(&["login", "aws", "--json"]).expect(0);
    let status = run.json();
    assert_eq!(
        status["account"]["account"],
        cmek_sandbox::AWS_CUSTOMER_ACCOUNT_ID
    );
    assert_eq!(status["account"]["method"], "defaultChain");
    assert!(
        !run.stdout.contains(cmek_sandbox::AWS_SECRET_ACCESS_KEY)
            && !run.stderr.contains(cmek_sandbox::AWS_SECRET_ACCESS_KEY)
    );
    let human = cli.run(&["login", "aws"]).expect(0);
    assert!(
        human.stdout.contains(cmek_sandbox::AWS_CALLER_ARN),
        "{human:#?}"
    );
    // Refused credentials: exit 1 with the reason, nothing printed as identity.
    let refused = cli
        .with_env("AWS_ACCESS_KEY_ID", "SANDBOX-UNKNOWN-KEY")
        .run(&["login", "aws"])
        .expect(1);
    assert!(
        refused.stderr.contains("InvalidClientTokenId"),
        "{refused:#?}"
    );
}
