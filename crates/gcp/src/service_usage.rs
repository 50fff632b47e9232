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

    /// `serviceusage.services.get`.
    pub async fn get_service(&self, project: &str, service: &str) -> Result<Service> {
        self.http
            .send(Call::new(
                Method::GET,
                format!("{}v1/projects/{project}/services/{service}", self.base),
            ))
            .await
    }

    /// `serviceusage.services.enable`: returns a long-running operation.
    pub async fn enable_service(&self, project: &str, service: &str) -> Result<Operation> {
        let url = format!(
            "{}v1/projects/{project}/services/{service}:enable",
            self.base
        );
        self.http
            .send(Call::new(Method::POST, url).body(json!({})))
            .await
    }

    /// `serviceusage.operations.get`. Never call it for `operations/noop.DONE_OPERATION`.
    pub async fn get_operation(&self, name: &str) -> Result<Operation> {
        self.http
            .send(Call::new(Method::GET, format!("{}v1/{name}", self.base)))
            .await
    }
}
