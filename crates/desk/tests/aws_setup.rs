//! The AWS use cases of the application core against the in-process sandbox: the session's AWS
//! identity, AWS plans held by id and digest (a tampered file or a changed world is refused with
//! nothing written), apply to ENABLED with every write in the activity log, access keys kept in
//! the keychain and never echoed.

mod scan_kept;

use cmek_activity::EntryKind;
use cmek_core::aws::plan::AwsKeyLayout;
use cmek_core::plan::ApplyEvent;
use cmek_core::{ErrorCode, Secret};
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::wire::AwsMethod;
use cmek_desk_core::Desk;
use cmek_keychain::{InMemoryStore, SecretStore};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use std::sync::Arc;
use std::time::Duration;

fn desk_with(dir: &std::path::Path, store: Arc<InMemoryStore>, extra: &[(&str, String)]) -> Desk {
    let mut pairs = vec![("CMEK_DESK_DATA_DIR".to_owned(), dir.display().to_string())];
    pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    Desk::new(Session::new(
        Settings::from_pairs(pairs),
        Keychain::Given(store),
    ))
}

async fn connected(dir: &std::path::Path) -> Desk {
    let desk = desk_with(dir, Arc::new(InMemoryStore::default()), &[]);
    desk.connect_sandbox().await.expect("sandbox connects");
    {
        let slot = desk.sandbox.lock().await;
        let h = slot.as_ref().unwrap();
        h.set_cmek_transition(Duration::ZERO, 0);
        h.set_aws_iam_propagation(Duration::ZERO);
    }
    desk
}

async fn writes(desk: &Desk) -> usize {
    desk.sandbox.lock().await.as_ref().unwrap().write_count()
}

fn ignore(_: ApplyEvent) {}

#[tokio::test]
async fn the_sandbox_connection_includes_aws_and_the_session_shows_who() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let aws = desk.session_status().await.aws.expect("aws status");
    let account = aws.account.expect("identity");
    assert_eq!(account.method, AwsMethod::Sandbox);
    assert_eq!(account.account, cmek_sandbox::AWS_CUSTOMER_ACCOUNT_ID);
    assert_eq!(account.arn, cmek_sandbox::AWS_CALLER_ARN);
    let json = serde_json::to_string(&desk.session_status().await).unwrap();
    assert!(
        !json.contains(cmek_sandbox::AWS_SECRET_ACCESS_KEY)
            && !json.contains(cmek_sandbox::AWS_ACCESS_KEY_ID),
        "{json}"
    );
}

#[tokio::test]
async fn an_aws_plan_is_held_and_applied_by_id_with_every_write_logged() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let request = desk.suggest_aws_setup(AWS_CLUSTER_ID).await.unwrap();
    assert_eq!(request.layout, AwsKeyLayout::KeyPerRegion);
    let plan = desk.plan_aws_setup(request.clone()).await.unwrap();
    let again = desk.plan_aws_setup(request).await.unwrap();
    assert!(!plan.plan_id.is_empty() && plan.plan_id != again.plan_id);
    assert!(plan.digest.starts_with("sha256:") && plan.digest == again.digest);
    let before = writes(&desk).await;
    let result = desk
        .apply_aws_setup(&plan.plan_id, &ignore)
        .await
        .expect("apply");
    assert_eq!(result.cmek.status, "ENABLED");
    let sandbox_writes = writes(&desk).await - before;
    assert_eq!(result.write_calls as usize, sandbox_writes);
    let entries = desk.activity_entries().unwrap();
    let intents = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .count();
    let outcomes = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Outcome)
        .count();
    assert_eq!((intents, outcomes), (sandbox_writes, sandbox_writes));
    for action in [
        "setup.createRole",
        "setup.createKey",
        "setup.writeKeyPolicy",
        "setup.enableCmek",
    ] {
        assert!(
            entries
                .iter()
                .any(|e| e.kind == EntryKind::Intent && e.action == action),
            "{action}"
        );
    }
    // Re-apply by a fresh plan: zero writes.
    let plan = desk.plan_aws_setup(plan.request.clone()).await.unwrap();
    let result = desk.apply_aws_setup(&plan.plan_id, &ignore).await.unwrap();
    assert_eq!(result.write_calls, 0);
}

#[tokio::test]
async fn a_tampered_plan_file_or_a_changed_world_is_refused_with_nothing_written() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let plan = desk
        .plan_aws_setup(desk.suggest_aws_setup(AWS_CLUSTER_ID).await.unwrap())
        .await
        .unwrap();
    let mut tampered = plan.clone();
    tampered.role.arn = "arn:aws:iam::999999999999:role/attacker".into();
    tampered.region_specs[0].key_spec.auth_principal = tampered.role.arn.clone();
    let before = writes(&desk).await;
    let e = desk
        .apply_aws_plan_file(&tampered, &ignore)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(
        e.message.contains("changed after it was made"),
        "{}",
        e.message
    );
    // The world changed: a region was added to the cluster since the plan was made.
    desk.sandbox
        .lock()
        .await
        .as_ref()
        .unwrap()
        .add_cluster_region(AWS_CLUSTER_ID, "us-west-2");
    let e = desk
        .apply_aws_setup(&plan.plan_id, &ignore)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(e.message.contains("the cluster's regions"), "{}", e.message);
    assert_eq!(writes(&desk).await, before, "nothing was written");
    assert_eq!(
        desk.apply_aws_setup("no-such-plan", &ignore)
            .await
            .unwrap_err()
            .code,
        ErrorCode::FailedPrecondition
    );
}

#[tokio::test]
async fn access_keys_are_proven_kept_in_the_keychain_and_restored() {
    let sb = cmek_sandbox::Sandbox::start(cmek_sandbox::SandboxConfig::for_tests()).await;
    let dir = scan_kept::kept_tempdir();
    let store = Arc::new(InMemoryStore::default());
    let endpoint = [("CMEK_DESK_AWS_ENDPOINT", sb.endpoints().aws)];
    let desk = desk_with(dir.path(), store.clone(), &endpoint);
    let e = desk
        .save_aws_access_keys("SANDBOX-UNKNOWN-KEY".into(), Secret::new("nope"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated);
    assert!(
        store
            .retrieve(cmek_desk_core::aws::AWS_ACCESS_KEY_ID_KEY)
            .unwrap()
            .is_none(),
        "refused keys are not stored"
    );
    let status = desk
        .save_aws_access_keys(
            cmek_sandbox::AWS_ACCESS_KEY_ID.into(),
            Secret::new(cmek_sandbox::AWS_SECRET_ACCESS_KEY),
        )
        .await
        .unwrap();
    assert_eq!(status.account.unwrap().method, AwsMethod::AccessKeys);
    assert!(status.access_keys_stored);
    // A new run restores them from the keychain.
    let next = desk_with(dir.path(), store.clone(), &endpoint);
    let status = next.aws_status().await;
    assert_eq!(
        status.account.expect("restored").account,
        cmek_sandbox::AWS_CUSTOMER_ACCOUNT_ID
    );
    let status = next.forget_aws_access_keys().await.unwrap();
    assert!(!status.access_keys_stored && status.account.is_none());
    assert!(store
        .retrieve(cmek_desk_core::aws::AWS_SECRET_ACCESS_KEY_KEY)
        .unwrap()
        .is_none());
}
