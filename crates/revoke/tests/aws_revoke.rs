//! AWS revocation and recovery against the in-process sandbox over HTTP (IAM, KMS and the
//! CockroachDB simulation that enables an AWS region only if the trust and key policy allow
//! it): two AWS clusters share one role and one key; each lever reaches REVOKED, leaves every
//! other statement (conditions, unknown members) identical, and recovery puts back exactly the
//! snapshot's policy; the activity log's intents match the sandbox's writes; a wrong
//! confirmation changes nothing.

mod common;
mod common_aws;

use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::{KEY_POLICY_SID, TRUST_SID};
use cmek_core::ErrorCode;
use cmek_revoke::{recover, revoke, Lever, RevokeControl, RevokeRequest};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use common_aws::{env, statements, without_sid, write_intents, NAME, OTHER};

fn req(lever: Lever, confirm: &str) -> RevokeRequest {
    RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever,
        confirm_name: confirm.into(),
    }
}

#[tokio::test]
async fn the_preview_offers_the_two_aws_levers_and_names_the_cluster_sharing_role_and_key() {
    let e = env("aws-preview").await;
    let p = cmek_revoke::preview_revoke(&e.ctx, AWS_CLUSTER_ID)
        .await
        .unwrap();
    assert_eq!(p.confirm_text, NAME);
    assert_eq!(p.roles, vec![e.role.clone()]);
    assert_eq!(p.keys, vec![e.key.clone()]);
    let levers: Vec<Lever> = p.levers.iter().map(|l| l.lever).collect();
    assert_eq!(levers, vec![Lever::KeyPolicyStatement, Lever::RoleTrust]);
    for l in &p.levers {
        assert_eq!(l.affected_clusters, vec![AWS_CLUSTER_ID, OTHER], "{l:#?}");
        assert!(l.reach_text.contains("aws-reporting"), "{}", l.reach_text);
        assert_eq!(l.aws_removals.len(), 1);
        assert_eq!(l.aws_removals[0].statements.len(), 1);
        assert!(l.removals.is_empty() && l.disables.is_empty());
    }
    let key_lever = &p.levers[0];
    assert!(key_lever.is_default);
    assert_eq!(key_lever.aws_removals[0].policy.arn, e.key);
    assert_eq!(
        key_lever.aws_removals[0].statements[0].statement["Sid"],
        KEY_POLICY_SID
    );
    assert_eq!(p.levers[1].aws_removals[0].policy.arn, e.role);
    assert_eq!(p.sharing.len(), 1);
    assert_eq!(p.sharing[0].cluster_id, OTHER);
}

#[tokio::test]
async fn a_wrong_confirmation_or_a_gcp_lever_changes_nothing() {
    let e = env("aws-wrong-confirm").await;
    let writes = e.sb.write_count();
    let c = RevokeControl::default();
    let err = revoke(
        &e.ctx,
        &e.log,
        &req(Lever::KeyPolicyStatement, "aws-analytic"),
        &c,
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let err = revoke(&e.ctx, &e.log, &req(Lever::TokenCreator, NAME), &c, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    assert_eq!(e.sb.write_count(), writes);
    assert!(e.log.entries().unwrap().is_empty());
    assert_eq!(e.sb.aws_key_policy(&e.key).unwrap(), e.key_policy);
}

#[tokio::test]
async fn the_key_policy_lever_revokes_and_recovery_restores_the_exact_policy() {
    let e = env("aws-key-lever").await;
    let writes = e.sb.write_count();
    let c = RevokeControl::default();
    let report = revoke(
        &e.ctx,
        &e.log,
        &req(Lever::KeyPolicyStatement, NAME),
        &c,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.cmek_status, "REVOKED");
    let outcome = report.aws.clone().unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    let after = e.sb.aws_key_policy(&e.key).unwrap();
    assert_eq!(
        statements(&after),
        without_sid(&e.key_policy, KEY_POLICY_SID),
        "every other statement, condition and unknown member is kept"
    );
    assert!(after.contains("kept verbatim"));
    assert_eq!(
        e.sb.aws_role(&e.role).unwrap().trust,
        e.trust,
        "trust untouched"
    );
    // remove_statement + REVOKE
    assert_eq!(e.sb.write_count() - writes, 2);
    assert_eq!(write_intents(&e.log), 2);

    let rec = recover(&e.ctx, &e.log, &report.operation_id, &|_| {})
        .await
        .unwrap();
    assert!(rec.verified, "{rec:#?}");
    assert!(rec.support_request.is_some());
    assert_eq!(
        PolicyDocument::parse("after", &e.sb.aws_key_policy(&e.key).unwrap()).unwrap(),
        PolicyDocument::parse("before", &e.key_policy).unwrap(),
        "the policy is the snapshot's again"
    );
    assert_eq!(e.sb.write_count() - writes, 3);
    assert_eq!(write_intents(&e.log), 3);

    // Restored once: a second recovery is refused and writes nothing (issue 13).
    let again = recover(&e.ctx, &e.log, &report.operation_id, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(again.code, cmek_core::ErrorCode::FailedPrecondition);
    assert!(
        again.message.contains("already recovered"),
        "{}",
        again.message
    );
    assert_eq!(e.sb.write_count() - writes, 3);
}

#[tokio::test]
async fn the_role_trust_lever_revokes_and_recovery_restores_the_exact_trust() {
    let e = env("aws-trust-lever").await;
    let writes = e.sb.write_count();
    let c = RevokeControl::default();
    let report = revoke(&e.ctx, &e.log, &req(Lever::RoleTrust, NAME), &c, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.cmek_status, "REVOKED");
    let after = e.sb.aws_role(&e.role).unwrap().trust;
    assert_eq!(statements(&after), without_sid(&e.trust, TRUST_SID));
    assert_eq!(
        e.sb.aws_key_policy(&e.key).unwrap(),
        e.key_policy,
        "key policy untouched"
    );
    assert_eq!(e.sb.write_count() - writes, 2);
    assert_eq!(write_intents(&e.log), 2);

    let rec = recover(&e.ctx, &e.log, &report.operation_id, &|_| {})
        .await
        .unwrap();
    assert!(rec.verified, "{rec:#?}");
    assert_eq!(
        PolicyDocument::parse("after", &e.sb.aws_role(&e.role).unwrap().trust).unwrap(),
        PolicyDocument::parse("before", &e.trust).unwrap()
    );
    assert_eq!(e.sb.write_count() - writes, 3);
    assert_eq!(write_intents(&e.log), 3);
}
