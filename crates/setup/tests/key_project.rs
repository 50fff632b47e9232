//! The C12 fix the plan offers (issue #11): a separate key project. Over HTTP against the
//! sandbox, whose `cmek-keys-project` has the officer as Cloud KMS Admin and Viewer and no
//! owner: the plan's C12 warning goes away, the keys (and Cloud KMS checks) go to the key
//! project while the service account stays in its own, CockroachDB reaches ENABLED, re-applying
//! writes nothing, and a KMS permission missing in the key project refuses the apply before its
//! first write, naming the project and the permission.

mod common;
use cmek_core::plan::{Plan, SetupRequest, StepKind};
use cmek_core::ErrorCode;
use cmek_sandbox::seed;
use common::*;

fn c12_warnings(plan: &Plan) -> Vec<&String> {
    plan.warnings
        .iter()
        .filter(|w| w.contains("(audit check C12)") || w.contains("separate duties"))
        .collect()
}

async fn with_key_project(conn: &cmek_setup::Connection, key_project: &str) -> SetupRequest {
    let mut req = single_region_request(conn).await;
    req.key_project = Some(key_project.into());
    req
}

#[tokio::test]
async fn the_plan_offers_the_key_project_and_a_key_project_the_officer_does_not_own_removes_c12() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    // In the demo project (owned by the officer): C12 is warned and the fix offered.
    let same = cmek_setup::plan(&conn, single_region_request(&conn).await)
        .await
        .unwrap();
    assert!(same.offer_key_project, "{:#?}", same.warnings);
    assert_eq!(c12_warnings(&same).len(), 1, "{:#?}", same.warnings);

    // The same project typed as key project is no separate key project.
    let typed_same = cmek_setup::plan(&conn, with_key_project(&conn, seed::DEMO_PROJECT_ID).await)
        .await
        .unwrap();
    assert_eq!(typed_same.keys, same.keys);
    assert!(typed_same.offer_key_project);

    let plan = cmek_setup::plan(&conn, with_key_project(&conn, seed::KEYS_PROJECT_ID).await)
        .await
        .unwrap();
    assert!(c12_warnings(&plan).is_empty(), "{:#?}", plan.warnings);
    assert!(!plan.offer_key_project);
    let key_prefix = format!("projects/{}/", seed::KEYS_PROJECT_ID);
    assert!(plan.keys.iter().all(|k| k.name.starts_with(&key_prefix)));
    assert!(plan
        .region_specs
        .iter()
        .all(|s| s.key_spec.uri.starts_with(&key_prefix)));
    assert!(plan.service_account_email.ends_with(&format!(
        "@{}.iam.gserviceaccount.com",
        seed::DEMO_PROJECT_ID
    )));
    // The equivalent commands name the project each resource lives in.
    for c in &plan.commands {
        if c.starts_with("gcloud kms ") {
            assert!(
                c.contains(&format!("--project={}", seed::KEYS_PROJECT_ID)),
                "{c}"
            );
        } else if c.starts_with("gcloud iam ") {
            assert!(
                c.contains(&format!("--project={}", seed::DEMO_PROJECT_ID)),
                "{c}"
            );
        }
    }
    assert!(plan.commands.contains(&format!(
        "gcloud services enable cloudkms.googleapis.com --project={}",
        seed::KEYS_PROJECT_ID
    )));

    // A key project the officer owns does not separate duties: the plan says so.
    let owned = cmek_setup::plan(&conn, with_key_project(&conn, seed::FRESH_PROJECT_ID).await)
        .await
        .unwrap();
    assert!(owned.offer_key_project);
    assert!(
        owned.warnings.iter().any(|w| w.starts_with(&format!(
            "Key project {} does not yet separate duties",
            seed::FRESH_PROJECT_ID
        ))),
        "{:#?}",
        owned.warnings
    );
}

#[tokio::test]
async fn applying_with_a_key_project_enables_cmek_with_keys_there_and_reapplying_writes_nothing() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = with_key_project(&conn, seed::KEYS_PROJECT_ID).await;
    let plan = cmek_setup::plan(&conn, req.clone()).await.unwrap();
    let (result, events) = apply(&conn, &plan).await;
    let result = result.unwrap_or_else(|e| panic!("apply failed: {e:?}\n{events:#?}"));
    assert_eq!(result.cmek.status, "ENABLED");
    assert!(result
        .cmek
        .region_infos
        .iter()
        .all(|r| r.status == "ENABLED"));

    // Observed in the sandbox: the key in the key project with the service account's grant,
    // the service account (and CockroachDB's Token Creator on it) in the demo project.
    let key = &plan.keys[0].name;
    assert!(key.starts_with(&format!("projects/{}/", seed::KEYS_PROJECT_ID)));
    assert!(sb.crypto_key(key).is_some(), "{key} exists");
    assert!(sb
        .iam_policy(key)
        .to_string()
        .contains(&format!("serviceAccount:{}", plan.service_account_email)));
    assert!(sb.service_account(&plan.service_account_email).is_some());
    let sa_policy = sb.iam_policy(&format!(
        "projects/{}/serviceAccounts/{}",
        seed::DEMO_PROJECT_ID,
        plan.service_account_email
    ));
    assert!(
        sa_policy.to_string().contains(&plan.cockroach_principal),
        "{sa_policy}"
    );
    let info = sb.cmek_info(seed::SINGLE_REGION_CLUSTER_ID).expect("cmek");
    assert!(info.to_string().contains(key.as_str()), "{info}");

    // Setup on the now-ENABLED cluster suggests the keys in use, key project included.
    let suggested = cmek_setup::suggest_request(&conn, seed::SINGLE_REGION_CLUSTER_ID)
        .await
        .unwrap();
    assert_eq!(suggested.project, seed::DEMO_PROJECT_ID);
    assert_eq!(suggested.keys_project(), seed::KEYS_PROJECT_ID);

    // Re-planning and re-applying: nothing to change, zero writes.
    sb.clear_requests();
    let again = cmek_setup::plan(&conn, req).await.unwrap();
    assert_eq!(again.count_changes(), 0, "{:#?}", again.steps);
    let (second, _) = apply(&conn, &again).await;
    assert_eq!(second.unwrap().write_calls, 0);
    let writes: Vec<_> = sb.requests().into_iter().filter(|r| r.is_write).collect();
    assert!(writes.is_empty(), "{writes:#?}");
}

#[tokio::test]
async fn a_kms_permission_missing_in_the_key_project_refuses_before_the_first_write() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    // The officer keeps only Viewer in the key project: reads pass, creating key rings does not.
    sb.set_iam_policy_direct(
        &format!("projects/{}", seed::KEYS_PROJECT_ID),
        serde_json::json!({"bindings": [
            {"role": "roles/viewer", "members": [cmek_sandbox::DEFAULT_GOOGLE_MEMBER]},
        ]}),
    );
    let plan = cmek_setup::plan(&conn, with_key_project(&conn, seed::KEYS_PROJECT_ID).await)
        .await
        .unwrap();
    assert_eq!(plan.steps[0].kind, StepKind::CheckPermissions);
    sb.clear_requests();
    let (result, _) = apply(&conn, &plan).await;
    let e = result.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
    assert!(
        e.message.contains(&format!(
            "cloudkms.keyRings.create on projects/{}",
            seed::KEYS_PROJECT_ID
        )),
        "{}",
        e.message
    );
    // The service account's project still holds every IAM permission: none named there.
    assert!(
        !e.message
            .contains(&format!("on projects/{}", seed::DEMO_PROJECT_ID)),
        "{}",
        e.message
    );
    let writes: Vec<_> = sb.requests().into_iter().filter(|r| r.is_write).collect();
    assert!(writes.is_empty(), "written before the refusal: {writes:#?}");
}

#[tokio::test]
async fn cloud_kms_disabled_in_the_key_project_is_enabled_there_not_in_the_service_accounts_project(
) {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    sb.set_service_enabled(seed::KEYS_PROJECT_ID, "cloudkms.googleapis.com", false);
    // Enabling an API needs Service Usage Admin in the key project too.
    let project = format!("projects/{}", seed::KEYS_PROJECT_ID);
    let mut policy = sb.iam_policy(&project);
    policy["bindings"].as_array_mut().unwrap().push(serde_json::json!(
        {"role": "roles/serviceusage.serviceUsageAdmin", "members": [cmek_sandbox::DEFAULT_GOOGLE_MEMBER]}
    ));
    sb.set_iam_policy_direct(&project, policy);

    let plan = cmek_setup::plan(&conn, with_key_project(&conn, seed::KEYS_PROJECT_ID).await)
        .await
        .unwrap();
    assert!(
        plan.warnings.iter().any(|w| w.starts_with(&format!(
            "cloudkms.googleapis.com is disabled in {}",
            seed::KEYS_PROJECT_ID
        ))),
        "{:#?}",
        plan.warnings
    );
    let apis = plan
        .steps
        .iter()
        .find(|s| s.kind == StepKind::EnableApis)
        .unwrap();
    assert!(!apis.already_done);
    assert!(apis.title.contains(seed::KEYS_PROJECT_ID), "{}", apis.title);
    sb.clear_requests();
    let (result, events) = apply(&conn, &plan).await;
    result.unwrap_or_else(|e| panic!("apply failed: {e:?}\n{events:#?}"));
    let enables: Vec<String> = sb
        .requests()
        .into_iter()
        .filter(|r| r.is_write && r.path.ends_with(":enable"))
        .map(|r| r.path)
        .collect();
    assert_eq!(enables.len(), 1, "{enables:#?}");
    assert!(
        enables[0].contains(&format!(
            "projects/{}/services/cloudkms.googleapis.com",
            seed::KEYS_PROJECT_ID
        )),
        "{enables:#?}"
    );
}
