//! After day one through the application core, against the in-process sandbox over HTTP:
//! allowed actions with reasons; rotation and add-region plans held by id + digest and applied
//! by id, every write in the activity log as a `rotate` / `add_region` operation; the old key
//! stays guarded against destruction; a plan of one kind is not applied as another; a rotation
//! planned before someone else changed the keys is refused with nothing written.

mod scan_kept;

use cmek_activity::{EntryKind, EntryStatus};
use cmek_core::change::{AddRegionRequest, PlanChange};
use cmek_core::lifecycle::CmekAction;
use cmek_core::plan::{ApplyEvent, Plan};
use cmek_core::ErrorCode;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use cmek_sandbox::seed::{DEMO_PROJECT_ID, MULTI_REGION_CLUSTER_ID, SINGLE_REGION_CLUSTER_ID};
use std::sync::Arc;
use std::time::Duration;

async fn connected(dir: &std::path::Path) -> Desk {
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    let desk = Desk::new(Session::new(
        settings,
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ));
    desk.connect_sandbox().await.expect("sandbox connects");
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

fn ignore(_: ApplyEvent) {}

/// Sets CMEK up on `cluster` through the core (one key per region for several regions).
async fn set_up(desk: &Desk, cluster: &str) -> Plan {
    let mut request = desk.suggest_setup(cluster).await.unwrap();
    request.project = DEMO_PROJECT_ID.to_owned();
    let plan = desk.plan_setup(request).await.unwrap();
    let r = desk.apply_setup(&plan.plan_id, &ignore).await.unwrap();
    assert_eq!(r.cmek.status, "ENABLED");
    plan
}

#[tokio::test]
async fn allowed_actions_say_why_not_and_what_to_do() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let actions = desk
        .allowed_actions(SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap();
    assert_eq!(actions.len(), 6);
    let rotate = actions
        .iter()
        .find(|a| a.action == CmekAction::Rotate)
        .unwrap();
    assert!(!rotate.allowed && rotate.status == "DISABLED");
    assert!(rotate
        .reason
        .as_deref()
        .unwrap()
        .contains("no key to rotate"));
    assert_eq!(rotate.what_to_do.as_deref(), Some("Set up CMEK first."));
    set_up(&desk, SINGLE_REGION_CLUSTER_ID).await;
    let actions = desk
        .allowed_actions(SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap();
    assert!(
        actions
            .iter()
            .find(|a| a.action == CmekAction::Rotate)
            .unwrap()
            .allowed
    );
}

#[tokio::test]
async fn a_rotation_is_held_applied_by_id_logged_and_leaves_the_old_key_guarded() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let setup = set_up(&desk, SINGLE_REGION_CLUSTER_ID).await;
    let old = setup.keys[0].name.clone();
    let request = desk
        .suggest_rotation(SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap();
    let plan = desk.plan_rotation(request).await.unwrap();
    assert!(!plan.plan_id.is_empty() && plan.digest.starts_with("sha256:"));
    assert!(matches!(plan.change, PlanChange::Rotation(_)));
    let new = plan.keys[0].name.clone();

    let before = writes(&desk).await;
    let log_before = desk.activity_entries().unwrap().len();
    let result = desk.apply_rotation(&plan.plan_id, &ignore).await.unwrap();
    assert_eq!(result.cmek.status, "ENABLED");
    let region = result.cmek.region("us-east4").unwrap();
    assert_eq!(region.current().unwrap().spec.uri, new);

    // Every write of the rotation has its intent and outcome, in a `rotate` operation.
    let sandbox_writes = writes(&desk).await - before;
    let entries = desk.activity_entries().unwrap()[log_before..].to_vec();
    let intents: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .collect();
    assert_eq!(intents.len(), sandbox_writes);
    assert!(
        intents.iter().all(|i| i.action.starts_with("rotate.")),
        "{intents:#?}"
    );
    assert!(intents.iter().any(|i| i.action == "rotate.updateCmek"));
    let outcomes = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Outcome)
        .count();
    assert_eq!(outcomes, sandbox_writes);
    let finished = entries
        .iter()
        .find(|e| e.kind == EntryKind::OperationFinished && e.action == "rotate")
        .expect("the rotate operation is closed");
    assert_eq!(finished.status, Some(EntryStatus::Ok));

    // The old key is still needed to decrypt: the destroy guard refuses it.
    let preview = desk.preview_key(&old).await.unwrap();
    assert!(!preview.guard.allowed, "{:#?}", preview.guard);
    assert!(preview
        .guard
        .in_use_by
        .iter()
        .any(|u| u.key_uri == old && !u.current && u.cluster_name == "prod-payments"));
    assert!(!desk.preview_key(&new).await.unwrap().guard.allowed);

    // A rotation plan is not an add-region plan.
    let e = desk
        .apply_add_region(&plan.plan_id, &ignore)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
}

#[tokio::test]
async fn a_rotation_planned_before_someone_else_rotated_is_refused_with_nothing_written() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    set_up(&desk, SINGLE_REGION_CLUSTER_ID).await;
    let mut request = desk
        .suggest_rotation(SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap();
    request.crypto_key = "mine".into();
    let mine = desk.plan_rotation(request.clone()).await.unwrap();
    request.crypto_key = "theirs".into();
    let theirs = desk.plan_rotation(request).await.unwrap();
    desk.apply_rotation(&theirs.plan_id, &ignore).await.unwrap();
    let before = writes(&desk).await;
    let e = desk
        .apply_rotation(&mine.plan_id, &ignore)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(e.message.contains("Nothing was applied"), "{}", e.message);
    assert_eq!(writes(&desk).await, before);
}

#[tokio::test]
async fn a_region_is_added_to_global_ledger_by_plan_id_and_ends_enabled() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    set_up(&desk, MULTI_REGION_CLUSTER_ID).await;
    let plan = desk
        .plan_add_region(AddRegionRequest {
            cluster_id: MULTI_REGION_CLUSTER_ID.into(),
            region: "europe-west1".into(),
            node_count: Some(3.into()),
            project: None,
            key_ring: None,
            crypto_key: None,
        })
        .await
        .unwrap();
    assert!(matches!(plan.change, PlanChange::AddRegion(_)));
    let e = desk
        .apply_rotation(&plan.plan_id, &ignore)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition, "not a rotation plan");
    let result = desk.apply_add_region(&plan.plan_id, &ignore).await.unwrap();
    assert_eq!(result.cmek.region_infos.len(), 4);
    assert!(result
        .cmek
        .region_infos
        .iter()
        .all(|r| r.status == "ENABLED"));
    let entries = desk.activity_entries().unwrap();
    assert!(entries.iter().any(|e| e.action == "add_region.addRegion"));
    // Applying the same id again resumes under the same digest and writes nothing.
    assert_eq!(
        desk.apply_add_region(&plan.plan_id, &ignore)
            .await
            .unwrap()
            .write_calls,
        0
    );
}
