//! The AWS policy write is checked: a key policy that comes back altered after our write (a
//! sandbox switch changes the stored policy) fails the revocation with the difference named,
//! before REVOKE is sent.

mod common;
mod common_aws;

use cmek_core::ErrorCode;
use cmek_revoke::{revoke, Lever, RevokeControl, RevokeRequest};
use cmek_sandbox::seed::AWS_CLUSTER_ID;
use common_aws::{env, NAME};

#[tokio::test]
async fn a_key_policy_altered_after_our_write_fails_naming_the_difference() {
    let e = env("aws-checked-write").await;
    let writes = e.sb.write_count();
    e.sb.tamper_next_key_policy_write(|p| {
        p["Statement"][0]["Action"] = serde_json::json!(["kms:*", "kms:Decrypt"]);
    });
    let req = RevokeRequest {
        cluster_id: AWS_CLUSTER_ID.into(),
        lever: Lever::KeyPolicyStatement,
        confirm_name: NAME.into(),
    };
    let err = revoke(&e.ctx, &e.log, &req, &RevokeControl::default(), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal, "{err:?}");
    assert!(
        err.message.contains("read back differs") && err.message.contains("kms:Decrypt"),
        "{}",
        err.message
    );
    assert_eq!(e.sb.write_count() - writes, 1, "REVOKE was not sent");
    assert!(
        e.log.pending_operations().unwrap().is_empty(),
        "the failure is recorded"
    );
}
