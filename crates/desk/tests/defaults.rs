//! Defaults that pass the app's own checks (issue #11): every demo cluster's suggested request
//! (`suggest_setup` on every GCP cluster the state machine allows it for, ENABLED ones too,
//! `suggest_aws_setup`, `suggest_rotation` wherever rotation is allowed), planned with no edit
//! through the app core against the sandbox, gives a plan with no error and no warning the app
//! could have avoided by suggesting otherwise. (Adding a region has no suggested request: the
//! officer picks the region.)

mod scan_kept;

use cmek_core::lifecycle::CmekAction;
use cmek_core::plan::ClusterSummary;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use std::sync::Arc;

/// A desk with its own data folder (kept for the secret scan), connected to its sandbox;
/// `fast`: IAM propagation and CMEK transitions take no time (for tests that apply).
async fn desk_on_sandbox(fast: bool) -> (tempfile::TempDir, Desk) {
    let dir = scan_kept::kept_tempdir();
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.path().display().to_string())]);
    let desk = Desk::new(Session::new(
        settings,
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ));
    desk.connect_sandbox().await.expect("sandbox connects");
    if fast {
        let slot = desk.sandbox.lock().await;
        let handle = slot.as_ref().expect("sandbox running");
        handle.set_iam_propagation(std::time::Duration::ZERO);
        handle.set_cmek_transition(std::time::Duration::ZERO, 0);
    }
    (dir, desk)
}

fn allowed(c: &ClusterSummary, a: CmekAction) -> bool {
    c.ineligible_reason.is_none() && c.actions.iter().any(|x| x.action == a && x.allowed)
}

/// Warnings a default may carry because they describe the world, not the choice: an existing
/// key ring or key that will be reused (key rings can never be deleted) and the one-time
/// notes of a rotation about the key kept for decryption.
fn unavoidable(w: &str) -> bool {
    w.contains("already exists and will be reused")
        || w.contains("will be adopted")
        || w.contains("still decrypts")
        || w.contains("still needs it to decrypt")
        || w.contains("add-on cannot be checked")
        || w.contains("Keep the old key")
}

/// The C12 warning a default may carry: the demo projects are owned by the officer (a person),
/// so keys created there get the audit's C12 — but only when the plan offers the fix
/// (`offer_key_project`) and that fix really removes it: the same request with the sandbox's
/// key project (where the officer is Cloud KMS Admin, not owner) plans with no C12 warning.
async fn c12_fixed_by_the_offered_key_project(desk: &Desk, plan: &cmek_core::plan::Plan) -> bool {
    let c12 =
        |p: &cmek_core::plan::Plan| p.warnings.iter().any(|w| w.contains("(audit check C12)"));
    if !c12(plan) {
        return true;
    }
    if !plan.offer_key_project {
        return false;
    }
    let mut req = plan.request.clone();
    req.key_project = Some(cmek_sandbox::seed::KEYS_PROJECT_ID.to_owned());
    let fixed = desk
        .plan_setup(req)
        .await
        .expect("plan with the key project");
    !c12(&fixed) && !fixed.offer_key_project
}

/// The warnings of `plan` that a better suggestion could have avoided: not [`unavoidable`], and
/// not about a key that exists already (setup on an ENABLED cluster adopts the keys in use,
/// whose IAM policy is what it is).
fn avoidable(plan: &cmek_core::plan::Plan) -> Vec<&String> {
    plan.warnings
        .iter()
        .filter(|w| !unavoidable(w))
        // Checked apart: offered and fixed by the key project (c12_fixed_by_the_offered_key_project).
        .filter(|w| !(w.contains("(audit check C12)") && w.contains("own(s) project")))
        .filter(|w| !plan.keys.iter().any(|k| k.exists && w.contains(&k.name)))
        .collect()
}

/// Plans the suggested rotation of `c` when the state machine allows rotating it.
async fn continue_rotation(desk: &Desk, c: &ClusterSummary, planned: &mut Vec<String>) {
    let name = &c.cluster.name;
    if !(allowed(c, CmekAction::Rotate) && c.cluster.cloud_provider == "GCP") {
        return;
    }
    let req = desk
        .suggest_rotation(&c.cluster.id)
        .await
        .expect("suggest_rotation");
    let plan = desk
        .plan_rotation(req.clone())
        .await
        .unwrap_or_else(|e| panic!("{name}: the suggested rotation fails: {}", e.message));
    let avoidable: Vec<&String> = avoidable(&plan);
    assert!(avoidable.is_empty(), "{name}: rotation: {avoidable:#?}");
    // The rotation's C12 on its new keys is offered, and its fix (the rotation's own project
    // field set to the sandbox's key project) really removes it.
    let c12 =
        |p: &cmek_core::plan::Plan| p.warnings.iter().any(|w| w.contains("(audit check C12)"));
    if c12(&plan) && plan.keys.iter().any(|k| !k.exists) {
        assert!(
            plan.offer_key_project,
            "{name}: rotation's C12 is not offered a fix"
        );
        let mut fixed_req = req;
        fixed_req.project = cmek_sandbox::seed::KEYS_PROJECT_ID.to_owned();
        let fixed = desk
            .plan_rotation(fixed_req)
            .await
            .unwrap_or_else(|e| panic!("{name}: rotation into the key project: {}", e.message));
        assert!(
            !c12(&fixed) && !fixed.offer_key_project,
            "{name}: rotation into the key project still warns: {:#?}",
            fixed.warnings
        );
        planned.push(format!("rotate {name} into the key project"));
    }
    planned.push(format!("rotate {name}"));
}

#[tokio::test]
async fn every_demo_clusters_suggested_request_plans_cleanly() {
    let (_dir, desk) = desk_on_sandbox(false).await;
    let clusters = desk.list_clusters().await.expect("clusters");
    let mut planned = Vec::new();
    for c in &clusters {
        let name = &c.cluster.name;
        let id = &c.cluster.id;
        let first = c.cmek_status != "ENABLED";
        if allowed(c, CmekAction::Setup) && c.cluster.cloud_provider == "GCP" {
            let req = match desk.suggest_setup(id).await {
                Ok(req) => req,
                // Keys in use that no setup request can name (another project's service
                // account): setup says it does not apply and points at rotation.
                Err(e) if !first => {
                    assert_eq!(
                        e.code,
                        cmek_core::ErrorCode::FailedPrecondition,
                        "{name}: {e:?}"
                    );
                    assert!(
                        e.message.contains("setup does not apply") && e.message.contains("rotate"),
                        "{name}: {}",
                        e.message
                    );
                    assert!(
                        allowed(c, CmekAction::Rotate),
                        "{name}: rotation is offered"
                    );
                    planned.push(format!("setup does not apply {name}"));
                    continue_rotation(&desk, c, &mut planned).await;
                    continue;
                }
                Err(e) => panic!("{name}: suggest_setup: {e:?}"),
            };
            let plan = desk
                .plan_setup(req)
                .await
                .unwrap_or_else(|e| panic!("{name}: the suggested setup fails: {}", e.message));
            let avoidable: Vec<&String> = avoidable(&plan);
            assert!(avoidable.is_empty(), "{name}: {avoidable:#?}");
            assert!(
                !first || c12_fixed_by_the_offered_key_project(&desk, &plan).await,
                "{name}: a C12 warning the offered key project does not remove: {:#?}",
                plan.warnings
            );
            if !first {
                // Setup on an ENABLED cluster verifies the keys in use (cmek_core::lifecycle):
                // the suggestion names them, so the plan is a setup, not a rotation.
                assert_eq!(
                    plan.change,
                    cmek_core::change::PlanChange::Setup,
                    "{name}: suggested setup of an ENABLED cluster turned into {:?}",
                    plan.change
                );
                // It adopts the keys in use (it may repair a missing grant, e.g. audit-noimp's).
                assert!(
                    plan.keys.iter().all(|k| k.exists),
                    "{name}: {:#?}",
                    plan.keys
                );
            }
            planned.push(format!("setup {name}"));
        }
        continue_rotation(&desk, c, &mut planned).await;
        if first && allowed(c, CmekAction::Setup) && c.cluster.cloud_provider == "AWS" {
            let req = desk.suggest_aws_setup(id).await.expect("suggest_aws_setup");
            let plan = desk
                .plan_aws_setup(req)
                .await
                .unwrap_or_else(|e| panic!("{name}: the suggested AWS setup fails: {}", e.message));
            let avoidable: Vec<&String> =
                plan.warnings.iter().filter(|w| !unavoidable(w)).collect();
            assert!(avoidable.is_empty(), "{name}: {avoidable:#?}");
            planned.push(format!("aws setup {name}"));
        }
    }
    assert!(
        planned.iter().any(|p| p == "setup global-ledger"),
        "the multi-region demo cluster is among them: {planned:?}"
    );
    assert!(
        planned.iter().any(|p| p.starts_with("aws setup")),
        "{planned:?}"
    );
    assert!(
        planned.iter().any(|p| p.ends_with("into the key project")),
        "a rotation's C12 offer was exercised: {planned:?}"
    );
    eprintln!("planned cleanly: {planned:?}");
}

#[tokio::test]
async fn re_running_an_unchanged_setup_plans_zero_changes() {
    let (_dir, desk) = desk_on_sandbox(true).await;
    let id = cmek_sandbox::seed::SINGLE_REGION_CLUSTER_ID;
    let mut req = desk.suggest_setup(id).await.expect("suggest");
    req.project = cmek_sandbox::seed::DEMO_PROJECT_ID.to_owned();
    let first = desk.plan_setup(req.clone()).await.expect("plan");
    assert!(
        first.changes > 0,
        "a first setup changes things: {first:#?}"
    );
    assert_eq!(first.changes, first.count_changes());
    desk.apply_setup(&first.plan_id, &|_| {})
        .await
        .expect("apply");
    let again = desk.plan_setup(req).await.expect("plan again");
    let pending: Vec<_> = again
        .steps
        .iter()
        .filter(|s| !s.already_done)
        .map(|s| (&s.kind, &s.title))
        .collect();
    assert_eq!(
        again.changes, 0,
        "nothing to change; steps not done: {pending:?}"
    );
}

#[tokio::test]
async fn the_plans_c12_warning_is_what_its_own_audit_reports_after_apply() {
    let (_dir, desk) = desk_on_sandbox(true).await;
    let id = cmek_sandbox::seed::SINGLE_REGION_CLUSTER_ID;
    let mut req = desk.suggest_setup(id).await.expect("suggest");
    req.project = cmek_sandbox::seed::DEMO_PROJECT_ID.to_owned();
    let plan = desk.plan_setup(req).await.expect("plan");
    let key = plan.keys[0].name.clone();
    let warned: Vec<&String> = plan
        .warnings
        .iter()
        .filter(|w| w.contains("(audit check C12)"))
        .collect();
    assert_eq!(warned.len(), 1, "{:#?}", plan.warnings);
    assert!(
        warned[0].contains("user:officer@example.com") && warned[0].contains(&key),
        "{}",
        warned[0]
    );
    desk.apply_setup(&plan.plan_id, &|_| {})
        .await
        .expect("apply");
    let options = cmek_audit::ScanOptions {
        projects: vec![cmek_sandbox::seed::DEMO_PROJECT_ID.to_owned()],
        ..Default::default()
    };
    let report = desk.start_audit(&options, &|_| {}).await.expect("audit");
    let c12: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check_id == "C12" && f.resource == key)
        .collect();
    assert_eq!(c12.len(), 1, "the audit's C12 on {key}: {c12:#?}");
    assert!(
        c12[0]
            .evidence
            .iter()
            .any(|e| format!("{e:?}").contains("user:officer@example.com")),
        "{c12:#?}"
    );
}

#[tokio::test]
async fn applying_the_offered_key_project_leaves_no_c12_for_the_audit() {
    let (_dir, desk) = desk_on_sandbox(true).await;
    let id = cmek_sandbox::seed::SINGLE_REGION_CLUSTER_ID;
    let mut req = desk.suggest_setup(id).await.expect("suggest");
    req.project = cmek_sandbox::seed::DEMO_PROJECT_ID.to_owned();
    let warned = desk.plan_setup(req.clone()).await.expect("plan");
    assert!(warned.offer_key_project, "{:#?}", warned.warnings);
    // The offered fix: the same request with a separate key project.
    req.key_project = Some(cmek_sandbox::seed::KEYS_PROJECT_ID.to_owned());
    let plan = desk
        .plan_setup(req)
        .await
        .expect("plan with the key project");
    assert!(
        !plan.warnings.iter().any(|w| w.contains("C12")),
        "{:#?}",
        plan.warnings
    );
    let result = desk
        .apply_setup(&plan.plan_id, &|_| {})
        .await
        .expect("apply");
    assert_eq!(result.cmek.status, "ENABLED");
    let key = plan.keys[0].name.clone();
    assert!(key.starts_with(&format!(
        "projects/{}/",
        cmek_sandbox::seed::KEYS_PROJECT_ID
    )));
    // The operation record holds the key project, for resuming the same setup.
    let started = desk
        .activity_entries()
        .expect("activity")
        .into_iter()
        .find(|e| e.kind == cmek_activity::EntryKind::OperationStarted && e.action == "setup")
        .and_then(|e| e.before)
        .expect("the setup operation's start, with its request");
    assert_eq!(
        started["request"]["keyProject"],
        cmek_sandbox::seed::KEYS_PROJECT_ID
    );

    let options = cmek_audit::ScanOptions {
        projects: vec![
            cmek_sandbox::seed::DEMO_PROJECT_ID.to_owned(),
            cmek_sandbox::seed::KEYS_PROJECT_ID.to_owned(),
        ],
        ..Default::default()
    };
    let report = desk.start_audit(&options, &|_| {}).await.expect("audit");
    // The audit read the key (the C12 check had it to judge) and the key project's policy.
    let keys_row = report
        .projects
        .iter()
        .find(|p| p.project_id == cmek_sandbox::seed::KEYS_PROJECT_ID)
        .expect("the key project was scanned");
    assert!(keys_row.error.is_none(), "{:?}", keys_row.error);
    assert!(
        keys_row.keys.iter().any(|k| k.name == key),
        "the audit saw {key}: {:#?}",
        keys_row.keys
    );
    let c12: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check_id == "C12" && f.resource == key)
        .collect();
    assert!(c12.is_empty(), "the audit's C12 on {key}: {c12:#?}");
}
