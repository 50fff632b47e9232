//! `cmek drift` against a `cmek sandbox serve` process (the audit seed): `list` shows the
//! out-of-band bindings on `audit-drift`'s key and service account with their ids and exits 3;
//! `fix` refuses a wrong confirmation (exit 2, nothing written) and an unknown id, removes
//! exactly that binding with the right one, logs it, and the finding is gone; `cmek audit`
//! reports drift as C15 findings naming the id.

mod common;

use cmek_sandbox::seed_audit::{
    AUDIT_KEYS_PROJECT, DRIFT_CLEAN_KEY, DRIFT_COLLEAGUE, DRIFT_KEY, SA_DRIFT,
};
use common::{with_action, Cli, Served};
use serde_json::Value;

fn findings(cli: &Cli) -> Vec<Value> {
    let scan = cli.run(&["drift", "list", "--json"]).json();
    scan["findings"].as_array().cloned().unwrap()
}

#[test]
fn drift_is_listed_fixed_by_id_with_a_typed_confirmation_and_shown_by_the_audit() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let listed = cli.run(&["drift", "list"]).expect(3);
    assert!(
        listed.stdout.contains(DRIFT_COLLEAGUE) && listed.stdout.contains("extra"),
        "{listed:#?}"
    );
    let all = findings(&cli);
    let on = |res: &str| all.iter().find(|f| f["resource"] == res).cloned();
    let key = on(DRIFT_KEY).expect("drift on the key");
    assert_eq!(key["member"], DRIFT_COLLEAGUE);
    assert_eq!(key["level"], "key");
    assert!(on(DRIFT_CLEAN_KEY).is_none(), "the clean twin has none");
    let id = key["id"].as_str().unwrap();

    let wrong = cli
        .run(&["drift", "fix", id, "--confirm", "drift-clean"])
        .expect(2);
    assert!(wrong.stderr.contains("--confirm"), "{wrong:#?}");
    cli.run(&[
        "drift",
        "fix",
        "drift-0000000000000000",
        "--confirm",
        "drift",
    ])
    .expect(2);
    assert_eq!(findings(&cli).len(), all.len(), "refusals change nothing");

    let fixed = cli
        .run(&["drift", "fix", id, "--confirm", "drift", "--json"])
        .expect(0)
        .json();
    assert_eq!(fixed["verified"], true);
    assert_eq!(fixed["changed"], true);
    let after = findings(&cli);
    assert_eq!(after.len(), all.len() - 1);
    assert!(!after.iter().any(|f| f["id"] == id));
    let sa = after
        .iter()
        .find(|f| f["confirmText"] == SA_DRIFT)
        .expect("the service account's finding is still there");
    assert_eq!(sa["level"], "serviceAccount");
    let entries = cli.activity();
    assert_eq!(
        with_action(&entries, "drift").len(),
        4,
        "start, intent, outcome, finish"
    );

    // The audit shows drift generically, with the id to fix it by.
    let audit = cli
        .run(&[
            "audit",
            "--project",
            AUDIT_KEYS_PROJECT,
            "--reads-per-minute",
            "6000",
        ])
        .expect(0);
    assert!(audit.stdout.contains("C15"), "{audit:#?}");
    let sa_id = sa["id"].as_str().unwrap();
    let report = cli
        .run(&[
            "audit",
            "--project",
            AUDIT_KEYS_PROJECT,
            "--format",
            "json",
            "--reads-per-minute",
            "6000",
        ])
        .json();
    assert!(report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == sa_id));
}
