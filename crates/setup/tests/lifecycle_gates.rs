//! The CMEK state machine guards every write path, over HTTP against the sandbox: setup on a
//! REVOKED or REVOKING cluster is refused with zero writes (planning, and applying a plan made
//! before the revocation); setup on an ENABLED cluster naming another key yields a rotation
//! plan with nothing written; rotation and add-region on a cluster without CMEK are refused.

mod changes_common;
mod common;

use changes_common::*;
use cmek_core::change::{AddRegionRequest, PlanChange};
use cmek_core::plan::StepKind;
use cmek_core::ErrorCode;
use cmek_sandbox::seed;
use common::*;

fn says_why_and_what_to_do(message: &str) {
    for phrase in [
        "revok",
        "grant CockroachDB access to a key again",
        "Recover",
        "Cockroach Labs support",
    ] {
        assert!(message.contains(phrase), "{phrase:?} missing: {message}");
    }
}

#[tokio::test]
async fn setup_on_a_revoked_cluster_is_refused_before_any_write() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (req, _) = prod_payments_enabled(&conn).await;
    let stale = cmek_setup::plan(&conn, req.clone()).await.unwrap();
    revoke(&conn, seed::SINGLE_REGION_CLUSTER_ID, true).await;

    let before = sb.write_count();
    let e = cmek_setup::plan(&conn, req.clone()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition, "{e:?}");
    assert!(e.message.contains("REVOKED"), "{}", e.message);
    says_why_and_what_to_do(&e.message);
    // A plan made before the revocation (a crash, a file) is refused by apply's gate too.
    let (r, events) = apply(&conn, &stale).await;
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    says_why_and_what_to_do(&e.message);
    assert!(events.is_empty(), "no step started: {events:#?}");
    assert_eq!(sb.write_count(), before, "zero writes: {:#?}", writes(&sb));
}

#[tokio::test]
async fn setup_while_revoking_is_refused_before_any_write() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (req, _) = prod_payments_enabled(&conn).await;
    let info = revoke(&conn, seed::SINGLE_REGION_CLUSTER_ID, false).await;
    assert_eq!(info.status, "REVOKING");
    let before = sb.write_count();
    let e = cmek_setup::plan(&conn, req).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(e.message.contains("being revoked"), "{}", e.message);
    says_why_and_what_to_do(&e.message);
    assert_eq!(sb.write_count(), before);
}

#[tokio::test]
async fn setup_naming_another_key_on_an_enabled_cluster_yields_a_rotation_plan() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (mut req, info) = prod_payments_enabled(&conn).await;
    let old = uri_of(&info, "us-east4");
    req.crypto_key = "payments-next".into();
    let before = sb.write_count();
    let plan = cmek_setup::plan(&conn, req).await.unwrap();
    assert_eq!(sb.write_count(), before, "planning writes nothing");

    let PlanChange::Rotation(rotation) = &plan.change else {
        panic!("a rotation plan: {:#?}", plan.change)
    };
    assert_eq!(rotation.changed_regions, vec!["us-east4"]);
    assert_eq!(rotation.from[0].key_spec.uri, old);
    let kinds: Vec<StepKind> = plan.steps.iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&StepKind::UpdateCmek), "{kinds:?}");
    for not in [
        StepKind::EnableCmek,
        StepKind::CreateServiceAccount,
        StepKind::GrantTokenCreator,
    ] {
        assert!(!kinds.contains(&not), "{not:?} in {kinds:?}");
    }
    let target = &plan.region_specs[0].key_spec;
    assert!(
        target.uri.ends_with("/cryptoKeys/payments-next"),
        "{target:?}"
    );
    assert_eq!(
        target.auth_principal,
        rotation.from[0].key_spec.auth_principal
    );
    assert!(
        plan.warnings[0].contains("already ENABLED with other keys"),
        "{:?}",
        plan.warnings
    );
    assert!(plan
        .warnings
        .iter()
        .any(|w| w.contains(&old) && w.contains("Never disable")));
    assert!(plan.commands.last().unwrap().starts_with("curl -X PUT"));

    // The same key as now: a setup plan that only verifies.
    let same = cmek_setup::plan(&conn, single_region_request(&conn).await)
        .await
        .unwrap();
    assert_eq!(same.change, PlanChange::Setup);
}

#[tokio::test]
async fn rotation_and_add_region_need_cmek_enabled_first() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let mut rotation = cmek_core::change::RotationRequest {
        cluster_id: seed::SINGLE_REGION_CLUSTER_ID.into(),
        project: seed::DEMO_PROJECT_ID.into(),
        key_ring: "ring".into(),
        crypto_key: "key".into(),
        layout: None,
        protection_level: cmek_core::plan::ProtectionLevel::Software,
        rotation_period_days: None,
    };
    let e = cmek_setup::plan_rotation(&conn, rotation.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(
        e.message.contains("no key to rotate") && e.message.contains("Set up CMEK first"),
        "{}",
        e.message
    );
    let add = AddRegionRequest {
        cluster_id: seed::MULTI_REGION_CLUSTER_ID.into(),
        region: "asia-east1".into(),
        node_count: Some(3.into()),
        project: None,
        key_ring: None,
        crypto_key: None,
    };
    let e = cmek_setup::plan_add_region(&conn, add).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(e.message.contains("CMEK is not enabled"), "{}", e.message);
    rotation.crypto_key = "bad key!".into();
    let e = cmek_setup::plan_rotation(&conn, rotation)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(sb.write_count(), 0);
}

#[tokio::test]
async fn allowed_actions_follow_the_cluster_through_setup_and_revocation() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let id = seed::SINGLE_REGION_CLUSTER_ID;
    let allowed = |a: &[cmek_core::lifecycle::ActionAvailability]| -> Vec<String> {
        a.iter()
            .filter(|x| x.allowed)
            .map(|x| format!("{:?}", x.action))
            .collect()
    };
    let never = cmek_setup::allowed_actions(&conn, id).await.unwrap();
    assert_eq!(allowed(&never), vec!["Setup"]);
    prod_payments_enabled(&conn).await;
    let on = cmek_setup::allowed_actions(&conn, id).await.unwrap();
    assert_eq!(
        allowed(&on),
        vec!["Setup", "Rotate", "AddRegion", "Revoke", "KeyEmergency"]
    );
    revoke(&conn, id, true).await;
    let off = cmek_setup::allowed_actions(&conn, id).await.unwrap();
    assert_eq!(allowed(&off), vec!["Recover", "KeyEmergency"]);
    let setup = off
        .iter()
        .find(|a| a.action == cmek_core::lifecycle::CmekAction::Setup)
        .unwrap();
    assert_eq!(setup.status, "REVOKED");
    assert!(setup.what_to_do.as_deref().unwrap().contains("support"));
    // Not eligible: setup is refused with the reason, whatever the CMEK status.
    let standard = cmek_setup::allowed_actions(&conn, seed::STANDARD_CLUSTER_ID)
        .await
        .unwrap();
    assert!(allowed(&standard).is_empty(), "{standard:#?}");
    assert!(standard[0].reason.as_deref().unwrap().contains("STANDARD"));
}
