//! The AWS setup end to end against the sandbox's AWS fake (principals and trust enforced,
//! CockroachDB enabling a region only when trust and key policy really allow it): single-Region
//! keys and a multi-Region key to ENABLED, re-apply with zero writes, resume after an
//! interruption, and a key policy altered after our write failing with the difference named.

mod aws_common;
mod common;

use aws_common::{apply_with, plan_and_apply, request, sandbox_aws, CLUSTER};
use cmek_core::aws::model::NewKey;
use cmek_core::aws::plan::{AwsKeyKind, AwsKeyLayout};
use cmek_core::aws::statements::{CMEK_KEY_ACTIONS, EXTERNAL_ID_KEY, KEY_POLICY_SID};
use cmek_core::plan::{ApplyEvent, StepOutcome};
use cmek_core::ErrorCode;
use cmek_sandbox::{seed, AWS_CUSTOMER_ACCOUNT_ID};
use cmek_setup::ApplyControl;
use serde_json::{json, Value};

#[tokio::test]
async fn single_region_keys_reach_enabled_and_reapply_writes_nothing() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let (plan, result, _) = plan_and_apply(&conn, &aws, req.clone()).await;
    assert!(
        plan.steps
            .iter()
            .filter(|s| s.kind != cmek_core::aws::plan::AwsStepKind::CheckIdentity)
            .all(|s| !s.already_done),
        "{:#?}",
        plan.steps
    );
    assert!(
        plan.commands
            .iter()
            .any(|c| c.starts_with("aws iam create-role")),
        "{:#?}",
        plan.commands
    );
    let result = result.expect("apply");
    assert_eq!(result.cmek.status, "ENABLED");
    assert_eq!(
        result.auth_principal,
        format!(
            "arn:aws:iam::{AWS_CUSTOMER_ACCOUNT_ID}:role/{}",
            req.role_name
        )
    );
    assert_eq!(
        result.write_calls as usize,
        sb.write_count(),
        "every write the sandbox saw is counted"
    );

    // What was written is what the docs require (B29: the trust carries the ExternalId).
    let role = sb.aws_role(&result.auth_principal).expect("role");
    let trust: Value = serde_json::from_str(&role.trust).unwrap();
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"][EXTERNAL_ID_KEY],
        json!(seed::ORG_ID)
    );
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        json!(format!("arn:aws:iam::{}:root", seed::AWS_ACCOUNT_ID))
    );
    assert!(
        role.inline.is_empty() && role.attached.is_empty(),
        "no permissions of its own"
    );
    let uri = &result.cmek.region_infos[0].key_infos[0].spec.uri;
    let key = sb.aws_key(uri).expect("key");
    assert_eq!(
        (
            key.spec.as_str(),
            key.usage.as_str(),
            key.rotation.is_some()
        ),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", true)
    );
    let policy: Value = serde_json::from_str(&key.policy).unwrap();
    let ours = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == KEY_POLICY_SID)
        .unwrap();
    assert_eq!(ours["Action"], json!(CMEK_KEY_ACTIONS));
    assert_eq!(
        policy["Statement"].as_array().unwrap().len(),
        2,
        "the administrators' statement is kept"
    );

    // Re-plan: everything done; re-apply: zero writes at the sandbox.
    let again = cmek_setup::plan_aws(&conn, &aws, req).await.unwrap();
    assert!(
        again
            .steps
            .iter()
            .filter(|s| s.kind != cmek_core::aws::plan::AwsStepKind::CheckIdentity)
            .all(|s| s.already_done),
        "{:#?}",
        again.steps
    );
    sb.clear_requests();
    let (r, events) = apply_with(&conn, &aws, &again, &ApplyControl::default(), |_| {}).await;
    assert_eq!(r.unwrap().write_calls, 0);
    assert_eq!(
        sb.write_count(),
        0,
        "{:#?}",
        sb.requests()
            .iter()
            .filter(|r| r.is_write)
            .map(|r| &r.operation)
            .collect::<Vec<_>>()
    );
    assert!(events.all().iter().all(|e| !matches!(
        e,
        ApplyEvent::StepFinished {
            outcome: StepOutcome::Done,
            ..
        }
    )));
}

#[tokio::test]
async fn a_multi_region_key_with_a_replica_reaches_enabled() {
    let sb = common::sandbox().await;
    sb.add_cluster_region(CLUSTER, "us-west-2");
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(
        &conn,
        AwsKeyLayout::MultiRegion {
            primary_region: "us-east-1".into(),
        },
    )
    .await;
    let (plan, result, _) = plan_and_apply(&conn, &aws, req.clone()).await;
    assert_eq!(
        plan.keys
            .iter()
            .map(|k| (k.region.as_str(), k.kind))
            .collect::<Vec<_>>(),
        [
            ("us-east-1", AwsKeyKind::Primary),
            ("us-west-2", AwsKeyKind::Replica)
        ]
    );
    let result = result.expect("apply");
    assert_eq!(result.cmek.status, "ENABLED");
    let uris: Vec<&str> = result
        .cmek
        .region_infos
        .iter()
        .map(|r| r.key_infos[0].spec.uri.as_str())
        .collect();
    assert_eq!(uris.len(), 2);
    let ids: Vec<&str> = uris.iter().map(|u| u.rsplit('/').next().unwrap()).collect();
    assert!(ids[0].starts_with("mrk-") && ids[0] == ids[1], "{uris:?}");
    assert!(
        uris[0].contains(":us-east-1:") && uris[1].contains(":us-west-2:"),
        "{uris:?}"
    );
    sb.clear_requests();
    let again = cmek_setup::plan_aws(&conn, &aws, req).await.unwrap();
    let (r, _) = apply_with(&conn, &aws, &again, &ApplyControl::default(), |_| {}).await;
    assert_eq!(r.unwrap().write_calls, 0);
    assert_eq!(sb.write_count(), 0);
}

#[tokio::test]
async fn an_interrupted_apply_resumes_without_duplicating_anything() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let plan = cmek_setup::plan_aws(&conn, &aws, req.clone())
        .await
        .unwrap();
    let control = ApplyControl::default();
    let stop = control.clone();
    let (r, _) = apply_with(&conn, &aws, &plan, &control, move |e| {
        if matches!(e, ApplyEvent::StepFinished { step_id, .. } if step_id.starts_with("createKey:")) {
            stop.cancel();
        }
    })
    .await;
    assert_eq!(r.unwrap_err().code, ErrorCode::Cancelled);
    let resumed = cmek_setup::plan_aws(&conn, &aws, req).await.unwrap();
    assert!(resumed.role.exists && resumed.keys[0].exists);
    let steps_before: Vec<_> = plan.steps.iter().map(|s| &s.id).collect();
    assert_eq!(
        resumed.steps.iter().map(|s| &s.id).collect::<Vec<_>>(),
        steps_before,
        "same step ids: the same plan resumes"
    );
    let (r, events) = apply_with(&conn, &aws, &resumed, &ApplyControl::default(), |_| {}).await;
    assert_eq!(r.expect("resume").cmek.status, "ENABLED");
    let unchanged = events
        .all()
        .iter()
        .filter(|e| {
            matches!(
                e,
                ApplyEvent::StepFinished {
                    outcome: StepOutcome::Unchanged,
                    ..
                }
            )
        })
        .count();
    assert!(
        unchanged >= 3,
        "role and key are not redone: {:#?}",
        events.all()
    );
    assert_eq!(
        aws.list_keys("us-east-1").await.unwrap().len(),
        1,
        "one key, not two"
    );
}

#[tokio::test]
async fn a_key_created_before_a_crash_without_its_alias_is_adopted() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let plan = cmek_setup::plan_aws(&conn, &aws, req).await.unwrap();
    // What CreateKey left behind when the app died before CreateAlias.
    let alias = &plan.keys[0].alias;
    let description = format!(
        "CockroachDB CMEK for cluster {} ({alias}); created by CMEK Desk",
        plan.cluster.name
    );
    let orphan = aws
        .create_key(
            "us-east-1",
            &NewKey {
                description,
                multi_region: false,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    let (r, events) = apply_with(&conn, &aws, &plan, &ApplyControl::default(), |_| {}).await;
    let result = r.expect("apply");
    assert_eq!(
        result.cmek.region_infos[0].key_infos[0].spec.uri,
        orphan.arn
    );
    assert_eq!(aws.list_keys("us-east-1").await.unwrap(), [orphan.key_id]);
    assert!(events.all().iter().any(|e| matches!(e, ApplyEvent::StepFinished { step_id, outcome: StepOutcome::Adopted, .. } if step_id.starts_with("createKey:"))));
}

#[tokio::test]
async fn a_key_policy_that_gained_an_action_after_our_write_fails_naming_it() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    sb.tamper_next_key_policy_write(|v| {
        for s in v["Statement"].as_array_mut().unwrap() {
            if s["Sid"] == KEY_POLICY_SID {
                s["Action"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("kms:ScheduleKeyDeletion"));
            }
        }
    });
    let (_, r, _) = plan_and_apply(
        &conn,
        &aws,
        request(&conn, AwsKeyLayout::KeyPerRegion).await,
    )
    .await;
    let e = r.unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(
        e.message.contains(&format!(
            "statement {KEY_POLICY_SID}: action kms:ScheduleKeyDeletion was added"
        )),
        "{}",
        e.message
    );
    assert!(
        sb.cmek_info(CLUSTER)
            .is_none_or(|i| i["status"] != "ENABLED"),
        "nothing after the failed step"
    );
}

#[tokio::test]
async fn a_key_policy_that_lost_a_condition_after_our_write_fails_naming_it() {
    let sb = common::sandbox().await;
    let conn = common::connect(&sb).await;
    let aws = sandbox_aws(&sb).await;
    let req = request(&conn, AwsKeyLayout::KeyPerRegion).await;
    // An existing key whose policy has a conditioned statement of another service.
    let key = aws
        .create_key(
            "us-east-1",
            &NewKey {
                description: "existing".into(),
                multi_region: false,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    aws.create_alias(
        "us-east-1",
        &format!("alias/{}", req.key_alias.trim_start_matches("alias/")),
        &key.key_id,
    )
    .await
    .unwrap();
    let mut policy = aws.get_key_policy("us-east-1", &key.key_id).await.unwrap();
    policy.upsert(serde_json::from_value(json!({"Sid": "AllowBackups", "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
        "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": AWS_CUSTOMER_ACCOUNT_ID}}})).unwrap());
    aws.put_key_policy("us-east-1", &key.key_id, &policy)
        .await
        .unwrap();
    sb.tamper_next_key_policy_write(|v| {
        for s in v["Statement"].as_array_mut().unwrap() {
            if s["Sid"] == "AllowBackups" {
                s.as_object_mut().unwrap().remove("Condition");
            }
        }
    });
    let (plan, r, _) = plan_and_apply(&conn, &aws, req).await;
    assert!(plan.keys[0].exists);
    let e = r.unwrap_err();
    assert!(e.message.contains(&format!("statement AllowBackups (kept from before): condition StringEquals kms:CallerAccount = {AWS_CUSTOMER_ACCOUNT_ID} is missing")), "{}", e.message);
}
