//! Field reports (shared/reference/field-reports.md) as tests against the sandbox over HTTP.
//! Each test is named after its row.

mod common;
use cmek_core::plan::{KeyLayout, StepOutcome};
use cmek_core::ErrorCode;
use cmek_sandbox::{seed, SandboxConfig};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const KEY_SET_IAM: &str = "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy";

/// The single-region request pointed at the seeded `existing-ring/existing-key` in us-east4.
async fn existing_key_request(conn: &cmek_setup::Connection) -> cmek_core::plan::SetupRequest {
    let mut req = single_region_request(conn).await;
    req.key_ring = "existing-ring".into();
    req.crypto_key = "existing-key".into();
    req.layout = KeyLayout::SingleKey {
        location: "us-east4".into(),
    };
    req
}

#[tokio::test]
async fn b01_an_existing_key_is_shown_and_adopted_never_reported_as_created() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let plan = cmek_setup::plan(&conn, existing_key_request(&conn).await)
        .await
        .unwrap();
    assert!(plan.keys[0].exists);
    assert_eq!(plan.keys[0].primary_state.as_deref(), Some("ENABLED"));
    assert!(
        plan.warnings.iter().any(|w| w.contains("adopted")),
        "{:?}",
        plan.warnings
    );
    let (r, events) = apply(&conn, &plan).await;
    r.unwrap();
    assert_eq!(
        outcome_of(&events, "createCryptoKey"),
        Some(StepOutcome::Adopted)
    );
    assert!(
        ops(&sb, "cryptoKeys.create").is_empty(),
        "no create call for an existing key"
    );
}

#[tokio::test]
async fn b02_a_409_on_key_ring_creation_is_handled_as_exists() {
    let (_sb, conn, plan) = single_region_plan().await;
    // Another tool creates the ring between our check and our create.
    let ring = plan.key_ring_names[0].clone();
    let (parent, id) = ring.rsplit_once("/keyRings/").unwrap();
    conn.google.kms.create_key_ring(parent, id).await.unwrap();
    let (r, events) = apply(&conn, &plan).await;
    r.unwrap();
    assert_eq!(
        outcome_of(&events, "createKeyRing"),
        Some(StepOutcome::Adopted)
    );
}

#[tokio::test]
async fn b06_not_visible_yet_on_a_key_we_just_created_is_retried() {
    let (sb, conn, plan) = single_region_plan().await;
    sb.inject_fault(fault(
        "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy",
        403,
        json!({"error": {"code": 403, "message": format!("Permission 'cloudkms.cryptoKeys.getIamPolicy' denied on resource '{}' (or it may not exist).", plan.keys[0].name), "status": "PERMISSION_DENIED"}}),
        2,
    ));
    let (r, events) = apply(&conn, &plan).await;
    r.unwrap_or_else(|e| panic!("{e:?}"));
    assert!(progress_messages(&events)
        .iter()
        .any(|m| m.contains("not visible to IAM yet")));
}

#[tokio::test]
async fn b06_the_same_error_on_a_resource_we_did_not_create_is_not_retried() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let plan = cmek_setup::plan(&conn, existing_key_request(&conn).await)
        .await
        .unwrap();
    sb.inject_fault(fault(
        "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy",
        403,
        json!({"error": {"code": 403, "message": "Permission 'cloudkms.cryptoKeys.getIamPolicy' denied on resource 'k' (or it may not exist).", "status": "PERMISSION_DENIED"}}),
        1,
    ));
    let e = apply(&conn, &plan).await.0.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(
        e.permission.as_deref(),
        Some("cloudkms.cryptoKeys.getIamPolicy")
    );
}

#[tokio::test]
async fn b07_a_new_service_account_is_polled_until_google_shows_it() {
    let sb = start(SandboxConfig::for_tests().with_sa_get_not_found_after_create(2)).await;
    let conn = connect(&sb).await;
    let (r, events) = plan_and_apply(&conn, single_region_request(&conn).await).await;
    r.unwrap_or_else(|e| panic!("{e:?}"));
    assert!(progress_messages(&events)
        .iter()
        .any(|m| m.contains("to become visible")));
    let gets: Vec<_> = ops(&sb, "serviceAccounts.get")
        .into_iter()
        .filter(|r| r.status == 404)
        .collect();
    assert!(
        gets.len() >= 2,
        "the 404s after create were seen and waited out"
    );
}

#[tokio::test]
async fn b09_enable_is_retried_while_iam_propagates_with_visible_progress() {
    let sb =
        start(SandboxConfig::for_tests().with_iam_propagation(Duration::from_millis(400))).await;
    let conn = connect(&sb).await;
    let (r, events) = plan_and_apply(&conn, single_region_request(&conn).await).await;
    let r = r.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.cmek.status, "ENABLED");
    let enable_calls = ops(&sb, "CockroachCloud_EnableCMEKSpec");
    assert!(
        enable_calls.len() >= 2,
        "first enable refused, then retried: {enable_calls:?}"
    );
    assert_eq!(enable_calls[0].status, 400);
    assert!(progress_messages(&events)
        .iter()
        .any(|m| m.contains("IAM changes take minutes")));
}

#[tokio::test]
async fn b09_after_the_window_a_permanent_permission_problem_is_reported() {
    let (sb, conn, plan) = single_region_plan().await;
    sb.inject_fault(fault(
        "CockroachCloud_EnableCMEKSpec",
        400,
        json!({"code": 3, "message": "invalid argument - returned while enabling CMEK - Insufficient permissions to access the KMS key"}),
        10_000,
    ));
    let mut conn = conn;
    conn.timing.iam_propagation = Duration::from_millis(300);
    let e = apply(&conn, &plan).await.0.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(
        e.message.contains("still cannot use the key")
            && e.message.contains("Insufficient permissions"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn b10_b11_a_concurrent_writer_is_kept_and_every_retry_rereads_the_etag() {
    let (sb, conn, plan) = single_region_plan().await;
    let key = plan.keys[0].name.clone();
    let other = "group:key-backup-admins@example.com";
    let k2 = key.clone();
    // Between our getIamPolicy and our setIamPolicy someone else grants a role on the key.
    sb.before_next(
        KEY_SET_IAM,
        Box::new(move |s| {
            s.add_binding_direct(&k2, "roles/cloudkms.viewer", other);
        }),
    );
    let (r, _) = apply(&conn, &plan).await;
    r.unwrap_or_else(|e| panic!("{e:?}"));
    let sets = ops(&sb, "cryptoKeys.setIamPolicy");
    assert_eq!(sets.len(), 2, "one 409, one success: {sets:#?}");
    assert_eq!(sets[0].status, 409);
    assert_eq!(sets[1].status, 200);
    let etag =
        |r: &cmek_sandbox::RecordedRequest| r.body["policy"]["etag"].as_str().map(str::to_owned);
    assert!(
        etag(&sets[0]).is_some() && etag(&sets[1]).is_some(),
        "never a write without an etag"
    );
    assert_ne!(
        etag(&sets[0]),
        etag(&sets[1]),
        "the retry carries the fresh etag"
    );
    let policy = sb.iam_policy(&key).to_string();
    assert!(
        policy.contains(other) && policy.contains("roles/cloudkms.cryptoKeyEncrypterDecrypter"),
        "{policy}"
    );
}

#[tokio::test]
async fn b12_existing_bindings_and_conditions_on_the_key_are_kept() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let before = json!({"version": 3, "bindings": [
        {"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": ["domain:example.com"]},
        {"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["user:oncall@example.com"],
         "condition": {"title": "break-glass", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}}
    ]});
    sb.set_iam_policy_direct(seed::EXISTING_KEY, before);
    let plan = cmek_setup::plan(&conn, existing_key_request(&conn).await)
        .await
        .unwrap();
    let change = plan
        .iam_changes
        .iter()
        .find(|c| c.resource == seed::EXISTING_KEY)
        .unwrap();
    assert_eq!(change.before.len(), 2);
    assert_eq!(
        change.after.len(),
        3,
        "after = before + ours, nothing removed"
    );
    apply(&conn, &plan).await.0.unwrap();
    let after: Value = sb.iam_policy(seed::EXISTING_KEY);
    let text = after.to_string();
    assert!(
        text.contains("domain:example.com")
            && text.contains("break-glass")
            && text.contains("oncall@example.com"),
        "{text}"
    );
    assert!(text.contains(&plan.service_account_email));
}

#[tokio::test]
async fn b19_apis_are_enabled_first_and_rotation_is_validated_locally() {
    let sb = sandbox().await;
    sb.set_service_enabled(seed::DEMO_PROJECT_ID, "cloudkms.googleapis.com", false);
    let conn = connect(&sb).await;
    let req = single_region_request(&conn).await;
    let plan = cmek_setup::plan(&conn, req.clone()).await.unwrap();
    let step = plan
        .steps
        .iter()
        .find(|s| s.kind == cmek_core::plan::StepKind::EnableApis)
        .unwrap();
    assert!(!step.already_done, "the plan sees the disabled API");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("cloudkms.googleapis.com is disabled")),
        "{:?}",
        plan.warnings
    );
    let (r, events) = apply(&conn, &plan).await;
    r.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(outcome_of(&events, "enableApis"), Some(StepOutcome::Done));
    assert_eq!(ops(&sb, "services.enable").len(), 1);

    sb.clear_requests();
    let bad = cmek_core::plan::SetupRequest {
        rotation_period_days: Some(0.into()),
        ..req
    };
    let e = cmek_setup::plan(&conn, bad).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message
            .starts_with("Rotation period (days): 0 days is too short")
            && e.resource.as_deref() == Some("rotation_period_days"),
        "{}",
        e.message
    );
    assert!(
        sb.requests().is_empty(),
        "nothing was sent for invalid input"
    );
}

#[tokio::test]
async fn b20_rotation_is_sent_as_seconds_with_next_rotation_time() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    plan_and_apply(&conn, single_region_request(&conn).await)
        .await
        .0
        .unwrap();
    let create = &ops(&sb, "cryptoKeys.create")[0];
    assert_eq!(create.body["rotationPeriod"], json!("7776000s"));
    let next = create.body["nextRotationTime"]
        .as_str()
        .expect("nextRotationTime sent with rotationPeriod");
    assert!(
        next.ends_with('Z') && next.len() == 20,
        "RFC 3339 UTC seconds: {next}"
    );
}

#[tokio::test]
async fn b23_a_key_without_primary_gets_one_promoted_explicitly() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let mut req = single_region_request(&conn).await;
    req.crypto_key = "no-primary".into();
    let ring = format!(
        "projects/{}/locations/us-east4/keyRings/{}",
        seed::DEMO_PROJECT_ID,
        req.key_ring
    );
    let (parent, id) = ring.rsplit_once("/keyRings/").unwrap();
    conn.google.kms.create_key_ring(parent, id).await.unwrap();
    // Created by hand with "skip initial version".
    let url = format!(
        "{}v1/{ring}/cryptoKeys?cryptoKeyId=no-primary&skipInitialVersionCreation=true",
        sb.endpoints().kms
    );
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(cmek_sandbox::DEFAULT_GOOGLE_TOKEN)
        .json(&json!({"purpose": "ENCRYPT_DECRYPT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (r, events) = plan_and_apply(&conn, req).await;
    r.unwrap_or_else(|e| panic!("{e:?}"));
    assert!(progress_messages(&events)
        .iter()
        .any(|m| m.contains("no primary version")));
    assert_eq!(ops(&sb, "updatePrimaryVersion").len(), 1);
    let key = sb
        .crypto_key(&format!("{ring}/cryptoKeys/no-primary"))
        .unwrap();
    assert_eq!(key["primary"]["state"], json!("ENABLED"));
}

#[tokio::test]
async fn b40_missing_permissions_are_named_before_any_write() {
    let sb = start(
        SandboxConfig::for_tests().with_google_token("auditor-token", "user:auditor@example.com"),
    )
    .await;
    sb.with_state(|s| {
        s.add_binding_direct(
            &format!("projects/{}", seed::DEMO_PROJECT_ID),
            "roles/viewer",
            "user:auditor@example.com",
        )
    });
    let conn = connect_as(&sb, "auditor-token", "user:auditor@example.com").await;
    let plan = cmek_setup::plan(&conn, single_region_request(&conn).await)
        .await
        .unwrap();
    sb.clear_requests();
    let e = apply(&conn, &plan).await.0.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    for p in [
        "iam.serviceAccounts.create",
        "cloudkms.keyRings.create",
        "cloudkms.cryptoKeys.setIamPolicy",
    ] {
        assert!(e.message.contains(p), "{p} missing from: {}", e.message);
    }
    assert_eq!(sb.write_count(), 0, "nothing written");
}

#[tokio::test]
async fn b08_a_missing_cockroach_identity_writes_nothing_and_says_why_then_retry_works() {
    let (sb, conn, plan) = single_region_plan().await;
    let principal = plan.cockroach_principal.clone();
    sb.with_state(|s| s.unprovision_external_service_account(&principal));
    let sa_resource = format!(
        "projects/{}/serviceAccounts/{}",
        seed::DEMO_PROJECT_ID,
        plan.service_account_email
    );
    let (r, events) = apply(&conn, &plan).await;
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::MemberNotFound);
    assert!(
        e.message.contains(&principal) && e.message.contains("not provisioned")
            || e.message.contains("has not provisioned"),
        "{}",
        e.message
    );
    assert!(e.message.contains("nothing was written"), "{}", e.message);
    assert!(
        !sb.iam_policy(&sa_resource).to_string().contains(&principal),
        "nothing written"
    );
    assert!(events.iter().any(|ev| matches!(ev, cmek_core::plan::ApplyEvent::StepFailed { step_id, .. } if step_id.starts_with("grantTokenCreator"))));
    // The identity appears; applying again (the offered retry) finishes.
    sb.with_state(|s| s.provision_external_service_account(&principal));
    let (r2, _) = apply(&conn, &plan).await;
    assert_eq!(r2.unwrap().cmek.status, "ENABLED");
}

#[tokio::test]
async fn b18_a_key_location_that_cannot_serve_a_region_is_refused_before_any_call() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let mut req = multi_region_request(&conn).await;
    req.layout = KeyLayout::SingleKey {
        location: "us".into(),
    };
    sb.clear_requests();
    let e = cmek_setup::plan(&conn, req.clone()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message
            .starts_with("Key location: a key in us cannot serve cluster region")
            && e.message.contains("europe-west4")
            && e.resource.as_deref() == Some("layout.location"),
        "{}",
        e.message
    );
    assert!(sb.requests().iter().all(|r| !r.is_write), "nothing written");
    // `global` serves every region but is flagged.
    req.layout = KeyLayout::SingleKey {
        location: "global".into(),
    };
    let plan = cmek_setup::plan(&conn, req).await.unwrap();
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("global is not a single region")),
        "{:?}",
        plan.warnings
    );
    let (r, _) = apply(&conn, &plan).await;
    assert_eq!(r.unwrap().cmek.status, "ENABLED");
}

#[tokio::test]
async fn b09_a_400_that_is_not_about_key_access_fails_at_once() {
    let (sb, conn, plan) = single_region_plan().await;
    sb.inject_fault(fault(
        "CockroachCloud_EnableCMEKSpec",
        400,
        json!({"code": 3, "message": "region us-east4: uri must not include a key version"}),
        10_000,
    ));
    let e = apply(&conn, &plan).await.0.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(
        ops(&sb, "CockroachCloud_EnableCMEKSpec").len(),
        1,
        "not retried"
    );
}
