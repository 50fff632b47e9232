//! `cmek revoke` and `cmek recover` for the sandbox's AWS cluster over real processes (`cmek
//! sandbox serve` and one `cmek --sandbox-url …` process per step): set up with `cmek apply`,
//! a Google Cloud lever is refused naming the AWS ones (nothing written), the default lever
//! of an AWS cluster is key-policy (the role's statement leaves the key policy, REVOKED),
//! recovery puts exactly that statement back, and the activity log holds both operations.

mod common;

use common::{with_action, Cli, Served};

const CLUSTER: &str = "aws-analytics";
/// `cmek_core::aws::statements::KEY_POLICY_SID`.
const KEY_POLICY_SID: &str = "AllowCockroachDBCloudCMEK";

fn removed_sids(outcome: &serde_json::Value) -> Vec<String> {
    outcome["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["statements"].as_array().unwrap().iter())
        .map(|s| {
            s["statement"]["Sid"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn revoke_and_recover_the_aws_cluster_with_its_default_lever() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    cli.run(&[
        "apply",
        CLUSTER,
        "--yes",
        "--role-name",
        "crdb-cmek-analytics",
        "--json",
    ])
    .expect(0);
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert_eq!(status["status"], "ENABLED", "{status:#}");

    // A Google Cloud lever on an AWS cluster: refused, naming the choices (exit 2).
    let wrong = cli
        .run(&[
            "revoke",
            CLUSTER,
            "--lever",
            "token-creator",
            "--confirm",
            CLUSTER,
        ])
        .expect(2);
    assert!(
        wrong.stderr.contains("--lever")
            && wrong.stderr.contains("key-policy")
            && wrong.stderr.contains("role-trust"),
        "{wrong:#?}"
    );
    assert!(with_action(&cli.activity(), "revoke").is_empty());

    // No --lever: the key-policy lever.
    let revoked = cli
        .run(&["revoke", CLUSTER, "--confirm", CLUSTER, "--json"])
        .expect(0)
        .json();
    assert_eq!(revoked["cmekStatus"], "REVOKED", "{revoked:#}");
    assert_eq!(revoked["lever"], "KEY_POLICY_STATEMENT");
    assert_eq!(removed_sids(&revoked["aws"]), [KEY_POLICY_SID]);
    assert_eq!(revoked["aws"]["problems"], serde_json::json!([]));
    let operation = revoked["operationId"].as_str().unwrap().to_owned();
    let status = cli.run(&["status", CLUSTER, "--json"]).expect(0).json();
    assert_eq!(status["status"], "REVOKED");

    let recovered = cli.run(&["recover", &operation, "--json"]).expect(0).json();
    assert_eq!(recovered["verified"], true, "{recovered:#}");
    assert_eq!(recovered["revokeOperationId"], operation.as_str());
    assert_eq!(removed_sids(&recovered["aws"]), [KEY_POLICY_SID]);

    let entries = cli.activity();
    let revoke = with_action(&entries, "revoke");
    assert!(revoke
        .iter()
        .any(|e| e["kind"] == "operation_started" && e["operationId"] == operation.as_str()));
    assert!(revoke
        .iter()
        .any(|e| e["action"] == "revoke.remove_statement"));
    assert!(!with_action(&entries, "recover").is_empty());
}
