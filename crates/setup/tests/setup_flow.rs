//! The main job end to end, over HTTP against the sandbox: plan, apply, CMEK ENABLED in every
//! region; re-apply writes nothing; an interrupted run resumes.

mod common;
use cmek_core::plan::StepOutcome;
use cmek_core::ErrorCode;
use cmek_sandbox::seed;
use common::*;
use serde_json::json;

#[tokio::test]
async fn single_region_cluster_reaches_enabled_with_the_right_bindings() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = single_region_request(&conn).await;
    let plan = cmek_setup::plan(&conn, req).await.unwrap();
    assert_eq!(
        plan.cockroach_principal,
        format!(
            "crl-kms-user-5c4d3e2f1a0b@{}.iam.gserviceaccount.com",
            seed::SINGLE_REGION_ACCOUNT_ID
        )
    );
    assert_eq!(plan.region_specs.len(), 1);
    assert!(plan
        .commands
        .iter()
        .any(|c| c.starts_with("gcloud kms keys create")));
    let (result, events) = apply(&conn, &plan).await;
    let result = result.unwrap_or_else(|e| panic!("apply failed: {e:?}\n{events:#?}"));
    assert_eq!(result.cmek.status, "ENABLED");
    assert!(result
        .cmek
        .region_infos
        .iter()
        .all(|r| r.status == "ENABLED"));
    assert_eq!(result.auth_principal, plan.service_account_email);

    // Observed state in the sandbox: the two bindings of cmek-procedure §4.1.
    let key = &plan.keys[0].name;
    let sa_policy = sb.iam_policy(&format!(
        "projects/{}/serviceAccounts/{}",
        seed::DEMO_PROJECT_ID,
        plan.service_account_email
    ));
    assert!(
        sa_policy.to_string().contains(&plan.cockroach_principal),
        "{sa_policy}"
    );
    let key_policy = sb.iam_policy(key);
    assert!(
        key_policy
            .to_string()
            .contains("roles/cloudkms.cryptoKeyEncrypterDecrypter"),
        "{key_policy}"
    );
    let k = sb.crypto_key(key).expect("key exists");
    assert_eq!(k["rotationPeriod"], json!("7776000s"));
    assert!(k["nextRotationTime"].is_string());
}

#[tokio::test]
async fn b17_multi_region_cluster_gets_a_regional_key_per_region_and_every_region_enabled() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = multi_region_request(&conn).await;
    let (result, events) = plan_and_apply(&conn, req).await;
    let result = result.unwrap_or_else(|e| panic!("apply failed: {e:?}\n{events:#?}"));
    let mut regions: Vec<_> = result
        .cmek
        .region_infos
        .iter()
        .map(|r| (r.region.clone(), r.status.clone()))
        .collect();
    regions.sort();
    assert_eq!(
        regions,
        seed::MULTI_REGION_REGIONS
            .iter()
            .map(|r| (r.to_string(), "ENABLED".to_string()))
            .collect::<Vec<_>>()
    );
    // B17: a non-global (europe-west4) key ring and key, addressed through their own location.
    for r in seed::MULTI_REGION_REGIONS {
        let uri = &result.cmek.region(r).unwrap().current().unwrap().spec.uri;
        assert!(uri.contains(&format!("/locations/{r}/")), "{uri}");
    }
}

#[tokio::test]
async fn reapplying_a_finished_plan_makes_zero_write_calls() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = single_region_request(&conn).await;
    let (first, _) = plan_and_apply(&conn, req.clone()).await;
    assert!(first.unwrap().write_calls > 0);
    sb.clear_requests();
    let plan = cmek_setup::plan(&conn, req).await.unwrap();
    assert!(
        plan.steps
            .iter()
            .filter(|s| s.kind != cmek_core::plan::StepKind::CheckPermissions
                && s.kind != cmek_core::plan::StepKind::EnableApis)
            .all(|s| s.already_done),
        "{:#?}",
        plan.steps
    );
    let (second, events) = apply(&conn, &plan).await;
    let second = second.unwrap();
    assert_eq!(second.write_calls, 0);
    let writes: Vec<_> = sb.requests().into_iter().filter(|r| r.is_write).collect();
    assert!(writes.is_empty(), "the sandbox saw writes: {writes:#?}");
    assert!(
        !sb.requests().is_empty(),
        "the re-run still verified by reading"
    );
    assert_eq!(
        outcome_of(&events, "enableCmek"),
        Some(StepOutcome::Unchanged)
    );
}

#[tokio::test]
async fn a_run_interrupted_after_the_key_ring_resumes_and_finishes() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = single_region_request(&conn).await;
    let plan = cmek_setup::plan(&conn, req).await.unwrap();
    // The run dies at key creation, after the key ring exists.
    sb.inject_fault(fault(
        "cloudkms.projects.locations.keyRings.cryptoKeys.create",
        400,
        json!({"error": {"code": 400, "message": "Simulated interruption", "status": "INVALID_ARGUMENT"}}),
        1,
    ));
    let (first, _) = apply(&conn, &plan).await;
    assert_eq!(first.unwrap_err().code, ErrorCode::InvalidArgument);
    assert!(
        conn.google
            .kms
            .get_key_ring(&plan.key_ring_names[0])
            .await
            .unwrap()
            .is_some(),
        "key ring was created before the interruption"
    );
    // Same plan again: the key ring is adopted, not re-created, and the run finishes.
    sb.clear_requests();
    let (second, events) = apply(&conn, &plan).await;
    assert_eq!(second.unwrap().cmek.status, "ENABLED");
    assert_eq!(
        outcome_of(&events, "createKeyRing"),
        Some(StepOutcome::Adopted)
    );
    assert!(
        ops(&sb, "keyRings.create").is_empty(),
        "no second key ring create"
    );
    assert_eq!(ops(&sb, "cryptoKeys.create").len(), 1);
}

#[tokio::test]
async fn ineligible_and_aws_clusters_are_refused_with_the_reason() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let clusters = cmek_setup::list_clusters(&conn).await.unwrap();
    assert_eq!(clusters.len(), 4);
    let standard = clusters
        .iter()
        .find(|c| c.cluster.id == seed::STANDARD_CLUSTER_ID)
        .unwrap();
    assert!(standard
        .ineligible_reason
        .as_deref()
        .unwrap()
        .contains("STANDARD"));
    let mut req = single_region_request(&conn).await;
    req.cluster_id = seed::STANDARD_CLUSTER_ID.into();
    let e = cmek_setup::plan(&conn, req.clone()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotEligible);
    assert!(e.message.contains("PUBLIC"), "{}", e.message);
    req.cluster_id = seed::AWS_CLUSTER_ID.into();
    assert_eq!(
        cmek_setup::plan(&conn, req).await.unwrap_err().code,
        ErrorCode::NotEligible
    );
}

#[tokio::test]
async fn a_request_the_spec_rejects_gets_a_400_and_is_recorded_against_the_sender() {
    // A client bug (an unknown field in a crypto key) must not pass silently: the sandbox
    // answers 400 like Google and records the rejection, which fails the sending test.
    let sb = cmek_sandbox::Sandbox::start(cmek_sandbox::SandboxConfig::for_tests()).await;
    let conn = connect(&sb).await;
    let ring = format!(
        "projects/{}/locations/us-east4/keyRings/r1",
        seed::DEMO_PROJECT_ID
    );
    conn.google
        .kms
        .create_key_ring(
            &format!("projects/{}/locations/us-east4", seed::DEMO_PROJECT_ID),
            "r1",
        )
        .await
        .unwrap();
    let mut key = cmek_core::kms::CryptoKey {
        purpose: Some("ENCRYPT_DECRYPT".into()),
        ..Default::default()
    };
    key.labels.insert("ok".into(), json!("yes"));
    let url = format!("{}v1/{ring}/cryptoKeys?cryptoKeyId=k1", sb.endpoints().kms);
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(cmek_sandbox::DEFAULT_GOOGLE_TOKEN)
        .json(&json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriodSeconds": 86400}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown name \"rotation_period_seconds\""),
        "{body}"
    );
    let rejections = sb.spec_rejections();
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert!(rejections[0].contains("cryptoKeys.create"));
    // The typed client's body for the same key is valid.
    conn.google
        .kms
        .create_crypto_key(&ring, "k1", &key)
        .await
        .unwrap();
    assert_eq!(sb.spec_rejections().len(), 1);
}

#[tokio::test]
async fn the_suggested_project_is_one_where_the_user_can_create_the_resources() {
    // The audit seed adds projects (sorted first) where the officer is only a viewer.
    let sb = start(cmek_sandbox::SandboxConfig::for_tests().with_audit_seed()).await;
    let conn = connect(&sb).await;
    assert!(
        conn.info.projects[0].starts_with("audit-"),
        "{:?}",
        conn.info.projects
    );
    let req = cmek_setup::suggest_request(&conn, seed::SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap();
    assert_eq!(req.project, seed::DEMO_PROJECT_ID);
}
