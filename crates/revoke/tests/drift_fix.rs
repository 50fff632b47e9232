//! The one-click drift fix against the sandbox over HTTP: it removes exactly one member from
//! one role (unconditional) and leaves every other binding, the conditional copy of the same
//! grant and the audit configs byte-identical; another writer between our read and our write
//! is kept (409 ABORTED, redone from a fresh read); a wrong confirmation writes and logs
//! nothing; the service-account level works the same; a missing grant is added back.

mod common;
use cmek_activity::{EntryKind, EntryStatus};
use cmek_core::iam::{Expr, Grant, ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR};
use cmek_core::ErrorCode;
use cmek_revoke::{fix_drift, DriftFix, DriftFixAction, IamResource, RevokeEvent, RevokeStep};
use common::*;
use serde_json::{json, Value};

const INTRUDER: &str = "user:intruder@example.com";
const SET_KMS_POLICY: &str = "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy";

fn until_2030() -> Value {
    json!({"title": "until 2030", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"})
}

/// KEY's policy: the expected grant with the intruder added, a conditional copy of the
/// intruder's grant, another role and audit configs.
fn rich_policy(env: &Env) -> Value {
    let sa = format!("serviceAccount:{SA}");
    let policy = json!({
        "bindings": [
            {"role": ROLE_ENCRYPTER_DECRYPTER, "members": [sa, INTRUDER, "group:ops@example.com"]},
            {"role": "roles/cloudkms.viewer", "members": ["group:ops@example.com"]},
            {"role": ROLE_ENCRYPTER_DECRYPTER, "members": [INTRUDER], "condition": until_2030()},
        ],
        "auditConfigs": [{"service": "cloudkms.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "ADMIN_READ", "exemptedMembers": ["group:ops@example.com"]}]}],
    });
    env.sb.set_iam_policy_direct(KEY, policy)
}

fn fix(grant: Grant) -> DriftFix {
    DriftFix {
        finding_id: "drift-0000000000000001".into(),
        resource: IamResource::Kms { name: KEY.into() },
        grant,
        action: DriftFixAction::RemoveBinding,
        confirm_text: "shared-key".into(),
        summary: "user:intruder@example.com holds Encrypter/Decrypter on key shared-key".into(),
    }
}

/// `policy` without its etag, and with `member` taken out of binding `index`.
fn expected_after(policy: &Value, index: usize, member: &str) -> Value {
    let mut p = policy.clone();
    p.as_object_mut().unwrap().remove("etag");
    let members = p["bindings"][index]["members"].as_array_mut().unwrap();
    members.retain(|m| m != member);
    p
}

fn without_etag(policy: &Value) -> String {
    let mut p = policy.clone();
    p.as_object_mut().unwrap().remove("etag");
    serde_json::to_string(&p).unwrap()
}

#[tokio::test]
async fn the_fix_removes_only_that_binding_and_leaves_the_rest_byte_identical() {
    let env = env("drift-fix").await;
    provision_shared(&env.ctx).await;
    let before = rich_policy(&env);
    env.sb.clear_requests();

    // Wrong confirmation: nothing written, nothing logged.
    let f = fix(Grant::new(ROLE_ENCRYPTER_DECRYPTER, INTRUDER));
    let e = fix_drift(&env.ctx, &env.log, &f, "shared", &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(env.sb.write_count(), 0);
    assert!(env.log.entries().unwrap().is_empty());

    let (events, sink) = collector();
    let r = fix_drift(&env.ctx, &env.log, &f, "shared-key", &sink)
        .await
        .unwrap();
    assert!(r.changed && r.verified);
    let after = env.sb.iam_policy(KEY);
    assert_eq!(
        without_etag(&after),
        serde_json::to_string(&expected_after(&before, 0, INTRUDER)).unwrap(),
        "only that member left that binding"
    );
    assert!(
        r.after.grants.contains(&Grant {
            condition: Some(serde_json::from_value::<Expr>(until_2030()).unwrap()),
            ..Grant::new(ROLE_ENCRYPTER_DECRYPTER, INTRUDER)
        }),
        "the conditional copy is another binding: kept"
    );
    assert_eq!(env.sb.write_count(), 1, "one etag-carrying write");
    let write = env
        .sb
        .requests()
        .into_iter()
        .find(|q| q.operation == SET_KMS_POLICY)
        .unwrap();
    assert_eq!(write.body["policy"]["etag"], before["etag"]);
    assert!(events.lock().unwrap().iter().any(|e| matches!(
        e,
        RevokeEvent::StepFinished {
            step: RevokeStep::RemoveBinding,
            ..
        }
    )));

    // Logged like revoke: operation, intent with the policy before, outcome with after.
    let entries = env.log.operation_entries(&r.operation_id).unwrap();
    let kinds: Vec<_> = entries
        .iter()
        .map(|e| (e.kind, e.action.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EntryKind::OperationStarted, "drift.remediate"),
            (EntryKind::Intent, "drift.remove_binding"),
            (EntryKind::Outcome, "drift.remove_binding"),
            (EntryKind::OperationFinished, "drift.remediate"),
        ]
    );
    assert_eq!(entries[2].status, Some(EntryStatus::Ok));
    assert_eq!(entries[3].status, Some(EntryStatus::Ok));

    // Run again: nothing to change, no write.
    let again = fix_drift(&env.ctx, &env.log, &f, "shared-key", &|_| {})
        .await
        .unwrap();
    assert!(!again.changed && again.verified);
    assert_eq!(env.sb.write_count(), 1);
}

#[tokio::test]
async fn another_writer_between_our_read_and_our_write_is_kept() {
    let env = env("drift-etag").await;
    provision_shared(&env.ctx).await;
    rich_policy(&env);
    env.sb.clear_requests();
    let late = "user:late@example.com";
    env.sb.before_next(
        SET_KMS_POLICY,
        Box::new(move |s| {
            s.add_binding_direct(KEY, "roles/cloudkms.viewer", late);
        }),
    );
    let r = fix_drift(
        &env.ctx,
        &env.log,
        &fix(Grant::new(ROLE_ENCRYPTER_DECRYPTER, INTRUDER)),
        "shared-key",
        &|_| {},
    )
    .await
    .unwrap();
    assert!(r.changed && r.verified);
    let statuses: Vec<u16> = env
        .sb
        .requests()
        .into_iter()
        .filter(|q| q.operation == SET_KMS_POLICY)
        .map(|q| q.status)
        .collect();
    assert_eq!(statuses, vec![409, 200], "stale etag refused, redone");
    let after = env.sb.iam_policy(KEY);
    let grants = grant_set(&after);
    assert!(grants.iter().any(|g| g.contains(late)), "{grants:?}");
    assert!(!grants.contains(
        &serde_json::to_string(&Grant::new(ROLE_ENCRYPTER_DECRYPTER, INTRUDER)).unwrap()
    ));
    assert!(after["auditConfigs"].is_array(), "audit configs kept");
}

#[tokio::test]
async fn the_service_account_level_and_a_missing_grant_go_the_same_way() {
    let env = env("drift-sa").await;
    provision_shared(&env.ctx).await;
    let res = sa_resource();
    let before = env
        .sb
        .with_state(|s| s.add_binding_direct(&res, ROLE_TOKEN_CREATOR, INTRUDER));
    let f = DriftFix {
        resource: IamResource::service_account(SA),
        confirm_text: SA.into(),
        ..fix(Grant::new(ROLE_TOKEN_CREATOR, INTRUDER))
    };
    let r = fix_drift(&env.ctx, &env.log, &f, SA, &|_| {})
        .await
        .unwrap();
    assert!(r.changed && r.verified);
    let idx = before["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .position(|b| {
            b["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == INTRUDER)
        })
        .unwrap();
    assert_eq!(
        without_etag(&env.sb.iam_policy(&res)),
        serde_json::to_string(&expected_after(&before, idx, INTRUDER)).unwrap(),
        "CockroachDB's Token Creator grants are untouched"
    );

    // Missing: the expected grant comes back exactly.
    let sa_member = format!("serviceAccount:{SA}");
    env.sb
        .with_state(|s| s.remove_binding_direct(KEY, ROLE_ENCRYPTER_DECRYPTER, &sa_member));
    let add = DriftFix {
        action: DriftFixAction::AddBinding,
        ..fix(Grant::new(ROLE_ENCRYPTER_DECRYPTER, sa_member.clone()))
    };
    let r = fix_drift(&env.ctx, &env.log, &add, "shared-key", &|_| {})
        .await
        .unwrap();
    assert!(r.changed && r.verified);
    assert!(r
        .after
        .grants
        .contains(&Grant::new(ROLE_ENCRYPTER_DECRYPTER, sa_member)));
}
