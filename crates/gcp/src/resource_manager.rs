//! Resource Manager v3 client (`https://cloudresourcemanager.googleapis.com/`, discovery
//! `cloudresourcemanager-v3.json`): find projects, read and write project IAM policies.
//! A missing or hidden project answers 403, never 404 (gcp-apis.md §6).

use crate::http::{Call, GoogleHttp};
use crate::kms::string_list;
use cmek_core::iam::{Policy, POLICY_VERSION_CONDITIONS};
use cmek_core::Result;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct ResourceManagerClient {
    http: GoogleHttp,
    base: String,
}

/// `Project` (v3), the fields we read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Project {
    /// `projects/{number}`.
    pub name: String,
    pub project_id: String,
    pub display_name: String,
    pub state: String,
    /// `organizations/{id}` or `folders/{id}`; empty when the project has no parent.
    pub parent: String,
}

/// `Folder` (v3), the fields we read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Folder {
    /// `folders/{id}`.
    pub name: String,
    /// `organizations/{id}` or `folders/{id}`.
    pub parent: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SearchProjectsResponse {
    projects: Vec<Project>,
    next_page_token: Option<String>,
}

impl ResourceManagerClient {
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

    /// `cloudresourcemanager.projects.search` with `query` (e.g. `state:ACTIVE`), all pages.
    pub async fn search_projects(&self, query: &str) -> Result<Vec<Project>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, format!("{}v3/projects:search", self.base))
                .query("query", query);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: SearchProjectsResponse = self.http.send(call).await?;
            out.extend(page.projects);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// `cloudresourcemanager.projects.get` (v3): the project with its `parent`.
    pub async fn get_project(&self, project: &str) -> Result<Project> {
        let call = Call::new(Method::GET, format!("{}v3/projects/{project}", self.base));
        self.http.send(call).await
    }

    /// `cloudresourcemanager.folders.get` (v3) of `folders/{id}`: the folder with its `parent`.
    pub async fn get_folder(&self, folder: &str) -> Result<Folder> {
        let call = Call::new(Method::GET, format!("{}v3/{folder}", self.base));
        self.http.send(call).await
    }

    /// `cloudresourcemanager.projects.getIamPolicy` (POST with `options` in the body).
    pub async fn get_iam_policy(&self, project: &str) -> Result<Policy> {
        let call = Call::new(
            Method::POST,
            format!("{}v3/projects/{project}:getIamPolicy", self.base),
        )
        .body(json!({"options": {"requestedPolicyVersion": POLICY_VERSION_CONDITIONS}}))
        .read_only();
        self.http.send(call).await
    }

    /// `cloudresourcemanager.projects.setIamPolicy`; idempotent by the etag the policy carries.
    pub async fn set_iam_policy(&self, project: &str, policy: &Policy) -> Result<Policy> {
        let call = Call::new(
            Method::POST,
            format!("{}v3/projects/{project}:setIamPolicy", self.base),
        )
        .body(json!({"policy": policy}))
        .idempotent();
        self.http.send(call).await
    }

    /// `cloudresourcemanager.{organizations|folders|projects}.testIamPermissions` on `resource`
    /// (`organizations/{id}`, `folders/{id}`, `projects/{id}`): the subset of `permissions` the
    /// caller holds there.
    pub async fn test_scope_permissions(
        &self,
        resource: &str,
        permissions: &[&str],
    ) -> Result<Vec<String>> {
        let call = Call::new(
            Method::POST,
            format!("{}v3/{resource}:testIamPermissions", self.base),
        )
        .body(json!({"permissions": permissions}))
        .read_only();
        let v: Value = self.http.send(call).await?;
        Ok(string_list(&v["permissions"]))
    }

    /// `cloudresourcemanager.projects.testIamPermissions`.
    pub async fn test_iam_permissions(
        &self,
        project: &str,
        permissions: &[&str],
    ) -> Result<Vec<String>> {
        let call = Call::new(
            Method::POST,
            format!("{}v3/projects/{project}:testIamPermissions", self.base),
        )
        .body(json!({"permissions": permissions}))
        .read_only();
        let v: Value = self.http.send(call).await?;
        Ok(string_list(&v["permissions"]))
    }
}
