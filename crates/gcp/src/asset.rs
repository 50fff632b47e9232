//! Cloud Asset Inventory v1 (`https://cloudasset.googleapis.com/`, discovery
//! `cloudasset-v1.json`) and KMS Inventory v1 (`https://kmsinventory.googleapis.com/`,
//! discovery `kmsinventory-v1.json`), read-only, one page per call so the caller can pace pages
//! against the APIs' own quotas (Cloud Asset: 400 searches per minute per consumer project,
//! 1,500 `searchAllResources` / 3,000 `searchAllIamPolicies` per minute per organisation —
//! cloud.google.com/asset-inventory/docs/quota).
//!
//! A scope is `organizations/{id}`, `folders/{id}` or `projects/{id|number}`. The caller needs
//! `cloudasset.assets.searchAllResources` / `cloudasset.assets.searchAllIamPolicies` on it
//! (check with `ResourceManagerClient::test_scope_permissions`).

use crate::http::{Call, GoogleHttp};
use cmek_core::iam::Policy;
use cmek_core::kms::CryptoKey;
use cmek_core::Result;
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

/// The documented maximum page size of both search methods.
pub const MAX_SEARCH_PAGE: u32 = 500;

/// `ResourceSearchResult`, the fields the audit reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceSearchResult {
    /// Full resource name, e.g. `//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r`.
    pub name: String,
    /// e.g. `cloudkms.googleapis.com/CryptoKey`.
    pub asset_type: String,
    /// `projects/{number}`.
    pub project: String,
    pub location: String,
    pub state: String,
    pub create_time: Option<String>,
    /// With `readMask` `versionedResources`: the resource as its own API returns it.
    pub versioned_resources: Vec<VersionedResource>,
}

impl ResourceSearchResult {
    /// The resource name without the service prefix (`projects/p/locations/l/…`).
    pub fn relative_name(&self) -> &str {
        relative(&self.name)
    }

    /// The resource body of the newest version (`versionedResources[0].resource`), if read.
    pub fn resource(&self) -> Option<&Value> {
        self.versioned_resources.first().map(|v| &v.resource)
    }
}

/// `VersionedResource`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VersionedResource {
    pub version: String,
    pub resource: Value,
}

/// `IamPolicySearchResult`, the fields the audit reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IamPolicySearchResult {
    /// Full resource name of the policy's resource (`//cloudkms.googleapis.com/…`,
    /// `//cloudresourcemanager.googleapis.com/projects/{number}`, `//iam.googleapis.com/…`).
    pub resource: String,
    pub asset_type: String,
    /// `projects/{number}`.
    pub project: String,
    pub policy: Policy,
}

impl IamPolicySearchResult {
    /// The resource name without the service prefix.
    pub fn relative_name(&self) -> &str {
        relative(&self.resource)
    }
}

/// `//service.googleapis.com/rest` → `rest`.
pub fn relative(full: &str) -> &str {
    full.strip_prefix("//")
        .and_then(|s| s.split_once('/'))
        .map_or(full, |(_, rest)| rest)
}

/// One page of a search: its rows and the token of the next page (`None` on the last).
#[derive(Debug, Clone, Default)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SearchResponse<T> {
    results: Vec<T>,
    next_page_token: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListKeysResponse {
    crypto_keys: Vec<CryptoKey>,
    next_page_token: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ProtectedResponse {
    protected_resources: Vec<Value>,
    next_page_token: Option<String>,
}

fn next(t: Option<String>) -> Option<String> {
    t.filter(|t| !t.is_empty())
}

/// Cloud Asset Inventory client.
#[derive(Clone)]
pub struct AssetClient {
    http: GoogleHttp,
    base: String,
}

impl AssetClient {
    pub fn new(http: GoogleHttp, base: &str) -> Self {
        Self {
            http,
            base: base.to_owned(),
        }
    }

    /// The same client whose retry waits end when `token` is cancelled.
    pub fn with_cancel(&self, token: &crate::http::CancellationToken) -> Self {
        Self {
            http: self.http.clone().with_cancel(token.clone()),
            base: self.base.clone(),
        }
    }

    fn search(&self, scope: &str, verb: &str, types: &[&str], token: Option<&str>) -> Call {
        let mut call = Call::new(Method::GET, format!("{}v1/{scope}:{verb}", self.base))
            .query("pageSize", MAX_SEARCH_PAGE.to_string());
        for t in types {
            call = call.query("assetTypes", *t);
        }
        if let Some(t) = token {
            call = call.query("pageToken", t);
        }
        call
    }

    /// `cloudasset.searchAllResources`: one page (500) of `asset_types` in `scope`, with the
    /// full resource bodies (`readMask=name,assetType,project,location,state,createTime,
    /// versionedResources`).
    pub async fn search_all_resources(
        &self,
        scope: &str,
        asset_types: &[&str],
        page_token: Option<&str>,
    ) -> Result<Page<ResourceSearchResult>> {
        let call = self
            .search(scope, "searchAllResources", asset_types, page_token)
            .query(
                "readMask",
                "name,assetType,project,location,state,createTime,versionedResources",
            );
        let r: SearchResponse<ResourceSearchResult> = self.http.send(call).await?;
        Ok(Page {
            items: r.results,
            next_page_token: next(r.next_page_token),
        })
    }

    /// `cloudasset.searchAllIamPolicies`: one page (500) of the IAM policies of `asset_types`
    /// in `scope` (only resources whose policy has bindings are returned).
    pub async fn search_all_iam_policies(
        &self,
        scope: &str,
        asset_types: &[&str],
        page_token: Option<&str>,
    ) -> Result<Page<IamPolicySearchResult>> {
        let call = self.search(scope, "searchAllIamPolicies", asset_types, page_token);
        let r: SearchResponse<IamPolicySearchResult> = self.http.send(call).await?;
        Ok(Page {
            items: r.results,
            next_page_token: next(r.next_page_token),
        })
    }
}

/// KMS Inventory client.
#[derive(Clone)]
pub struct KmsInventoryClient {
    http: GoogleHttp,
    base: String,
}

impl KmsInventoryClient {
    pub fn new(http: GoogleHttp, base: &str) -> Self {
        Self {
            http,
            base: base.to_owned(),
        }
    }

    /// The same client whose retry waits end when `token` is cancelled.
    pub fn with_cancel(&self, token: &crate::http::CancellationToken) -> Self {
        Self {
            http: self.http.clone().with_cancel(token.clone()),
            base: self.base.clone(),
        }
    }

    /// `kmsinventory.projects.cryptoKeys.list`: one page (1,000) of the project's crypto keys
    /// in every location, each with its primary version.
    pub async fn list_crypto_keys(
        &self,
        project: &str,
        page_token: Option<&str>,
    ) -> Result<Page<CryptoKey>> {
        let mut call = Call::new(
            Method::GET,
            format!("{}v1/projects/{project}/cryptoKeys", self.base),
        )
        .query("pageSize", "1000");
        if let Some(t) = page_token {
            call = call.query("pageToken", t);
        }
        let r: ListKeysResponse = self.http.send(call).await?;
        Ok(Page {
            items: r.crypto_keys,
            next_page_token: next(r.next_page_token),
        })
    }

    /// `kmsinventory.organizations.protectedResources.search`: one page (500) of the Google
    /// Cloud resources `crypto_key` protects in the organisation (`organizations/{id}`).
    pub async fn search_protected_resources(
        &self,
        organization: &str,
        crypto_key: &str,
        page_token: Option<&str>,
    ) -> Result<Page<Value>> {
        let mut call = Call::new(
            Method::GET,
            format!("{}v1/{organization}/protectedResources:search", self.base),
        )
        .query("cryptoKey", crypto_key)
        .query("pageSize", "500");
        if let Some(t) = page_token {
            call = call.query("pageToken", t);
        }
        let r: ProtectedResponse = self.http.send(call).await?;
        Ok(Page {
            items: r.protected_resources,
            next_page_token: next(r.next_page_token),
        })
    }
}
