//! The AWS half of the revocation use cases: the revoke context gets the session's AWS client
//! when the cluster is an AWS one (or the operation's snapshot is an AWS one), so
//! `preview_revoke`, `revoke_cluster`, `resume_revoke` and `recover_revoke` serve both
//! providers (`cmek_revoke` dispatches by provider). A Google Cloud cluster never triggers an
//! AWS credential lookup.

use cmek_core::Result;
use cmek_revoke::RevokeContext;

use crate::Desk;

impl Desk {
    /// `ctx` with the AWS client when `cluster_id` is an AWS cluster. Errors: the cluster read;
    /// `UNAUTHENTICATED` from [`Desk::aws_client`] when an AWS cluster has no usable credentials.
    pub(crate) async fn with_aws_for_cluster(
        &self,
        ctx: RevokeContext,
        cluster_id: &str,
    ) -> Result<RevokeContext> {
        let cluster = ctx.cockroach.get_cluster(cluster_id).await?;
        if cluster.cloud_provider != "AWS" {
            return Ok(ctx);
        }
        Ok(ctx.with_aws(self.aws_client().await?))
    }

    /// `ctx` with the AWS client when revocation `operation_id`'s snapshot is an AWS one.
    pub(crate) async fn with_aws_for_operation(
        &self,
        ctx: RevokeContext,
        log: &cmek_activity::ActivityLog,
        operation_id: &str,
    ) -> Result<RevokeContext> {
        let snapshot: Option<serde_json::Value> = log.snapshot(operation_id)?;
        let aws = snapshot
            .as_ref()
            .and_then(|s| s.get("provider"))
            .and_then(|p| p.as_str())
            == Some(cmek_revoke::aws::AWS_PROVIDER);
        if !aws {
            return Ok(ctx);
        }
        Ok(ctx.with_aws(self.aws_client().await?))
    }
}
