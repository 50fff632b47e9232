//! Service Usage v1 client (`https://serviceusage.googleapis.com/`, discovery
//! `serviceusage-v1.json`): is an API enabled in a project, enable it, poll the operation.

use crate::http::{Call, GoogleHttp};
use cmek_core::service_usage::{Operation, Service};
use cmek_core::Result;
use reqwest::Method;
use serde_json::json;

#[derive(Clone)]
pub struct ServiceUsageClient {
    http: GoogleHttp,
    base: String,
}

impl ServiceUsageClient {
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

    /// `serviceusage.services.get`.
    pub async fn get_service(&self, project: &str, service: &str) -> Result<Service> {
        self.http
            .send(Call::new(
                Method::GET,
                format!("{}v1/projects/{project}/services/{service}", self.base),
            ))
            .await
    }

    /// `serviceusage.services.enable`: returns a long-running operation. Idempotent (an enabled
    /// service answers `operations/noop.DONE_OPERATION`), so retried after a 5xx or time-out.
    pub async fn enable_service(&self, project: &str, service: &str) -> Result<Operation> {
        let url = format!(
            "{}v1/projects/{project}/services/{service}:enable",
            self.base
        );
        self.http
            // Enabling an enabled service is a no-op operation (gcp-apis.md §7): idempotent.
            .send(Call::new(Method::POST, url).body(json!({})).idempotent())
            .await
    }

    /// `serviceusage.operations.get`. Never call it for `operations/noop.DONE_OPERATION`.
    pub async fn get_operation(&self, name: &str) -> Result<Operation> {
        self.http
            .send(Call::new(Method::GET, format!("{}v1/{name}", self.base)))
            .await
    }
}
