//! Key-level emergency actions against the sandbox: B04 (already disabled / scheduled versions
//! are skipped and listed), B24 (every enabled version disabled one by one, 429 retried,
//! resumable after a stop), B25 (restore shows the deadline and returns DISABLED, then
//! ENABLED; destruction refused while CockroachDB shows the key in current or past key_infos).

mod common;
use cmek_core::iam::{service_account_member, Grant, ROLE_ENCRYPTER_DECRYPTER};
use cmek_core::kms::CryptoKey;
use cmek_core::ErrorCode;
use cmek_revoke::{
    destroy_guard, disable_all_versions, preview_key, restore_scheduled_versions, RevokeControl,
    RevokeEvent, VersionOutcome,
};
use cmek_sandbox::{seed, Fault};
use common::*;
use serde_json::json;
use std::sync::atomic::Ordering;

/// KEY gets versions: 1 ENABLED, 2 DISABLED, 3 DESTROY_SCHEDULED, 4 ENABLED.
async fn versions(env: &Env) {
    let kms = &env.ctx.google.kms;
    for _ in 0..3 {
        kms.create_version(KEY).await.unwrap();
    }
    kms.set_version_state(&format!("{KEY}/cryptoKeyVersions/2"), "DISABLED")
        .await
        .unwrap();
    kms.destroy_version(&format!("{KEY}/cryptoKeyVersions/3"))
        .await
        .unwrap();
}

fn states(env: &Env) -> Vec<String> {
    env.sb
        .with_state(|s| s.crypto_key_versions(KEY))
        .iter()
        .map(|v| v["state"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn b04_b24_disable_all_versions_skips_what_is_not_enabled_retries_429_and_resumes() {
    let env = env("disable").await;
    provision_shared(&env.ctx).await;
    versions(&env).await;
    let p = preview_key(&env.ctx, KEY).await.unwrap();
    assert_eq!(p.confirm_text, "shared-key");
    assert_eq!(p.to_disable.len(), 2);
    assert_eq!(
        p.skipped
            .iter()
            .map(|v| v.state.as_str())
            .collect::<Vec<_>>(),
        vec!["DISABLED", "DESTROY_SCHEDULED"]
    );

    let control = RevokeControl::default();
    let e = disable_all_versions(&env.ctx, &env.log, KEY, "shared", &control, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::InvalidInput,
        "typed confirmation is the key id"
    );

    env.sb.inject_fault(Fault {
        operation: "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.patch".into(),
        status: 429,
        body: json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded for quota metric 'Write requests'"}}),
        times: 1,
        retry_after_secs: Some(0),
    });
    // Stop after the first version is done: the run reports it was cancelled.
    let cancel = control.cancel.clone();
    let sink = move |e: RevokeEvent| {
        if let RevokeEvent::VersionDone { result } = e {
            if result.outcome == VersionOutcome::Disabled {
                cancel.store(true, Ordering::SeqCst);
            }
        }
    };
    let first = disable_all_versions(&env.ctx, &env.log, KEY, "shared-key", &control, &sink)
        .await
        .unwrap();
    assert!(first.cancelled);
    assert_eq!(
        first.results.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        vec![
            VersionOutcome::Disabled,
            VersionOutcome::Skipped,
            VersionOutcome::Skipped
        ]
    );
    assert_eq!(
        first.results[2].reason.as_deref(),
        Some("already DESTROY_SCHEDULED")
    );
    assert!(
        env.sb.requests().iter().any(|r| r.status == 429),
        "the 429 happened and was retried"
    );
    assert_eq!(
        states(&env),
        vec!["DISABLED", "DISABLED", "DESTROY_SCHEDULED", "ENABLED"]
    );

    // Resume: a second run finishes, skipping what is done.
    let second = disable_all_versions(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(!second.cancelled);
    let outcomes: Vec<_> = second.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            VersionOutcome::Skipped,
            VersionOutcome::Skipped,
            VersionOutcome::Skipped,
            VersionOutcome::Disabled
        ]
    );
    assert_eq!(
        states(&env),
        vec!["DISABLED", "DISABLED", "DESTROY_SCHEDULED", "DISABLED"]
    );
    assert_eq!(
        second
            .observed_versions
            .iter()
            .map(|v| v.state.clone())
            .collect::<Vec<_>>(),
        states(&env),
        "B05: re-read"
    );
    let intents = env
        .log
        .entries()
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.action == "key.disable_versions" && e.kind == cmek_activity::EntryKind::Intent
        })
        .count();
    assert_eq!(intents, 2, "one intent per version write");
}

#[tokio::test]
async fn b25_restore_shows_the_deadline_and_returns_the_version_disabled_then_enabled() {
    let env = env("restore").await;
    provision_shared(&env.ctx).await;
    versions(&env).await;
    let p = preview_key(&env.ctx, KEY).await.unwrap();
    assert_eq!(p.destroy_scheduled_duration.as_deref(), Some("2592000s"));
    assert_eq!(p.restorable.len(), 1);
    assert!(
        p.restorable[0].destroy_time.is_some(),
        "the restore deadline is shown"
    );
    env.sb.clear_requests();
    let r = restore_scheduled_versions(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        true,
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap();
    let done: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.outcome == VersionOutcome::Restored)
        .collect();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].state_before.as_str(), done[0].state_after.as_str()),
        ("DESTROY_SCHEDULED", "ENABLED")
    );
    let writes: Vec<String> = env
        .sb
        .requests()
        .into_iter()
        .filter(|r| r.is_write)
        .map(|r| r.operation.rsplit('.').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        writes,
        vec!["restore", "patch"],
        "restore returns DISABLED; enabling is a second call"
    );
    assert_eq!(states(&env)[2], "ENABLED");
}

#[tokio::test]
async fn destruction_is_refused_for_keys_cockroachdb_uses_now_or_used_in_the_past() {
    let env = env("guard").await;
    provision_shared(&env.ctx).await;
    assert!(
        destroy_guard(&env.ctx, seed::EXISTING_KEY)
            .await
            .unwrap()
            .allowed
    );
    let now = destroy_guard(&env.ctx, KEY).await.unwrap();
    assert!(!now.allowed);
    assert!(now.refusal.unwrap().contains("prod-payments"));

    // Rotate both clusters to a new key: the old one stays only in past key_infos.
    let g = &env.ctx.google;
    let ring = format!("projects/{P}/locations/global/keyRings/shared-ring");
    g.kms
        .create_crypto_key(
            &ring,
            "next-key",
            &CryptoKey {
                purpose: Some("ENCRYPT_DECRYPT".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let next = format!("{ring}/cryptoKeys/next-key");
    cmek_gcp::edit_policy(
        g,
        &cmek_gcp::PolicyTarget::Kms(next.clone()),
        &[Grant::new(
            ROLE_ENCRYPTER_DECRYPTER,
            service_account_member(SA),
        )],
        &[],
    )
    .await
    .unwrap();
    env.ctx
        .cockroach
        .update_cmek(A, &[spec("us-east4", &next)])
        .await
        .unwrap();
    settle(&env.ctx, A, "ENABLED").await;
    let specs: Vec<_> = seed::MULTI_REGION_REGIONS
        .iter()
        .map(|r| spec(r, &next))
        .collect();
    env.ctx.cockroach.update_cmek(B, &specs).await.unwrap();
    settle(&env.ctx, B, "ENABLED").await;
    let past = destroy_guard(&env.ctx, KEY).await.unwrap();
    assert!(
        !past.allowed,
        "a key in any past key_infos is never offered for destruction"
    );
    assert!(
        past.in_use_by.iter().all(|u| !u.current),
        "{:#?}",
        past.in_use_by
    );
    assert_eq!(
        past.in_use_by.len(),
        4,
        "one past use per region of both clusters"
    );
}
