//! IAM v1 service-account client (`https://iam.googleapis.com/`, discovery `iam-v1.json`).
//!
//! Note the IAM quirks (gcp-apis.md §5): `getIamPolicy` is a POST (a read), creation is
//! eventually consistent (an immediate `get` may answer 404/403; field report B07).

use crate::http::{Call, GoogleHttp};
use crate::kms::{found, string_list};
use cmek_core::iam::{Policy, POLICY_VERSION_CONDITIONS};
use cmek_core::service_account::{CreateServiceAccountRequest, ServiceAccount};
use cmek_core::Result;
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct IamClient {
    http: GoogleHttp,
    base: String,
}

/// `projects/{project}/serviceAccounts/{email}`.
pub fn service_account_name(project: &str, email: &str) -> String {
    format!("projects/{project}/serviceAccounts/{email}")
}

impl IamClient {
    pub fn new(http: GoogleHttp, base: &str) -> Self {
        Self {
            http,
            base: base.to_owned(),
        }
    }

    /// The same client whose retry and pacing waits end when `token` is cancelled.
    pub fn with_cancel(&self, token: &crate::http::CancellationToken) -> Self {
        Self {
            http: self.http.clone().with_cancel(token.clone()),
            base: self.base.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}v1/{path}", self.base)
    }

    /// `iam.projects.serviceAccounts.get`; `Ok(None)` on 404 "Unknown service account".
    pub async fn get_service_account(
        &self,
        project: &str,
        email: &str,
    ) -> Result<Option<ServiceAccount>> {
        let name = service_account_name(project, email);
        found(
            self.http
                .send(Call::new(Method::GET, self.url(&name)))
                .await,
        )
    }

    /// `iam.projects.serviceAccounts.create`.
    pub async fn create_service_account(
        &self,
        project: &str,
        account_id: &str,
        display_name: &str,
        description: &str,
    ) -> Result<ServiceAccount> {
        let body = CreateServiceAccountRequest {
            account_id: account_id.to_owned(),
            service_account: ServiceAccount {
                display_name: Some(display_name.to_owned()),
                description: Some(description.to_owned()),
                ..Default::default()
            },
        };
        let body =
            serde_json::to_value(body).map_err(|e| cmek_core::Error::internal(e.to_string()))?;
        self.http
            .send(
                Call::new(
                    Method::POST,
                    self.url(&format!("projects/{project}/serviceAccounts")),
                )
                .body(body),
            )
            .await
    }

    /// `iam.projects.serviceAccounts.disable` (immediate; existing tokens stop working).
    pub async fn disable_service_account(&self, project: &str, email: &str) -> Result<()> {
        let name = service_account_name(project, email);
        let _: Value = self
            .http
            .send(Call::new(Method::POST, self.url(&format!("{name}:disable"))).body(json!({})))
            .await?;
        Ok(())
    }

    /// `iam.projects.serviceAccounts.enable`.
    pub async fn enable_service_account(&self, project: &str, email: &str) -> Result<()> {
        let name = service_account_name(project, email);
        let _: Value = self
            .http
            .send(Call::new(Method::POST, self.url(&format!("{name}:enable"))).body(json!({})))
            .await?;
        Ok(())
    }

    /// `iam.projects.serviceAccounts.getIamPolicy` (POST with the version as a query param).
    pub async fn get_iam_policy(&self, project: &str, email: &str) -> Result<Policy> {
        let name = service_account_name(project, email);
        let call = Call::new(Method::POST, self.url(&format!("{name}:getIamPolicy")))
            .query(
                "options.requestedPolicyVersion",
                POLICY_VERSION_CONDITIONS.to_string(),
            )
            .read_only();
        self.http.send(call).await
    }

    /// `iam.projects.serviceAccounts.setIamPolicy`; idempotent by the etag the policy carries.
    pub async fn set_iam_policy(
        &self,
        project: &str,
        email: &str,
        policy: &Policy,
    ) -> Result<Policy> {
        let name = service_account_name(project, email);
        self.http
            .send(
                Call::new(Method::POST, self.url(&format!("{name}:setIamPolicy")))
                    .body(json!({ "policy": policy }))
                    .idempotent(),
            )
            .await
    }

    /// `iam.projects.serviceAccounts.testIamPermissions`.
    pub async fn test_iam_permissions(
        &self,
        project: &str,
        email: &str,
        permissions: &[&str],
    ) -> Result<Vec<String>> {
        let name = service_account_name(project, email);
        let call = Call::new(
            Method::POST,
            self.url(&format!("{name}:testIamPermissions")),
        )
        .body(json!({ "permissions": permissions }))
        .read_only();
        let v: Value = self.http.send(call).await?;
        Ok(string_list(&v["permissions"]))
    }
}
