//! The state machine as a table: one row per (status, action), plus how region statuses fold
//! into the cluster's phase.

use super::*;
use crate::cockroach::CmekRegionInfo;
use CmekAction::*;

/// (CMEKStatus, action, allowed, a phrase the reason (refused) or note (allowed) contains; ""
/// for an allowed action without a note).
const TABLE: &[(&str, CmekAction, bool, &str)] = &[
    ("DISABLED", Setup, true, ""),
    ("DISABLED", Rotate, false, "no key to rotate"),
    ("DISABLED", AddRegion, false, "needs no key"),
    ("DISABLED", Revoke, false, "nothing to revoke"),
    ("DISABLED", Recover, false, "Nothing was revoked"),
    ("DISABLED", KeyEmergency, false, "No key of this cluster"),
    ("ENABLING", Setup, true, "waits for it to finish"),
    ("ENABLING", Rotate, false, "still enabling"),
    ("ENABLING", AddRegion, false, "still enabling"),
    ("ENABLING", Revoke, true, "Break glass"),
    ("ENABLING", Recover, false, "Nothing was revoked"),
    ("ENABLING", KeyEmergency, true, ""),
    ("ENABLED", Setup, true, "rotation plan"),
    ("ENABLED", Rotate, true, ""),
    ("ENABLED", AddRegion, true, ""),
    ("ENABLED", Revoke, true, ""),
    ("ENABLED", Recover, false, "Nothing was revoked"),
    ("ENABLED", KeyEmergency, true, ""),
    ("ENABLE_FAILED", Setup, true, "apply setup again"),
    ("ENABLE_FAILED", Rotate, false, "no key is in use"),
    ("ENABLE_FAILED", AddRegion, false, "no key is in use"),
    ("ENABLE_FAILED", Revoke, true, ""),
    ("ENABLE_FAILED", Recover, false, "Nothing was revoked"),
    ("ENABLE_FAILED", KeyEmergency, true, ""),
    ("ROTATING", Setup, false, "rotating this cluster"),
    ("ROTATING", Rotate, false, "already under way"),
    ("ROTATING", AddRegion, false, "rotating this cluster"),
    ("ROTATING", Revoke, true, ""),
    ("ROTATING", Recover, false, "Nothing was revoked"),
    (
        "ROTATING",
        KeyEmergency,
        true,
        "both the old and the new key",
    ),
    ("ROTATE_FAILED", Setup, false, "setup does not change keys"),
    ("ROTATE_FAILED", Rotate, true, "fix the cause"),
    ("ROTATE_FAILED", AddRegion, false, "last rotation"),
    ("ROTATE_FAILED", Revoke, true, ""),
    ("ROTATE_FAILED", Recover, false, "Nothing was revoked"),
    ("ROTATE_FAILED", KeyEmergency, true, ""),
    ("REVOKING", Setup, false, "being revoked"),
    ("REVOKING", Rotate, false, "being revoked"),
    ("REVOKING", AddRegion, false, "being revoked"),
    ("REVOKING", Revoke, false, "already under way"),
    ("REVOKING", Recover, true, "only Cockroach Labs support"),
    ("REVOKING", KeyEmergency, true, ""),
    ("REVOKED", Setup, false, "undoing the revocation"),
    ("REVOKED", Rotate, false, "undoing the revocation"),
    ("REVOKED", AddRegion, false, "undoing the revocation"),
    ("REVOKED", Revoke, false, "already revoked"),
    ("REVOKED", Recover, true, "only Cockroach Labs support"),
    ("REVOKED", KeyEmergency, true, ""),
    ("REVOKE_FAILED", Setup, false, "failed part-way"),
    ("REVOKE_FAILED", Rotate, false, "failed part-way"),
    ("REVOKE_FAILED", AddRegion, false, "failed part-way"),
    ("REVOKE_FAILED", Revoke, true, "retries them"),
    (
        "REVOKE_FAILED",
        Recover,
        true,
        "only Cockroach Labs support",
    ),
    ("REVOKE_FAILED", KeyEmergency, true, ""),
    ("DISABLING", Setup, false, "reports CMEK as DISABLING"),
    ("DISABLING", Rotate, false, "reports CMEK as DISABLING"),
    ("DISABLING", AddRegion, false, "reports CMEK as DISABLING"),
    ("DISABLING", Revoke, true, "whatever CockroachDB reports"),
    ("DISABLING", Recover, false, "Nothing was revoked"),
    ("DISABLING", KeyEmergency, true, ""),
    (
        "SOMETHING_NEW",
        Setup,
        false,
        "reports CMEK as SOMETHING_NEW",
    ),
    ("SOMETHING_NEW", Rotate, false, "does not change keys in"),
    ("SOMETHING_NEW", AddRegion, false, "does not change keys in"),
    (
        "SOMETHING_NEW",
        Revoke,
        true,
        "whatever CockroachDB reports",
    ),
    ("SOMETHING_NEW", Recover, false, "Nothing was revoked"),
    ("SOMETHING_NEW", KeyEmergency, true, ""),
];

fn info(cluster: &str, regions: &[&str]) -> CmekClusterInfo {
    CmekClusterInfo {
        status: cluster.into(),
        region_infos: regions
            .iter()
            .enumerate()
            .map(|(i, s)| CmekRegionInfo {
                region: format!("region-{i}"),
                status: (*s).into(),
                key_infos: Vec::new(),
            })
            .collect(),
    }
}

#[test]
fn the_table_has_one_row_per_status_and_action_and_the_state_machine_follows_it() {
    let statuses: Vec<&str> = TABLE.iter().map(|r| r.0).collect();
    let mut distinct = statuses.clone();
    distinct.dedup();
    assert_eq!(TABLE.len(), distinct.len() * CmekAction::ALL.len());
    for &(status, action, allowed, phrase) in TABLE {
        let row = format!("({status}, {action:?})");
        let a = availability(&CmekPhase::from_status(status), action);
        assert_eq!(a.allowed, allowed, "{row}: {a:#?}");
        assert_eq!(a.action, action);
        assert_eq!(a.status, status, "{row}");
        if allowed {
            assert!(a.reason.is_none() && a.what_to_do.is_none(), "{row}");
            match phrase {
                "" => assert!(a.note.is_none(), "{row}: {a:#?}"),
                p => assert!(a.note.as_deref().unwrap_or("").contains(p), "{row}: {a:#?}"),
            }
        } else {
            let why = a.reason.as_deref().unwrap_or("");
            assert!(why.contains(phrase), "{row}: {why}");
            assert!(!a.what_to_do.as_deref().unwrap_or("").is_empty(), "{row}");
            assert!(a.note.is_none(), "{row}");
        }
    }
    // A row per action for every status the spec's CMEKStatus enum has, except DISABLE_FAILED
    // (customers cannot start a disable; it falls with DISABLING and unknown values).
    assert_eq!(
        CmekPhase::from_status("DISABLE_FAILED"),
        CmekPhase::Other("DISABLE_FAILED".into())
    );
}

#[test]
fn refusals_of_setup_on_a_revoked_cluster_say_why_and_what_to_do() {
    let revoked = info("REVOKED", &["REVOKED"]);
    let e = require(Some(&revoked), Setup, "prod-payments").unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    for phrase in [
        "prod-payments",
        "REVOKED",
        "undoing the revocation",
        "Recover",
        "support",
    ] {
        assert!(e.message.contains(phrase), "{phrase}: {}", e.message);
    }
    assert!(require(None, Setup, "c").is_ok());
    assert!(require(None, Rotate, "c").is_err());
}

#[test]
fn the_most_constraining_of_cluster_and_region_statuses_decides() {
    assert_eq!(CmekPhase::of(None), CmekPhase::Never);
    assert_eq!(CmekPhase::of(Some(&info("", &[]))), CmekPhase::Never);
    let rows = [
        (info("ENABLED", &["ENABLED", "REVOKED"]), CmekPhase::Revoked),
        (
            info("ENABLED", &["ENABLED", "ENABLING"]),
            CmekPhase::Enabling,
        ),
        (
            info("ROTATING", &["ENABLED", "ROTATING"]),
            CmekPhase::Rotating,
        ),
        (
            info("ENABLED", &["ROTATE_FAILED", "ENABLED"]),
            CmekPhase::RotateFailed,
        ),
        (
            info("REVOKED", &["REVOKED", "REVOKE_FAILED"]),
            CmekPhase::RevokeFailed,
        ),
        (
            info("REVOKING", &["REVOKE_FAILED", "REVOKING"]),
            CmekPhase::Revoking,
        ),
        (
            info("ENABLED", &["ENABLED", "NEW_VALUE"]),
            CmekPhase::Other("NEW_VALUE".into()),
        ),
    ];
    for (i, want) in rows {
        assert_eq!(CmekPhase::of(Some(&i)), want, "{i:?}");
    }
    let actions = allowed_actions(Some(&info("ENABLED", &["ENABLED", "REVOKED"])));
    assert_eq!(actions.len(), CmekAction::ALL.len());
    assert!(actions.iter().all(|a| a.status == "REVOKED"));
    assert!(!actions.iter().find(|a| a.action == Setup).unwrap().allowed);
}

#[test]
fn actions_serialise_in_camel_case_for_the_ui() {
    let a = availability(&CmekPhase::Revoked, AddRegion);
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["action"], "addRegion");
    assert_eq!(v["allowed"], false);
    assert!(v["whatToDo"].as_str().unwrap().contains("support"));
    assert!(v.get("note").is_none());
}
