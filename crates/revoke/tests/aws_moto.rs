//! AWS revocation and recovery with the AWS part on moto in server mode (the reference no one
//! here wrote) and the CockroachDB part from the sandbox: the role and key are made in moto as
//! the procedure makes them (plus statements of others that must survive); two sandbox clusters
//! are ENABLED on them (set, as the sandbox cannot check moto's chain). Each lever removes only
//! CockroachDB's statement, reaches REVOKED, the snapshot in the activity log holds the exact
//! policies before, and recovery puts back a policy equal to the snapshot's (parsed: equal
//! modulo formatting); a second recovery writes nothing. One moto per test binary.

mod common;
mod common_aws;

use cmek_activity::ActivityLog;
use cmek_aws::AwsClient;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::aws::statements::{KEY_POLICY_SID, TRUST_SID};
use cmek_revoke::aws::AwsRevokeSnapshot;
use cmek_revoke::{recover, revoke, Lever, RevokeControl, RevokeRequest};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use cmek_sandbox::{Sandbox, SandboxConfig, AWS_CUSTOMER_ACCOUNT_ID, AWS_REGION};
use common_aws::{make_chain, statements, without_sid, NAME, OTHER};

struct MotoEnv {
    sb: cmek_sandbox::SandboxHandle,
    aws: AwsClient,
    ctx: cmek_revoke::RevokeContext,
    log: ActivityLog,
    key: String,
    role_name: String,
}

impl MotoEnv {
    async fn key_policy(&self) -> PolicyDocument {
        self.aws
            .get_key_policy(AWS_REGION, &self.key)
            .await
            .unwrap()
    }
    async fn trust(&self) -> PolicyDocument {
        self.aws
            .get_role(&self.role_name)
            .await
            .unwrap()
            .unwrap()
            .trust_policy
    }
}

/// Role `role_name` and a key in moto, two sandbox AWS clusters ENABLED on them; `None` only
/// when moto is missing and allowed to be.
async fn moto_env(role_name: &str) -> Option<MotoEnv> {
    let moto = cmek_sandbox::moto::shared(AWS_CUSTOMER_ACCOUNT_ID)?;
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    sb.add_cluster_like(AWS_CLUSTER_ID, OTHER, "aws-reporting");
    let aws = aws_client_on(&moto.endpoint).await;
    let (key, role) = make_chain(&aws, role_name).await;
    for c in [AWS_CLUSTER_ID, OTHER] {
        sb.set_aws_cmek_enabled(c, AWS_REGION, &key, &role);
    }
    let ctx = common::context(&sb).with_aws(aws.clone());
    let log = ActivityLog::open_in(&common::temp_dir(&format!("moto-{role_name}"))).unwrap();
    Some(MotoEnv {
        sb,
        aws,
        ctx,
        log,
        key,
        role_name: role_name.to_owned(),
    })
}

/// The same client settings as the sandbox's, on moto.
async fn aws_client_on(endpoint: &str) -> AwsClient {
    use cmek_aws::{AwsCredentials, AwsOptions};
    let options = AwsOptions::new(AwsCredentials::AccessKeys {
        access_key_id: "SANDBOX-MOTO".into(),
        secret_access_key: cmek_core::Secret::new("moto"),
        session_token: None,
    })
    .with_endpoint(endpoint)
    .with_region(AWS_REGION);
    AwsClient::connect(options).await.with_retry_policy(
        cmek_retry::policy::HTTP_TRANSIENT
            .with_min_delay(std::time::Duration::from_millis(10))
            .with_max_delay(std::time::Duration::from_millis(50)),
    )
}

fn req(lever: Lever) -> RevokeRequest {
    RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever,
        confirm_name: NAME.into(),
    }
}

/// Revokes with `lever`, checks the snapshot and the removal, recovers and checks the restore.
/// `read` reads the policy the lever edits, `other` the one it must not touch; `sid` is our
/// statement's.
async fn revoke_and_recover(e: &MotoEnv, lever: Lever, sid: &str, edits_key: bool) {
    let read = |key: bool| async move {
        if key {
            e.key_policy().await
        } else {
            e.trust().await
        }
    };
    let before = read(edits_key).await;
    let other_before = read(!edits_key).await;
    let (aws_writes, sb_writes) = (e.aws.write_calls(), e.sb.write_count());
    let report = revoke(
        &e.ctx,
        &e.log,
        &req(lever),
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.cmek_status, "REVOKED", "{lever:?}");
    let outcome = report.aws.clone().unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert_eq!(
        e.aws.write_calls() - aws_writes,
        1,
        "{lever:?}: one AWS write"
    );
    assert_eq!(e.sb.write_count() - sb_writes, 1, "{lever:?}: REVOKE");

    // The snapshot holds both policies exactly as they were, and the one statement removed.
    let snap: AwsRevokeSnapshot = e.log.snapshot(&report.operation_id).unwrap().unwrap();
    let recorded: Vec<PolicyDocument> = snap
        .policies
        .iter()
        .map(|p| p.document().unwrap())
        .collect();
    assert!(recorded.contains(&before), "{lever:?}: {recorded:#?}");
    assert_eq!(snap.removals.len(), 1);
    assert_eq!(snap.removals[0].statements.len(), 1);
    assert_eq!(snap.removals[0].statements[0].statement["Sid"], sid);

    // Only our statement is gone on moto; the other policy is untouched.
    let after = read(edits_key).await;
    assert_eq!(
        statements(&after.to_json()),
        without_sid(&before.to_json(), sid),
        "{lever:?}: every other statement, condition and unknown member is kept"
    );
    assert_eq!(read(!edits_key).await, other_before, "{lever:?}");

    let rec = recover(&e.ctx, &e.log, &report.operation_id, &|_| {})
        .await
        .unwrap();
    assert!(rec.verified, "{rec:#?}");
    assert_eq!(
        read(edits_key).await,
        before,
        "{lever:?}: moto holds the snapshot's policy again"
    );
    assert_eq!(
        e.aws.write_calls() - aws_writes,
        2,
        "{lever:?}: one restore"
    );
    // Restored once: a second recovery writes nothing (it is refused, or finds all in place).
    match recover(&e.ctx, &e.log, &report.operation_id, &|_| {}).await {
        Ok(again) => assert!(again.verified, "{again:#?}"),
        Err(err) => assert_eq!(
            err.code,
            cmek_core::ErrorCode::FailedPrecondition,
            "{err:?}"
        ),
    }
    assert_eq!(
        e.aws.write_calls() - aws_writes,
        2,
        "{lever:?}: restored once"
    );
}

#[tokio::test]
async fn the_key_policy_lever_revokes_and_recovers_exactly_on_moto() {
    let Some(e) = moto_env("crdb-cmek-key-lever").await else {
        return;
    };
    revoke_and_recover(&e, Lever::KeyPolicyStatement, KEY_POLICY_SID, true).await;
}

#[tokio::test]
async fn the_role_trust_lever_revokes_and_recovers_exactly_on_moto() {
    let Some(e) = moto_env("crdb-cmek-trust-lever").await else {
        return;
    };
    revoke_and_recover(&e, Lever::RoleTrust, TRUST_SID, false).await;
}
