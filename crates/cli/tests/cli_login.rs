//! `cmek login cockroach` / `login status` / `logout cockroach` through the real OS keychain
//! (Secret Service, test namespace) against the sandbox's CockroachDB Cloud API: the key is
//! read from stdin, validated, stored, shown as its organisation (never echoed), and removed.
//!
//! Needs a Secret Service: the README's test command runs the suite inside dbus-run-session
//! with an unlocked gnome-keyring. Without a session bus this test FAILS with that hint
//! (unless `CMEK_DESK_ALLOW_MISSING=1`: tests/support/real_part.rs).

mod common;
#[path = "../../../tests/support/real_part.rs"]
mod real_part;

use cmek_sandbox::seed::{ORG_ID, ORG_NAME};
use cmek_sandbox::DEFAULT_COCKROACH_KEY;
use common::{Cli, Served};

fn session_bus_or_skip(test: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    real_part::missing(
        &format!("{test}: no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)"),
        "apt-get install gnome-keyring dbus, then run the tests inside \
         dbus-run-session with an unlocked gnome-keyring (scripts/test.sh __keyring-session)",
    );
    false
}

#[test]
fn login_cockroach_reads_stdin_stores_the_key_and_logout_removes_it() {
    if !session_bus_or_skip("login cockroach") {
        return;
    }
    let served = Served::fast();
    let cli = Cli::offline().with_env(
        "CMEK_DESK_COCKROACH_API_BASE",
        &format!("{}/cockroach/", served.url),
    );
    cli.run(&["logout", "cockroach"]).expect(0); // a clean start

    // A key the API refuses is not stored.
    let refused = cli.run_with_stdin(&["login", "cockroach"], "not-the-key\n");
    assert_eq!(refused.code, 1, "{refused:#?}");
    assert!(!refused.stdout.contains("not-the-key") && !refused.stderr.contains("not-the-key"));
    let status = cli.run(&["login", "status", "--json"]).expect(0).json();
    assert_eq!(status["cockroachKeyStored"], false, "{status}");

    // Nothing on stdin is a usage error naming stdin.
    let empty = cli.run_with_stdin(&["login", "cockroach"], "").expect(2);
    assert!(empty.stderr.contains("stdin"), "{empty:#?}");

    let saved = cli
        .run_with_stdin(
            &["login", "cockroach"],
            &format!("{DEFAULT_COCKROACH_KEY}\n"),
        )
        .expect(0);
    assert!(saved.stdout.contains(ORG_NAME), "{saved:#?}");
    for stream in [&saved.stdout, &saved.stderr] {
        assert!(
            !stream.contains(DEFAULT_COCKROACH_KEY),
            "the key is never echoed: {saved:#?}"
        );
    }

    // A new process finds it in the keychain and shows the organisation.
    let status = cli.run(&["login", "status", "--json"]).expect(0);
    assert!(!status.stdout.contains(DEFAULT_COCKROACH_KEY));
    let status = status.json();
    assert_eq!(status["cockroachKeyStored"], true, "{status}");
    assert_eq!(status["cockroachOrganization"]["name"], ORG_NAME);
    assert_eq!(status["cockroachOrganization"]["id"], ORG_ID);

    cli.run(&["logout", "cockroach"]).expect(0);
    let status = cli.run(&["login", "status", "--json"]).expect(0).json();
    assert_eq!(status["cockroachKeyStored"], false, "{status}");
    assert!(status.get("cockroachOrganization").is_none(), "{status}");
}
