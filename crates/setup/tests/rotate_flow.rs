//! Rotating to new keys end to end, over HTTP against the sandbox: prod-payments (one region)
//! and global-ledger (three regions, a key per region) go through ROTATING to ENABLED on new
//! keys, the `PUT` names only the regions that change, the old keys stay (in `key_infos` and
//! in Cloud KMS, still ENABLED); re-applying writes nothing; a rotation CockroachDB cannot use
//! ends ROTATE_FAILED with its `user_message`, and rotating again after the fix succeeds.

mod changes_common;
mod common;

use changes_common::*;
use cmek_core::change::{PlanChange, RotationRequest};
use cmek_core::iam::{service_account_member, ROLE_ENCRYPTER_DECRYPTER};
use cmek_core::plan::{ApplyEvent, StepOutcome};
use cmek_core::ErrorCode;
use cmek_sandbox::seed;
use common::*;

fn saw_rotating(events: &[ApplyEvent]) -> bool {
    progress_messages(events)
        .iter()
        .any(|m| m.contains("ROTATING"))
}

#[tokio::test]
async fn prod_payments_rotates_to_a_new_key_through_rotating_to_enabled_and_keeps_the_old_one() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (_, before) = prod_payments_enabled(&conn).await;
    let old = uri_of(&before, "us-east4");
    let id = seed::SINGLE_REGION_CLUSTER_ID;

    let request = cmek_setup::suggest_rotation(&conn, id).await.unwrap();
    assert_eq!(request.project, seed::DEMO_PROJECT_ID);
    assert!(
        request.crypto_key.starts_with("crdb-5c4d3e2f1a0b-20"),
        "{request:?}"
    );
    let plan = cmek_setup::plan_rotation(&conn, request).await.unwrap();
    let PlanChange::Rotation(rotation) = &plan.change else {
        panic!("{:?}", plan.change)
    };
    assert_eq!(rotation.changed_regions, vec!["us-east4"]);
    assert_eq!(plan.keys.len(), 1);
    assert!(!plan.keys[0].exists && plan.keys[0].location == "us-east4");
    let new = plan.keys[0].name.clone();
    assert_eq!(
        plan.service_account_email,
        before.region_infos[0].key_infos[0].spec.auth_principal
    );

    sb.clear_requests();
    let (result, events) = apply(&conn, &plan).await;
    let result = result.unwrap_or_else(|e| panic!("rotation failed: {e:?}\n{events:#?}"));
    assert!(saw_rotating(&events), "{events:#?}");
    assert_eq!(result.cmek.status, "ENABLED");
    let region = result.cmek.region("us-east4").unwrap();
    assert_eq!(region.status, "ENABLED");
    assert_eq!(uri_of(&result.cmek, "us-east4"), new);
    assert!(
        region.key_infos.iter().any(|k| k.spec.uri == old),
        "CockroachDB keeps the old key in its history: {region:#?}"
    );
    // What was written: the key ring (adopted), the key, the grant, then one PUT.
    let ops: Vec<String> = writes(&sb).into_iter().map(|(op, _)| op).collect();
    assert_eq!(
        ops.last().map(String::as_str),
        Some("CockroachCloud_UpdateCMEKSpec"),
        "{ops:#?}"
    );
    assert!(
        !ops.iter()
            .any(|o| o.contains("serviceAccounts.create") || o == "CockroachCloud_EnableCMEKSpec"),
        "{ops:#?}"
    );
    let put = writes(&sb)
        .into_iter()
        .find(|(op, _)| op.ends_with("UpdateCMEKSpec"))
        .unwrap()
        .1;
    assert_eq!(put["region_specs"].as_array().unwrap().len(), 1);
    assert_eq!(
        put["region_specs"][0]["key_spec"]["uri"],
        serde_json::json!(new)
    );
    // The old key is untouched: it exists and its primary version is still ENABLED.
    let old_key = sb.crypto_key(&old).expect("the old key is kept");
    assert_eq!(old_key["primary"]["state"], "ENABLED");
    let grant = sb.iam_policy(&new).to_string();
    assert!(
        grant.contains(ROLE_ENCRYPTER_DECRYPTER)
            && grant.contains(&service_account_member(&plan.service_account_email))
    );

    // Re-planned and re-applied: nothing left to do, nothing written.
    let again = cmek_setup::replan(&conn, &plan).await.unwrap();
    assert!(
        again.steps.iter().skip(2).all(|s| s.already_done),
        "{:#?}",
        again.steps
    );
    sb.clear_requests();
    let (second, events) = apply(&conn, &again).await;
    assert_eq!(second.unwrap().write_calls, 0);
    assert!(writes(&sb).is_empty());
    assert_eq!(
        outcome_of(&events, "updateCmek"),
        Some(StepOutcome::Unchanged)
    );
}

#[tokio::test]
async fn global_ledger_rotates_its_three_regions_to_new_regional_keys() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (_, before) = global_ledger_enabled(&conn).await;
    let request = RotationRequest {
        cluster_id: seed::MULTI_REGION_CLUSTER_ID.into(),
        project: seed::DEMO_PROJECT_ID.into(),
        key_ring: "ledger-2026".into(),
        crypto_key: "ledger".into(),
        layout: None,
        protection_level: cmek_core::plan::ProtectionLevel::Software,
        rotation_period_days: Some(30.into()),
    };
    let plan = cmek_setup::plan_rotation(&conn, request).await.unwrap();
    assert_eq!(plan.keys.len(), 3, "a key per region, as now");
    for k in &plan.keys {
        assert_eq!(k.regions, vec![k.location.clone()]);
        assert!(k
            .name
            .ends_with(&format!("/cryptoKeys/ledger-{}", k.location)));
    }
    sb.clear_requests();
    let (result, events) = apply(&conn, &plan).await;
    let result = result.unwrap_or_else(|e| panic!("rotation failed: {e:?}\n{events:#?}"));
    assert!(saw_rotating(&events));
    for r in seed::MULTI_REGION_REGIONS {
        let info = result.cmek.region(r).unwrap();
        assert_eq!(info.status, "ENABLED", "{r}");
        assert!(uri_of(&result.cmek, r).ends_with(&format!("/cryptoKeys/ledger-{r}")));
        let old = uri_of(&before, r);
        assert!(info.key_infos.iter().any(|k| k.spec.uri == old), "{r}");
        assert_eq!(sb.crypto_key(&old).unwrap()["primary"]["state"], "ENABLED");
    }
    let puts: Vec<_> = writes(&sb)
        .into_iter()
        .filter(|(op, _)| op.ends_with("UpdateCMEKSpec"))
        .collect();
    assert_eq!(puts.len(), 1, "one PUT for the three regions");
    assert_eq!(puts[0].1["region_specs"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_rotation_cockroachdb_cannot_use_ends_rotate_failed_with_its_message_and_can_be_retried()
{
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (_, before) = prod_payments_enabled(&conn).await;
    let id = seed::SINGLE_REGION_CLUSTER_ID;
    let mut request = cmek_setup::suggest_rotation(&conn, id).await.unwrap();
    request.crypto_key = "payments-broken".into();
    let plan = cmek_setup::plan_rotation(&conn, request.clone())
        .await
        .unwrap();
    let new = plan.keys[0].name.clone();
    let member = service_account_member(&plan.service_account_email);
    // Someone removes the new key's grant right after CockroachDB accepted the PUT.
    let sink = {
        let (new, member) = (new.clone(), member.clone());
        let sb = &sb;
        move |e: ApplyEvent| {
            if let ApplyEvent::StepFinished { step_id, .. } = &e {
                if step_id.starts_with("updateCmek") {
                    sb.with_state(|s| {
                        s.remove_binding_direct(&new, ROLE_ENCRYPTER_DECRYPTER, &member)
                    });
                }
            }
        }
    };
    let e = cmek_setup::apply(&conn, &plan, &Default::default(), &sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::CmekFailed, "{e:?}");
    assert!(
        e.message.contains("ROTATE_FAILED")
            && e.message
                .contains("lacks roles/cloudkms.cryptoKeyEncrypterDecrypter"),
        "{}",
        e.message
    );
    let info = cmek_setup::cmek_status(&conn, id).await.unwrap();
    assert_eq!(info.status, "ROTATE_FAILED");
    let actions = cmek_setup::allowed_actions(&conn, id).await.unwrap();
    assert!(actions
        .iter()
        .any(|a| a.action == cmek_core::lifecycle::CmekAction::Rotate && a.allowed));

    // The fix is the plan's own grant: rotating again re-grants and re-sends the key.
    let retry = cmek_setup::plan_rotation(&conn, request).await.unwrap();
    let PlanChange::Rotation(r) = &retry.change else {
        panic!()
    };
    assert_eq!(
        r.changed_regions,
        vec!["us-east4"],
        "a failed region is sent again"
    );
    let (result, events) = apply(&conn, &retry).await;
    let result = result.unwrap_or_else(|e| panic!("retry failed: {e:?}\n{events:#?}"));
    assert_eq!(uri_of(&result.cmek, "us-east4"), new);
    assert_eq!(result.cmek.status, "ENABLED");
    assert!(result
        .cmek
        .region("us-east4")
        .unwrap()
        .key_infos
        .iter()
        .any(|k| k.spec.uri == uri_of(&before, "us-east4")));
}
