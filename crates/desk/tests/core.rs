//! The application core against the in-process sandbox over HTTP: plans held by the backend
//! (a tampered or stale plan is refused with nothing written), every setup write recorded in
//! the activity log, refused endpoint overrides, and the operations registry reaching a run.

mod scan_kept;

use cmek_activity::{EntryKind, EntryStatus};
use cmek_core::plan::{ApplyEvent, ConnectionMode, Plan};
use cmek_core::settings::BuildProfile;
use cmek_core::ErrorCode;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use cmek_sandbox::seed::{DEMO_PROJECT_ID, SINGLE_REGION_CLUSTER_ID};
use std::sync::Arc;
use std::time::Duration;

fn desk(dir: &std::path::Path) -> Desk {
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    Desk::new(Session::new(
        settings,
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ))
}

/// Connects to a fresh sandbox without propagation or transition delays.
async fn connected(dir: &std::path::Path) -> Desk {
    let desk = desk(dir);
    let info = desk.connect_sandbox().await.expect("sandbox connects");
    assert_eq!(info.mode, ConnectionMode::Sandbox);
    {
        let slot = desk.sandbox.lock().await;
        let handle = slot.as_ref().expect("sandbox running");
        handle.set_iam_propagation(Duration::ZERO);
        handle.set_cmek_transition(Duration::ZERO, 0);
    }
    desk
}

async fn writes(desk: &Desk) -> usize {
    let slot = desk.sandbox.lock().await;
    slot.as_ref().expect("sandbox running").write_count()
}

async fn demo_plan(desk: &Desk) -> Plan {
    let mut request = desk
        .suggest_setup(SINGLE_REGION_CLUSTER_ID)
        .await
        .expect("suggest");
    request.project = DEMO_PROJECT_ID.to_owned();
    desk.plan_setup(request).await.expect("plan")
}

fn ignore(_: ApplyEvent) {}

#[tokio::test]
async fn plans_carry_an_id_and_a_digest_of_their_intent() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let a = demo_plan(&desk).await;
    let b = demo_plan(&desk).await;
    assert!(!a.plan_id.is_empty() && a.plan_id != b.plan_id);
    assert!(a.digest.starts_with("sha256:") && a.digest.len() == 7 + 64);
    assert_eq!(
        a.digest, b.digest,
        "the same world and request give the same digest"
    );
    assert_eq!(cmek_desk_core::plans::plan_digest(&a), a.digest);
}

#[tokio::test]
async fn a_tampered_plan_file_is_refused_with_nothing_written() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let plan = demo_plan(&desk).await;
    let before = writes(&desk).await;

    // An extra principal: Token Creator for someone else on our service account.
    let mut extra = plan.clone();
    let mut change = extra.iam_changes[0].clone();
    change.grant.member = "user:mallory@evil.example".into();
    extra.iam_changes.push(change);
    // A different key: the cluster pointed at a key someone else holds.
    let mut other_key = plan.clone();
    other_key.region_specs[0].key_spec.uri =
        "projects/evil/locations/us-east1/keyRings/r/cryptoKeys/k".into();
    // The same, with the digest recomputed to match (a forger who read the code): the fresh
    // plan from the request still differs, so it is refused too.
    let mut forged = other_key.clone();
    forged.digest = cmek_desk_core::plans::plan_digest(&forged);

    for (what, tampered) in [
        ("extra principal", extra),
        ("other key", other_key),
        ("forged digest", forged),
    ] {
        let err = desk
            .apply_plan_file(&tampered, &ignore)
            .await
            .expect_err(what);
        assert_eq!(err.code, ErrorCode::FailedPrecondition, "{what}: {err:?}");
        assert!(
            err.message.contains("Nothing was applied"),
            "{what}: {}",
            err.message
        );
    }
    assert_eq!(writes(&desk).await, before, "a refused plan writes nothing");
    let entries = desk.activity_entries().unwrap();
    assert!(
        !entries.iter().any(|e| e.kind == EntryKind::Intent),
        "no intent was recorded for a refused plan"
    );
}

#[tokio::test]
async fn a_plan_made_before_the_world_changed_is_refused() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let mut request = desk.suggest_setup(SINGLE_REGION_CLUSTER_ID).await.unwrap();
    request.project = DEMO_PROJECT_ID.to_owned();
    request.layout = cmek_core::plan::KeyLayout::KeyPerRegion;
    let plan = desk.plan_setup(request).await.unwrap();
    {
        let slot = desk.sandbox.lock().await;
        let handle = slot.as_ref().unwrap();
        handle.add_cluster_region(SINGLE_REGION_CLUSTER_ID, "us-west2");
    }
    let before = writes(&desk).await;
    let err = desk.apply_setup(&plan.plan_id, &ignore).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    assert!(err.message.contains("regions"), "{}", err.message);
    assert!(err.message.contains("the keys"), "{}", err.message);
    assert_eq!(writes(&desk).await, before);

    let err = desk.apply_setup("no-such-plan", &ignore).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
}

#[tokio::test]
async fn every_setup_write_has_an_intent_and_an_outcome_in_the_activity_log() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let plan = demo_plan(&desk).await;
    let before = writes(&desk).await;
    let result = desk
        .apply_setup(&plan.plan_id, &ignore)
        .await
        .expect("apply");
    assert_eq!(result.cmek.status, "ENABLED");
    let sandbox_writes = writes(&desk).await - before;
    assert!(sandbox_writes >= 5, "setup wrote {sandbox_writes} times");

    let entries = desk.activity_entries().unwrap();
    let intents: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .collect();
    let outcomes: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Outcome)
        .collect();
    assert_eq!(
        intents.len(),
        sandbox_writes,
        "one intent per write the sandbox recorded"
    );
    assert_eq!(outcomes.len(), sandbox_writes, "one outcome per write");
    for intent in &intents {
        assert!(intent.action.starts_with("setup."), "{}", intent.action);
        let outcome = outcomes
            .iter()
            .find(|o| o.intent_id == Some(intent.id))
            .expect("each intent has its outcome");
        assert_eq!(outcome.status, Some(EntryStatus::Ok), "{}", intent.summary);
        assert!(intent.id < outcome.id, "intent written before outcome");
    }
    for action in [
        "setup.createServiceAccount",
        "setup.createKeyRing",
        "setup.createCryptoKey",
        "setup.enableCmek",
    ] {
        assert!(
            intents.iter().any(|i| i.action == action),
            "no {action} intent"
        );
    }
    let finished = entries
        .iter()
        .find(|e| e.kind == EntryKind::OperationFinished && e.action == "setup")
        .expect("the setup operation is closed");
    assert_eq!(finished.status, Some(EntryStatus::Ok));
    assert!(desk.pending_operations().unwrap().is_empty());

    // Re-applying the same reviewed plan writes nothing and records nothing new.
    let count = entries.len();
    let again = desk
        .apply_setup(&plan.plan_id, &ignore)
        .await
        .expect("re-apply");
    assert_eq!(again.write_calls, 0);
    let entries = desk.activity_entries().unwrap();
    let new_intents = entries[count..]
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .count();
    assert_eq!(new_intents, 0);
}

#[tokio::test]
async fn stop_reaches_the_running_apply() {
    let dir = scan_kept::kept_tempdir();
    let desk = Arc::new(connected(dir.path()).await);
    let plan = demo_plan(&desk).await;
    let d = desk.clone();
    // Cancel as soon as the first step starts: the apply stops before its next step.
    let sink = move |e: ApplyEvent| {
        if matches!(e, ApplyEvent::StepStarted { .. }) {
            d.cancel(cmek_desk_core::Operation::Apply);
        }
    };
    let err = desk.apply_setup(&plan.plan_id, &sink).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled, "{err:?}");
    let finished = desk
        .activity_entries()
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EntryKind::OperationFinished)
        .expect("closed");
    assert_eq!(finished.status, Some(EntryStatus::Cancelled));
}

#[tokio::test]
async fn release_settings_refuse_foreign_endpoints_and_nothing_is_sent() {
    let settings = Settings::load(
        [
            (
                "CMEK_DESK_COCKROACH_API_BASE",
                "http://cockroachlabs.cloud/",
            ),
            (
                "CMEK_DESK_OAUTH_TOKEN_URL",
                "https://attacker.example/token",
            ),
        ],
        BuildProfile::Release,
    );
    let refused = settings.refused().unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(
        refused.message.contains("CMEK_DESK_"),
        "{}",
        refused.message
    );
    assert_eq!(settings.cockroach_base(), "https://cockroachlabs.cloud/");

    let store = Arc::new(InMemoryStore::default());
    let desk = Desk::new(Session::new(settings, Keychain::Given(store)));
    let err = desk
        .save_cockroach_key(cmek_core::Secret::new("key"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    let err = desk.connect_live().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    let status = desk.session_status().await;
    assert_eq!(
        status.problem.map(|p| p.code),
        Some(ErrorCode::InvalidInput)
    );
}
