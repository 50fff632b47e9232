//! Table-driven tests of every setup form field: good inputs pass, bad inputs fail with the
//! field's label, its request key and the rule in the officer's units (issue #11).

use super::*;
use cmek_core::ErrorCode;

/// Asserts `r` is `INVALID_INPUT` on `key` whose message starts with `label: ` and holds `want`.
fn fails(r: Result<impl std::fmt::Debug>, key: &str, label: &str, want: &str) {
    let e = r.expect_err(want);
    assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
    assert_eq!(e.resource.as_deref(), Some(key), "{e:?}");
    assert!(
        e.message.starts_with(&format!("{label}: ")),
        "{}",
        e.message
    );
    assert!(e.message.contains(want), "{:?} lacks {want:?}", e.message);
    for banned in [
        "layout.location",
        "key_ring",
        "crypto_key",
        "service_account_id",
        "rotation_period_days",
        "key_project",
        "u32",
        "serde",
        "expected",
        "hours",
        "seconds",
    ] {
        assert!(
            !e.message.contains(banned),
            "{:?} contains {banned}",
            e.message
        );
    }
}

#[test]
fn project_id_field() {
    for ok in ["my-project", "crdb-keys-123456"] {
        project(ok).unwrap();
    }
    for bad in [
        "abc",
        "My-Project",
        "1project",
        "project-",
        "a-very-long-project-id-over-30-chars",
    ] {
        fails(project(bad), "project", "Project ID", "6-30 characters");
    }
}

#[test]
fn key_project_field() {
    let req = |kp: Option<&str>| SetupRequest {
        key_project: kp.map(str::to_owned),
        ..good()
    };
    // Empty, blank, absent or the same as Project ID: the keys stay in Project ID.
    for same in [None, Some(""), Some("  "), Some("my-project")] {
        validate(&req(same)).unwrap();
        assert_eq!(req(same).keys_project(), "my-project");
        assert_eq!(req(same).separate_key_project(), None);
    }
    for ok in ["crdb-keys-123456", "my-key-project"] {
        validate(&req(Some(ok))).unwrap();
        assert_eq!(req(Some(ok)).keys_project(), ok);
    }
    for bad in [
        "abc",
        "Key-Project",
        "1keys",
        "keys-project-",
        "a-very-long-key-project-id-over-30",
        "keys_project",
    ] {
        fails(
            validate(&req(Some(bad))),
            "key_project",
            "Key project",
            "6-30 characters",
        );
    }
}

#[test]
fn service_account_id_field() {
    let req = |sa: &str| SetupRequest {
        service_account_id: sa.into(),
        ..good()
    };
    validate(&req("crdb-cmek-25ebef5ed2aa")).unwrap();
    for bad in [
        "short",
        "Crdb-cmek",
        "crdb_cmek_x",
        "crdb-cmek-",
        "x".repeat(31).as_str(),
    ] {
        fails(
            validate(&req(bad)),
            "service_account_id",
            "Service account ID",
            "6-30 characters",
        );
    }
}

#[test]
fn key_ring_id_field() {
    for ok in ["cockroachdb-cmek", "R_1", &"r".repeat(63)] {
        key_ring(ok).unwrap();
    }
    for bad in ["", "has space", "dot.ted", &"r".repeat(64)] {
        fails(key_ring(bad), "key_ring", "Key ring ID", "1-63 characters");
    }
}

#[test]
fn key_id_field_and_its_derived_per_region_names() {
    for ok in ["crdb-25ebef5ed2aa", "K_1"] {
        crypto_key(ok).unwrap();
    }
    for bad in ["", "a/b", &"k".repeat(64)] {
        fails(crypto_key(bad), "crypto_key", "Key ID", "1-63 characters");
    }
    let regions = vec!["us-east1".to_owned(), "europe-west4".to_owned()];
    assert_eq!(
        derived_key_ids("k", &regions).unwrap(),
        ["k-us-east1", "k-europe-west4"]
    );
    let sixty = "k".repeat(60);
    crypto_key(&sixty).unwrap();
    fails(
        derived_key_ids(&sixty, &regions),
        "crypto_key",
        "Key ID",
        &format!("the key for europe-west4 is named {sixty}-europe-west4, 73 characters; Cloud KMS allows at most 63, so the Key ID can have at most 50 characters here (it has 60)"),
    );
    derived_key_ids(&"k".repeat(50), &regions).unwrap();
}

#[test]
fn key_location_field() {
    for ok in [
        "us-east1",
        "europe-west4",
        "global",
        "us",
        "europe",
        "asia",
        "nam4",
    ] {
        location(ok).unwrap();
    }
    fails(
        location("mars-north1"),
        "layout.location",
        "Key location",
        "mars-north1 is not a Cloud KMS location",
    );
    fails(
        location(""),
        "layout.location",
        "Key location",
        "a location is `global`",
    );
    fails(
        location("US East"),
        "layout.location",
        "Key location",
        "a location is `global`",
    );
    let regions: Vec<String> = ["us-east1", "europe-west4", "asia-east1"]
        .map(String::from)
        .into();
    location_serves("global", &regions).unwrap();
    location_serves("us", &["us-east1".into(), "us-west2".into()]).unwrap();
    fails(
        location_serves("europe-west4", &regions),
        "layout.location",
        "Key location",
        "a key in europe-west4 cannot serve cluster regions us-east1, asia-east1:",
    );
    fails(
        location_serves("us", &regions),
        "layout.location",
        "Key location",
        "cannot serve cluster regions europe-west4, asia-east1",
    );
}

#[test]
fn rotation_period_field() {
    let req = |d: &str| SetupRequest {
        rotation_period_days: Some(serde_json::from_str(d).unwrap()),
        ..good()
    };
    for ok in ["1", "90", "\"365\"", "36500"] {
        validate(&req(ok)).unwrap();
    }
    validate(&SetupRequest {
        rotation_period_days: None,
        ..good()
    })
    .unwrap();
    let key = "rotation_period_days";
    let label = "Rotation period (days)";
    fails(validate(&req("-5")), key, label, "-5 is negative");
    fails(
        validate(&req("\"0.5\"")),
        key,
        label,
        "0.5 is not a whole number of days",
    );
    fails(
        validate(&req("\"12345678901234567890\"")),
        key,
        label,
        "at most 36,500 days (100 years)",
    );
    fails(
        validate(&req("36501")),
        key,
        label,
        "36501 days is more than Cloud KMS allows: at most 36,500 days",
    );
    fails(
        validate(&req("\"\"")),
        key,
        label,
        "enter a whole number of days from 1 to 36,500",
    );
}

#[test]
fn cluster_id_field() {
    cluster_id("25ebef5e-d2aa-4c1f-9a3e-0123456789ab").unwrap();
    fails(
        cluster_id("0123456789ab"),
        "cluster_id",
        "Cluster ID",
        "full cluster UUID",
    );
}

fn good() -> SetupRequest {
    SetupRequest {
        cluster_id: "25ebef5e-d2aa-4c1f-9a3e-0123456789ab".into(),
        project: "my-project".into(),
        key_project: None,
        service_account_id: "crdb-cmek-25ebef5ed2aa".into(),
        key_ring: "cockroachdb-cmek".into(),
        crypto_key: "crdb-25ebef5ed2aa".into(),
        layout: KeyLayout::KeyPerRegion,
        protection_level: cmek_core::plan::ProtectionLevel::Software,
        rotation_period_days: Some(90.into()),
    }
}
