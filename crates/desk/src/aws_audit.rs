//! The audit with its AWS side (issue #9): [`Desk::start_audit_with_aws`] runs
//! `cmek_audit::run_audit_with_aws` with [`Desk::audit_aws_client`]: live, the session's AWS
//! client ([`Desk::aws_client`]) when AWS credentials are set up or regions are asked for; in
//! sandbox mode (in-process or `cmek sandbox serve`) the sandbox's AWS endpoint (`{base}/aws`)
//! with the demo keys of its audit account (`cmek_sandbox::AWS_AUDIT_ACCESS_KEY_ID`), where the
//! audit seed's AWS keys, roles and the AWS clusters' CMEK resources live.

use crate::operations::OperationKind;
use crate::{on_cancel, Desk};
use cmek_audit::aws::AwsScan;
use cmek_audit::{run_audit_with_aws, AuditClients, AuditReport, ScanEvent, ScanOptions};
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions, DEFAULT_REGION};
use cmek_core::plan::ConnectionMode;
use cmek_core::{Result, Secret};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

impl Desk {
    /// The AWS client the audit reads with (see the module docs). Live: `None` when no AWS
    /// credentials are set up and no region is asked for (a Google-only audit makes no AWS
    /// call); errors of [`Desk::aws_client`] only when regions were asked for.
    pub async fn audit_aws_client(&self, regions: &[String]) -> Result<Option<AwsClient>> {
        let connection = self.connection().await?;
        if connection.info.mode == ConnectionMode::Sandbox {
            let region = regions.first().map_or(DEFAULT_REGION, String::as_str);
            // In-process or `cmek sandbox serve`: AWS is `{base}/aws`, next to `{base}/kms/`.
            let kms = connection.google_endpoints.kms.trim_end_matches('/');
            let Some(base) = kms.strip_suffix("/kms") else {
                return Ok(None);
            };
            let options = AwsOptions::new(AwsCredentials::AccessKeys {
                access_key_id: cmek_sandbox::AWS_AUDIT_ACCESS_KEY_ID.to_owned(),
                secret_access_key: Secret::new(cmek_sandbox::AWS_AUDIT_SECRET_ACCESS_KEY),
                session_token: None,
            })
            .with_endpoint(format!("{base}/aws"))
            .with_region(region);
            return Ok(Some(AwsClient::connect(options).await));
        }
        if regions.is_empty() && self.aws_status().await.account.is_none() {
            return Ok(None);
        }
        match self.aws_client().await {
            Ok(client) => Ok(Some(client)),
            Err(e) if regions.is_empty() => {
                tracing::warn!(code = ?e.code, "audit without AWS: no usable AWS credentials");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// [`Desk::start_audit`] plus AWS: KMS keys of `aws_regions` and of the regions the
    /// clusters' AWS key ARNs name, the account's roles, the AWS rows and AWS access graphs.
    /// With no region and no AWS cluster no AWS call is made and the AWS rows stay "not
    /// applicable".
    pub async fn start_audit_with_aws(
        &self,
        options: &ScanOptions,
        aws_regions: &[String],
        on_event: &(dyn Fn(ScanEvent) + Send + Sync),
    ) -> Result<AuditReport> {
        let connection = self.connection().await?;
        let aws = self.audit_aws_client(aws_regions).await?;
        let running = self.operations.start(OperationKind::Audit);
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        on_cancel(&running.token, move || flag.store(true, Ordering::SeqCst));
        let clients = AuditClients {
            google: &connection.google,
            cockroach: Some(&connection.cockroach),
            identity: &connection.info.google_identity,
        };
        let scan = aws.as_ref().map(|client| AwsScan {
            client,
            regions: aws_regions,
        });
        let report = run_audit_with_aws(clients, scan, options, &cancel, on_event).await;
        *self.last_audit.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(report.clone()));
        Ok(report)
    }
}
