//! Drift through the application core against its in-process sandbox (the audit seed): the
//! fresh read lists the out-of-band bindings on `audit-drift`'s key and service account and
//! nothing on the clean twin; `remediate_drift` takes only a finding id and the typed
//! confirmation, removes exactly that binding, logs it and leaves the finding gone; a finding
//! the live state no longer shows is refused with nothing written. Also the key emergency
//! hold through the core: the preview shows the freeze left to undo.

mod scan_kept;

use cmek_activity::EntryKind;
use cmek_audit::drift::DriftKind;
use cmek_audit::PolicyLevel;
use cmek_core::ErrorCode;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use cmek_revoke::DriftFixRequest;
use cmek_sandbox::seed_audit::{
    DRIFT_CLEAN_KEY, DRIFT_COLLEAGUE, DRIFT_DEVELOPER, DRIFT_KEY, FREEZE_BAD_KEY, SA_DRIFT,
    SA_DRIFT_CLEAN,
};
use std::sync::Arc;

async fn connected(dir: &std::path::Path) -> Desk {
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    let desk = Desk::new(Session::new(
        settings,
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ));
    desk.connect_sandbox().await.expect("sandbox connects");
    desk
}

async fn writes(desk: &Desk) -> usize {
    let slot = desk.sandbox.lock().await;
    slot.as_ref().expect("sandbox running").write_count()
}

async fn policy(desk: &Desk, resource: &str) -> serde_json::Value {
    let slot = desk.sandbox.lock().await;
    slot.as_ref().expect("sandbox running").iam_policy(resource)
}

fn sa_res(email: &str) -> String {
    cmek_audit::drift::sa_resource(email)
}

fn request(id: &str, confirm: &str) -> DriftFixRequest {
    DriftFixRequest {
        finding_id: id.into(),
        confirm: confirm.into(),
    }
}

#[tokio::test]
async fn a_drift_finding_is_fixed_by_id_with_a_typed_confirmation() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let scan = desk.scan_drift().await.unwrap();
    let on = |res: &str| {
        scan.findings
            .iter()
            .filter(|f| f.resource == res)
            .cloned()
            .collect::<Vec<_>>()
    };
    let key = on(DRIFT_KEY).pop().expect("drift on the key");
    assert_eq!(
        (key.kind, key.level, key.member.as_str()),
        (DriftKind::Extra, PolicyLevel::Key, DRIFT_COLLEAGUE)
    );
    let sa = on(&sa_res(SA_DRIFT)).pop().expect("drift on the SA");
    assert_eq!(sa.member, DRIFT_DEVELOPER);
    assert_eq!(
        on(DRIFT_CLEAN_KEY).len() + on(&sa_res(SA_DRIFT_CLEAN)).len(),
        0
    );

    let before = writes(&desk).await;
    let e = desk
        .remediate_drift(&request(&key.id, "drift-clean"), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = desk
        .remediate_drift(&request("drift-0000000000000000", "drift"), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(writes(&desk).await, before, "refusals write nothing");

    let r = desk
        .remediate_drift(&request(&key.id, "drift"), &|_| {})
        .await
        .unwrap();
    assert!(r.changed && r.verified);
    let p = policy(&desk, DRIFT_KEY).await;
    assert_eq!(
        p["bindings"],
        serde_json::json!([{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": ["serviceAccount:crdb-drift@audit-drift-prj.iam.gserviceaccount.com"]}]),
        "only the out-of-band binding went"
    );
    let r = desk
        .remediate_drift(&request(&sa.id, SA_DRIFT), &|_| {})
        .await
        .unwrap();
    assert!(r.verified);

    let after = desk.scan_drift().await.unwrap();
    assert!(after
        .findings
        .iter()
        .all(|f| f.resource != DRIFT_KEY && f.resource != sa_res(SA_DRIFT)));
    assert_eq!(
        after.findings.len(),
        scan.findings.len() - 2,
        "nothing else changed"
    );
    // The same id again: gone from the live state, refused.
    let e = desk
        .remediate_drift(&request(&key.id, "drift"), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let logged = desk
        .activity_entries()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "drift.remediate" && e.kind == EntryKind::OperationFinished)
        .count();
    assert_eq!(logged, 2);
}

#[tokio::test]
async fn the_key_preview_shows_the_schedule_and_the_freeze_left_to_undo() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let key = DRIFT_CLEAN_KEY;
    let p = desk.preview_key(key).await.unwrap();
    assert!(p.rotation.is_set() && p.freeze.is_none());
    let r = desk
        .disable_key_versions(key, "drift-clean", &|_| {})
        .await
        .unwrap();
    assert!(r.rotation.is_some());
    let p = desk.preview_key(key).await.unwrap();
    assert!(!p.rotation.is_set());
    let freeze = p.freeze.expect("a freeze to undo");
    assert_eq!(freeze.operation_id, r.operation_id);
    let u = desk
        .unfreeze_key(key, "drift-clean", &|_| {})
        .await
        .unwrap();
    assert_eq!(u.rotation.unwrap().after, freeze.schedule.unwrap());
    assert!(desk.preview_key(key).await.unwrap().freeze.is_none());
    // A key frozen outside the app has no freeze record: nothing to undo.
    let e = desk
        .unfreeze_key(FREEZE_BAD_KEY, "c14-bad", &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
}
