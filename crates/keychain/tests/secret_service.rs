//! The real OS keychain (Secret Service on Linux): round trip, namespace isolation, and
//! the error when no Secret Service is reachable.
//!
//! Run with a throwaway gnome-keyring (building.md §7b):
//! `dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d); echo -n pass |
//! gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p cmek-keychain'`.
//! Without a session bus these tests FAIL with that hint (unless `CMEK_DESK_ALLOW_MISSING=1`:
//! tests/support/real_part.rs).

#[path = "../../../tests/support/real_part.rs"]
mod real_part;

use cmek_core::{ErrorCode, Secret};
use cmek_keychain::{Namespace, OsKeychain, SecretStore};
use std::time::{SystemTime, UNIX_EPOCH};

/// True when a session bus is configured; otherwise fails the test with the fix (or, with
/// `CMEK_DESK_ALLOW_MISSING=1`, says loudly that it skips and returns false).
fn session_bus_or_skip(test: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    real_part::missing(
        &format!("{test}: no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)"),
        "apt-get install gnome-keyring dbus, then run the tests inside \
         dbus-run-session with an unlocked gnome-keyring (building.md §7b; scripts/test.sh does)",
    );
    false
}

/// A key no other run (or a developer's real entries) can collide with.
fn unique_key(label: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("it-{label}-{}-{nanos}", std::process::id())
}

#[test]
fn persist_retrieve_delete_through_the_real_secret_service() {
    if !session_bus_or_skip("roundtrip") {
        return;
    }
    let kc = OsKeychain::open(Namespace::Test).expect("open the Secret Service");
    let key = unique_key("roundtrip");
    kc.persist(&key, &Secret::new("s3cret-1")).unwrap();
    assert_eq!(kc.retrieve(&key).unwrap().unwrap().expose(), "s3cret-1");
    kc.persist(&key, &Secret::new("s3cret-2")).unwrap();
    assert_eq!(
        kc.retrieve(&key).unwrap().unwrap().expose(),
        "s3cret-2",
        "persist replaces"
    );
    kc.delete(&key).unwrap();
    assert_eq!(kc.retrieve(&key).unwrap(), None);
    kc.delete(&key)
        .expect("deleting a missing entry is not an error");
}

#[test]
fn namespaces_do_not_share_entries() {
    if !session_bus_or_skip("namespaces") {
        return;
    }
    let test_ns = OsKeychain::open(Namespace::Test).unwrap();
    let dev_ns = OsKeychain::open(Namespace::Development).unwrap();
    let release_ns = OsKeychain::open(Namespace::Release).unwrap();
    let key = unique_key("isolation");
    test_ns.persist(&key, &Secret::new("test-only")).unwrap();
    assert_eq!(
        dev_ns.retrieve(&key).unwrap(),
        None,
        "development must not see test entries"
    );
    assert_eq!(
        release_ns.retrieve(&key).unwrap(),
        None,
        "release must not see test entries"
    );
    dev_ns.delete(&key).unwrap();
    assert!(
        test_ns.retrieve(&key).unwrap().is_some(),
        "a delete elsewhere must not reach us"
    );
    test_ns.delete(&key).unwrap();
}

#[test]
fn the_secret_service_is_usable_from_spawn_blocking_inside_tokio() {
    if !session_bus_or_skip("spawn_blocking") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let key = unique_key("tokio");
        tokio::task::spawn_blocking(move || {
            let kc = OsKeychain::open(Namespace::Test)?;
            kc.persist(&key, &Secret::new("v"))?;
            let got = kc.retrieve(&key)?;
            kc.delete(&key)?;
            Ok::<_, cmek_core::Error>(got)
        })
        .await
        .unwrap()
        .unwrap()
        .expect("value present");
    });
}

/// With no session bus at all, opening fails fast with `Keychain` and names the fix.
/// Runs in a child process so the unset variable cannot affect the other tests.
#[test]
fn no_secret_service_is_a_keychain_error_naming_the_fix() {
    if std::env::var_os("CMEK_KEYCHAIN_CHILD").is_some() {
        let err = OsKeychain::open(Namespace::Test)
            .and_then(|kc| kc.retrieve("probe"))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Keychain);
        assert!(err.message.contains("gnome-keyring"), "{}", err.message);
        assert!(
            err.message.contains("never stores secrets in files"),
            "{}",
            err.message
        );
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new(exe)
        .args([
            "--exact",
            "no_secret_service_is_a_keychain_error_naming_the_fix",
            "--nocapture",
        ])
        .env("CMEK_KEYCHAIN_CHILD", "1")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(
            "XDG_RUNTIME_DIR",
            std::env::temp_dir().join("cmek-keychain-no-bus"),
        )
        .status()
        .unwrap();
    assert!(status.success(), "child test failed");
}

/// The cost of one chain-head write (issue 13: the activity log keeps its head next to its
/// key and rewrites it after every append): 50 writes of a head-sized value to one entry
/// through the real Secret Service, read back. Prints the mean (no time is asserted).
#[test]
fn chain_head_writes_through_the_real_secret_service_are_measured() {
    if !session_bus_or_skip("head write cost") {
        return;
    }
    let kc = OsKeychain::open(Namespace::Test).unwrap();
    let key = cmek_keychain::keys::activity_log_head(&unique_key("head").replace('-', ""));
    let n = 50u32;
    let started = std::time::Instant::now();
    for seq in 1..=n {
        let value = format!("v1 {seq} {} activity {seq}", "ab".repeat(32));
        kc.persist(&key, &Secret::new(value)).unwrap();
    }
    let per_write = started.elapsed() / n;
    let last = kc.retrieve(&key).unwrap().expect("the head was stored");
    assert!(
        last.expose().starts_with(&format!("v1 {n} ")),
        "the last write wins"
    );
    kc.delete(&key).unwrap();
    println!("keychain head write: {per_write:?} per write (mean of {n})");
}
