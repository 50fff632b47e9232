//! Revoke and recover end to end over HTTP against the sandbox: exact restoration (conditional
//! binding, another writer in between), blast radius of a shared key, lever reach in
//! CockroachDB's simulation, B05 observed state, B42 both halves, typed confirmation, no secret.

mod common;
use cmek_core::iam::{Grant, ROLE_TOKEN_CREATOR};
use cmek_core::ErrorCode;
use cmek_revoke::{
    preview_revoke, recover, revoke, Lever, RevokeControl, RevokeEvent, RevokeRequest, RevokeStep,
    StepStatus,
};
use common::*;
use serde_json::json;

fn req(lever: Lever) -> RevokeRequest {
    RevokeRequest {
        cluster_id: A.into(),
        lever,
        confirm_name: A_NAME.into(),
    }
}

#[tokio::test]
async fn revoke_then_recover_restores_exact_bindings_including_a_conditional_one_and_another_writers(
) {
    let env = env("exact").await;
    provision_shared(&env.ctx).await;
    // A conditional Token Creator grant for A's principal, and an unrelated conditional binding.
    let mut p = env.sb.iam_policy(&sa_resource());
    p["bindings"].as_array_mut().unwrap().push(json!({"role": ROLE_TOKEN_CREATOR, "members": [principal(A)],
        "condition": {"title": "business hours", "expression": "request.time.getHours('UTC') < 18"}}));
    p["bindings"].as_array_mut().unwrap().push(json!({"role": "roles/iam.serviceAccountUser", "members": ["user:ops@example.com"],
        "condition": {"title": "until 2030", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}}));
    env.sb.set_iam_policy_direct(&sa_resource(), p);
    let sa_before = grant_set(&env.sb.iam_policy(&sa_resource()));
    let key_before = grant_set(&env.sb.iam_policy(KEY));

    let (events, sink) = collector();
    let report = revoke(
        &env.ctx,
        &env.log,
        &req(Lever::TokenCreator),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(report.cmek_status, "REVOKED");
    assert_eq!(
        report.removed[0].grants.len(),
        2,
        "unconditional and conditional grant: {:?}",
        report.removed
    );
    assert!(report.still_present.is_empty());
    let sa_after = grant_set(&env.sb.iam_policy(&sa_resource()));
    assert_eq!(sa_after.len(), sa_before.len() - 2);
    assert!(
        !sa_after.iter().any(|g| g.contains(&principal(A))),
        "{sa_after:?}"
    );
    assert_eq!(
        grant_set(&env.sb.iam_policy(KEY)),
        key_before,
        "lever 1 never touches the key"
    );
    let steps: Vec<RevokeStep> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            RevokeEvent::StepFinished {
                step,
                status: StepStatus::Done,
                ..
            } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            RevokeStep::Snapshot,
            RevokeStep::RemoveAccess,
            RevokeStep::CallRevoke,
            RevokeStep::WaitRevoked,
            RevokeStep::Verify
        ]
    );

    // Another writer adds a binding in between; recovery keeps it.
    env.sb.with_state(|s| {
        s.add_binding_direct(
            &sa_resource(),
            "roles/iam.serviceAccountViewer",
            "user:auditor@example.com",
        )
    });
    // Recovery survives a restart: a fresh handle on the same database file.
    let log = cmek_activity::ActivityLog::open_in(&env.dir).unwrap();
    let (_, sink) = collector();
    let rec = recover(&env.ctx, &log, &report.operation_id, &sink)
        .await
        .unwrap();
    assert!(rec.verified, "{rec:#?}");
    let mut want = sa_before.clone();
    want.push(
        serde_json::to_string(&Grant::new(
            "roles/iam.serviceAccountViewer",
            "user:auditor@example.com",
        ))
        .unwrap(),
    );
    want.sort();
    assert_eq!(grant_set(&env.sb.iam_policy(&sa_resource())), want);
    assert_eq!(grant_set(&env.sb.iam_policy(KEY)), key_before);
    let support = rec
        .support_request
        .expect("REVOKE was accepted, so nodes need support");
    assert_eq!(support.cluster_id, A);
    assert_eq!(support.organization_id, cmek_sandbox::seed::ORG_ID);
    assert_eq!(support.regions, vec!["us-east4"]);
    assert_eq!(Some(support.revoked_at.clone()), report.revoked_at);
    for s in [
        A,
        cmek_sandbox::seed::ORG_ID,
        "us-east4",
        &support.revoked_at,
        &support.restored_at,
    ] {
        assert!(
            support.body.contains(s),
            "{s} missing from {}",
            support.body
        );
    }
}

#[tokio::test]
async fn a_key_shared_by_two_clusters_shows_both_in_the_confirmation() {
    let env = env("shared").await;
    provision_shared(&env.ctx).await;
    let p = preview_revoke(&env.ctx, A).await.unwrap();
    assert_eq!(p.confirm_text, A_NAME);
    assert_eq!(p.regions, vec!["us-east4"]);
    assert_eq!(p.keys, vec![KEY]);
    assert_eq!(p.service_accounts, vec![SA]);
    assert_eq!(p.sharing.len(), 1, "{:#?}", p.sharing);
    let b = &p.sharing[0];
    assert_eq!(b.cluster_id, B);
    assert_eq!(b.shared_keys, vec![KEY]);
    assert!(b.shares_service_account && b.holds_token_creator);
    assert_eq!(
        b.cut_off_by,
        vec![Lever::EncrypterDecrypter, Lever::DisableServiceAccount]
    );
    let lever = |l: Lever| p.levers.iter().find(|x| x.lever == l).unwrap().clone();
    assert!(lever(Lever::TokenCreator).is_default);
    assert_eq!(lever(Lever::TokenCreator).affected_clusters, vec![A]);
    assert_eq!(
        lever(Lever::EncrypterDecrypter).affected_clusters,
        vec![A, B]
    );
    assert_eq!(
        lever(Lever::DisableServiceAccount).affected_clusters,
        vec![A, B]
    );
    assert_eq!(lever(Lever::DisableServiceAccount).typical_delay_secs, 0);
    assert_eq!(
        lever(Lever::TokenCreator).removals[0].grants,
        vec![Grant::new(ROLE_TOKEN_CREATOR, principal(A))]
    );
}

#[tokio::test]
async fn lever_token_creator_leaves_the_other_cluster_enabled_in_cockroachdb() {
    let env = env("lever1").await;
    provision_shared(&env.ctx).await;
    let (_, sink) = collector();
    revoke(
        &env.ctx,
        &env.log,
        &req(Lever::TokenCreator),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    assert!(env.sb.recheck_key_access(B).iter().all(|(_, ok)| *ok));
    let info = env.ctx.cockroach.get_cmek(B).await.unwrap().unwrap();
    assert_eq!(info.status, "ENABLED");
    assert!(
        info.region_infos
            .iter()
            .all(|r| r.current().unwrap().user_message.is_empty()),
        "{info:#?}"
    );
}

#[tokio::test]
async fn lever_encrypter_decrypter_cuts_off_the_other_cluster_which_recovery_cannot_heal_alone() {
    let env = env("lever2").await;
    provision_shared(&env.ctx).await;
    let (_, sink) = collector();
    let r = revoke(
        &env.ctx,
        &env.log,
        &req(Lever::EncrypterDecrypter),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(r.cmek_status, "REVOKED");
    assert!(env.sb.recheck_key_access(B).iter().all(|(_, ok)| !*ok));
    let info = env.ctx.cockroach.get_cmek(B).await.unwrap().unwrap();
    assert_eq!(
        info.status, "REVOKED",
        "lever (2) does not leave the other cluster ENABLED"
    );
    for region in &info.region_infos {
        assert_eq!(region.status, "REVOKED");
        let msg = &region.current().unwrap().user_message;
        assert!(msg.starts_with(cmek_sandbox::KEY_ACCESS_FAILING), "{msg}");
    }
    recover(&env.ctx, &env.log, &r.operation_id, &sink)
        .await
        .unwrap();
    // Access is back for both clusters, but CockroachDB's nodes need support to recover.
    let rechecked = env.sb.recheck_key_access(B);
    assert!(
        !rechecked.is_empty() && rechecked.iter().all(|(_, ok)| *ok),
        "{rechecked:?}"
    );
    let info = env.ctx.cockroach.get_cmek(B).await.unwrap().unwrap();
    assert_eq!(info.status, "REVOKED");
    assert!(info
        .region_infos
        .iter()
        .all(|r| r.current().unwrap().user_message == cmek_sandbox::KEY_ACCESS_RESTORED));
}

#[tokio::test]
async fn disabling_the_service_account_is_undone_by_recovery() {
    let env = env("lever3").await;
    provision_shared(&env.ctx).await;
    let (_, sink) = collector();
    let r = revoke(
        &env.ctx,
        &env.log,
        &req(Lever::DisableServiceAccount),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    assert!(r.observed.service_account(SA).unwrap().disabled);
    assert_eq!(env.sb.service_account(SA).unwrap()["disabled"], json!(true));
    let rec = recover(&env.ctx, &env.log, &r.operation_id, &sink)
        .await
        .unwrap();
    assert_eq!(rec.reenabled_service_accounts, vec![SA]);
    assert!(env
        .sb
        .service_account(SA)
        .unwrap()
        .get("disabled")
        .is_none_or(|d| d == &json!(false)));
}

#[tokio::test]
async fn b42_one_click_revoke_removes_access_and_calls_revoke_but_never_touches_the_key() {
    let env = env("b42").await;
    provision_shared(&env.ctx).await;
    env.sb.clear_requests();
    let (_, sink) = collector();
    let r = revoke(
        &env.ctx,
        &env.log,
        &req(Lever::TokenCreator),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    let ops: Vec<String> = env
        .sb
        .requests()
        .into_iter()
        .filter(|r| r.is_write)
        .map(|r| r.operation)
        .collect();
    assert_eq!(
        ops,
        vec![
            "iam.projects.serviceAccounts.setIamPolicy",
            "CockroachCloud_UpdateCMEKStatus"
        ]
    );
    assert_eq!(r.cmek_status, "REVOKED");
    assert!(r.note.contains("support"));
}

#[tokio::test]
async fn b05_the_report_shows_the_observed_state_not_the_intended_one() {
    let env = env("b05").await;
    provision_shared(&env.ctx).await;
    // Another writer puts the grant back right when REVOKE is sent.
    let (res, member) = (sa_resource(), principal(A));
    env.sb.before_next(
        "CockroachCloud_UpdateCMEKStatus",
        Box::new(move |s| {
            s.add_binding_direct(&res, ROLE_TOKEN_CREATOR, &member);
        }),
    );
    let (_, sink) = collector();
    let r = revoke(
        &env.ctx,
        &env.log,
        &req(Lever::TokenCreator),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(
        r.still_present,
        vec![Grant::new(ROLE_TOKEN_CREATOR, principal(A))]
    );
    assert!(r.observed.has(&r.removed[0].resource, &r.still_present[0]));
}

#[tokio::test]
async fn a_wrong_confirmation_changes_and_logs_nothing() {
    let env = env("confirm").await;
    provision_shared(&env.ctx).await;
    env.sb.clear_requests();
    let (_, sink) = collector();
    let bad = RevokeRequest {
        confirm_name: "prod".into(),
        ..req(Lever::TokenCreator)
    };
    let e = revoke(&env.ctx, &env.log, &bad, &RevokeControl::default(), &sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(env.sb.write_count(), 0);
    assert!(env.log.entries().unwrap().is_empty());
}

#[tokio::test]
async fn the_activity_database_never_contains_a_secret() {
    let env = env("secrets").await;
    provision_shared(&env.ctx).await;
    let (_, sink) = collector();
    env.log
        .record_event(
            DEFAULT_ACTOR,
            "sign_in",
            DEFAULT_ACTOR,
            "Signed in",
            &json!({"mode": "sandbox"}),
        )
        .unwrap();
    let r = revoke(
        &env.ctx,
        &env.log,
        &req(Lever::DisableServiceAccount),
        &RevokeControl::default(),
        &sink,
    )
    .await
    .unwrap();
    recover(&env.ctx, &env.log, &r.operation_id, &sink)
        .await
        .unwrap();
    let entries = env.log.entries().unwrap();
    assert!(entries
        .iter()
        .any(|e| e.action == "revoke.call_revoke" && e.kind == cmek_activity::EntryKind::Intent));
    assert!(entries.iter().all(|e| e.actor == DEFAULT_ACTOR));
    let mut bytes = Vec::new();
    for f in std::fs::read_dir(&env.dir).unwrap() {
        bytes.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    assert!(bytes.len() > 4096);
    let hay = String::from_utf8_lossy(&bytes);
    assert!(
        hay.contains("revoke.remove_access") || hay.contains("revoke.disable_service_account"),
        "the scan reads the real data"
    );
    for secret in [
        cmek_sandbox::DEFAULT_GOOGLE_TOKEN,
        cmek_sandbox::DEFAULT_COCKROACH_KEY,
    ] {
        assert!(
            !hay.contains(secret),
            "{secret} found in the activity database"
        );
    }
}

const DEFAULT_ACTOR: &str = cmek_sandbox::DEFAULT_GOOGLE_MEMBER;
