//! Revocation and recovery of an AWS cluster through the application core, against the
//! in-process sandbox: the sandbox's AWS cluster set up by the AWS setup use case, then
//! `preview_revoke` offers the AWS levers only, `revoke_cluster` (key-policy lever) reaches
//! REVOKED and `recover_revoke` restores the key policy exactly.

mod scan_kept;

use cmek_core::plan::ApplyEvent;
use cmek_core::ErrorCode;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use cmek_revoke::{Lever, RevokeEvent, RevokeRequest};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use std::sync::Arc;
use std::time::Duration;

fn ignore(_: ApplyEvent) {}
fn quiet(_: RevokeEvent) {}

#[tokio::test]
async fn an_aws_cluster_is_revoked_with_an_aws_lever_and_recovered_exactly() {
    let dir = scan_kept::kept_tempdir();
    let desk = Desk::new(Session::new(
        Settings::from_pairs(vec![(
            "CMEK_DESK_DATA_DIR".to_owned(),
            dir.path().display().to_string(),
        )]),
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ));
    desk.connect_sandbox().await.expect("sandbox connects");
    {
        let slot = desk.sandbox.lock().await;
        let h = slot.as_ref().unwrap();
        h.set_cmek_transition(Duration::ZERO, 0);
        h.set_aws_iam_propagation(Duration::ZERO);
    }
    let request = desk.suggest_aws_setup(AWS_CLUSTER_ID).await.unwrap();
    let plan = desk.plan_aws_setup(request).await.unwrap();
    let applied = desk.apply_aws_setup(&plan.plan_id, &ignore).await.unwrap();
    assert_eq!(applied.cmek.status, "ENABLED");

    let preview = desk.preview_revoke(AWS_CLUSTER_ID).await.unwrap();
    let levers: Vec<Lever> = preview.levers.iter().map(|l| l.lever).collect();
    assert_eq!(levers, vec![Lever::KeyPolicyStatement, Lever::RoleTrust]);
    let key = preview.keys[0].clone();
    let policy_before = {
        let slot = desk.sandbox.lock().await;
        slot.as_ref().unwrap().aws_key_policy(&key).unwrap()
    };

    let wrong = RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever: Lever::KeyPolicyStatement,
        confirm_name: "not-the-name".into(),
    };
    let err = desk.revoke_cluster(&wrong, &quiet).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);

    let req = RevokeRequest {
        confirm_name: preview.confirm_text.clone(),
        ..wrong
    };
    let report = desk.revoke_cluster(&req, &quiet).await.unwrap();
    assert_eq!(report.cmek_status, "REVOKED");
    assert!(report.aws.as_ref().unwrap().problems.is_empty());

    let rec = desk
        .recover_revoke(&report.operation_id, &quiet)
        .await
        .unwrap();
    assert!(rec.verified, "{rec:#?}");
    assert!(rec.support_request.is_some());
    let policy_after = {
        let slot = desk.sandbox.lock().await;
        slot.as_ref().unwrap().aws_key_policy(&key).unwrap()
    };
    let parse = |t: &str| cmek_core::aws::policy::PolicyDocument::parse("policy", t).unwrap();
    assert_eq!(parse(&policy_after), parse(&policy_before));
}
