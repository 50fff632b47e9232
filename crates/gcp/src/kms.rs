//! Cloud KMS v1 client (`https://cloudkms.googleapis.com/`, discovery `cloudkms-v1.json`).
//!
//! Method ids are named on each function. Every call carries the routing header for the
//! resource it targets (field report B17). `get_*` return `Ok(None)` on 404 so callers can
//! check-then-act; creates return `AlreadyExists` on 409 for the caller to adopt (B01, B02).

use crate::http::{Call, GoogleHttp};
use cmek_core::iam::{Policy, POLICY_VERSION_CONDITIONS};
use cmek_core::kms::{
    CryptoKey, CryptoKeyVersion, KeyRing, ListCryptoKeyVersionsResponse, ListCryptoKeysResponse,
    ListKeyRingsResponse,
};
use cmek_core::{ErrorCode, Result};
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct KmsClient {
    http: GoogleHttp,
    base: String,
}

/// `Ok(None)` for NOT_FOUND, the value otherwise.
pub(crate) fn found<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl KmsClient {
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

    /// The HTTP layer this client sends through.
    pub(crate) fn http(&self) -> &GoogleHttp {
        &self.http
    }

    fn url(&self, path: &str) -> String {
        format!("{}v1/{path}", self.base)
    }

    /// `cloudkms.projects.locations.list` (all pages): location names `projects/P/locations/L`.
    pub async fn list_locations(&self, project: &str) -> Result<Vec<String>> {
        let parent = format!("projects/{project}");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, self.url(&format!("{parent}/locations")))
                .query("pageSize", "100")
                .route("name", &parent);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: Value = self.http.send(call).await?;
            let names = page["locations"].as_array().into_iter().flatten();
            out.extend(names.filter_map(|l| l["name"].as_str().map(str::to_owned)));
            match page["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(out),
            }
        }
    }

    /// `cloudkms.projects.locations.keyRings.get`.
    pub async fn get_key_ring(&self, name: &str) -> Result<Option<KeyRing>> {
        found(
            self.http
                .send(Call::new(Method::GET, self.url(name)).route("name", name))
                .await,
        )
    }

    /// `cloudkms.projects.locations.keyRings.create` (synchronous; 409 if it exists).
    pub async fn create_key_ring(&self, location_name: &str, key_ring_id: &str) -> Result<KeyRing> {
        let call = Call::new(Method::POST, self.url(&format!("{location_name}/keyRings")))
            .query("keyRingId", key_ring_id)
            .route("parent", location_name)
            .body(json!({}));
        self.http.send(call).await
    }

    /// `cloudkms.projects.locations.keyRings.list` (all pages).
    pub async fn list_key_rings(&self, location_name: &str) -> Result<Vec<KeyRing>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, self.url(&format!("{location_name}/keyRings")))
                .query("pageSize", "1000")
                .route("parent", location_name);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: ListKeyRingsResponse = self.http.send(call).await?;
            out.extend(page.key_rings);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// `cloudkms.projects.locations.keyRings.cryptoKeys.get`.
    pub async fn get_crypto_key(&self, name: &str) -> Result<Option<CryptoKey>> {
        found(
            self.http
                .send(Call::new(Method::GET, self.url(name)).route("name", name))
                .await,
        )
    }

    /// `cloudkms.projects.locations.keyRings.cryptoKeys.create`; version 1 becomes primary.
    pub async fn create_crypto_key(
        &self,
        key_ring: &str,
        crypto_key_id: &str,
        key: &CryptoKey,
    ) -> Result<CryptoKey> {
        let body =
            serde_json::to_value(key).map_err(|e| cmek_core::Error::internal(e.to_string()))?;
        let call = Call::new(Method::POST, self.url(&format!("{key_ring}/cryptoKeys")))
            .query("cryptoKeyId", crypto_key_id)
            .route("parent", key_ring)
            .body(body);
        self.http.send(call).await
    }

    /// `cloudkms.projects.locations.keyRings.cryptoKeys.list` with `versionView=FULL` (all pages).
    pub async fn list_crypto_keys(&self, key_ring: &str) -> Result<Vec<CryptoKey>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, self.url(&format!("{key_ring}/cryptoKeys")))
                .query("pageSize", "1000")
                .query("versionView", "FULL")
                .route("parent", key_ring);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: ListCryptoKeysResponse = self.http.send(call).await?;
            out.extend(page.crypto_keys);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// `cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.list` (all pages).
    pub async fn list_versions(&self, key: &str) -> Result<Vec<CryptoKeyVersion>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = Call::new(Method::GET, self.url(&format!("{key}/cryptoKeyVersions")))
                .query("pageSize", "1000")
                .route("parent", key);
            if let Some(t) = &token {
                call = call.query("pageToken", t.clone());
            }
            let page: ListCryptoKeyVersionsResponse = self.http.send(call).await?;
            out.extend(page.crypto_key_versions);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// `…cryptoKeyVersions.create` (a new version, not yet primary).
    pub async fn create_version(&self, key: &str) -> Result<CryptoKeyVersion> {
        let call = Call::new(Method::POST, self.url(&format!("{key}/cryptoKeyVersions")))
            .route("parent", key)
            .body(json!({}));
        self.http.send(call).await
    }

    /// `…cryptoKeys.updatePrimaryVersion`; idempotent, so also retried after a 500/502/504 or a
    /// time-out.
    pub async fn update_primary_version(&self, key: &str, version_id: &str) -> Result<CryptoKey> {
        let call = Call::new(
            Method::POST,
            self.url(&format!("{key}:updatePrimaryVersion")),
        )
        .route("name", key)
        .body(json!({ "cryptoKeyVersionId": version_id }))
        // Names the version to make primary: sending it twice leaves the same primary.
        .idempotent();
        self.http.send(call).await
    }

    /// `…cryptoKeys.patch` with `updateMask=rotationPeriod,nextRotationTime`: the key's
    /// automatic rotation becomes exactly `rotation_period` (google-duration, e.g.
    /// `"2592000s"` = 30 days) and `next_rotation_time` (RFC 3339 UTC); `None` clears a field,
    /// so `(None, None)` stops automatic rotation (gcp-apis §3: "PATCH with
    /// `updateMask=rotationPeriod,nextRotationTime` and those fields omitted"). Returns the key
    /// as KMS stored it. A field-mask patch carries no etag and sets values, so sending it twice
    /// leaves the same schedule: idempotent, also retried after a 500/502/504 or a time-out.
    pub async fn set_rotation_schedule(
        &self,
        key: &str,
        rotation_period: Option<&str>,
        next_rotation_time: Option<&str>,
    ) -> Result<CryptoKey> {
        let mut body = serde_json::Map::new();
        if let Some(p) = rotation_period {
            body.insert("rotationPeriod".into(), json!(p));
        }
        if let Some(t) = next_rotation_time {
            body.insert("nextRotationTime".into(), json!(t));
        }
        let call = Call::new(Method::PATCH, self.url(key))
            .query("updateMask", "rotationPeriod,nextRotationTime")
            .route("crypto_key.name", key)
            .body(Value::Object(body))
            // Sets two fields to given values: a repeat leaves the same schedule.
            .idempotent();
        self.http.send(call).await
    }

    /// `…cryptoKeyVersions.patch` with `updateMask=state` (`ENABLED` ↔ `DISABLED` only);
    /// idempotent, so also retried after a 500/502/504 or a time-out.
    pub async fn set_version_state(&self, version: &str, state: &str) -> Result<CryptoKeyVersion> {
        let call = Call::new(Method::PATCH, self.url(version))
            .query("updateMask", "state")
            .route("crypto_key_version.name", version)
            .body(json!({ "state": state }))
            // Sets one field to a given value: sending it twice leaves the same state.
            .idempotent();
        self.http.send(call).await
    }

    /// `…cryptoKeyVersions.destroy` (→ DESTROY_SCHEDULED).
    pub async fn destroy_version(&self, version: &str) -> Result<CryptoKeyVersion> {
        let call = Call::new(Method::POST, self.url(&format!("{version}:destroy")))
            .route("name", version)
            .body(json!({}));
        self.http.send(call).await
    }

    /// `…cryptoKeyVersions.restore` (DESTROY_SCHEDULED → DISABLED).
    pub async fn restore_version(&self, version: &str) -> Result<CryptoKeyVersion> {
        let call = Call::new(Method::POST, self.url(&format!("{version}:restore")))
            .route("name", version)
            .body(json!({}));
        self.http.send(call).await
    }

    /// `…getIamPolicy` on a key ring or key (GET, `options.requestedPolicyVersion=3`).
    pub async fn get_iam_policy(&self, resource: &str) -> Result<Policy> {
        let call = Call::new(Method::GET, self.url(&format!("{resource}:getIamPolicy")))
            .query(
                "options.requestedPolicyVersion",
                POLICY_VERSION_CONDITIONS.to_string(),
            )
            .route("resource", resource);
        self.http.send(call).await
    }

    /// `…setIamPolicy` on a key ring or key; the policy carries the etag of the read, which makes
    /// it idempotent (retried after a 500/502/504 or a time-out; an applied write is never
    /// applied twice: its repeat is refused with 409 ABORTED).
    pub async fn set_iam_policy(&self, resource: &str, policy: &Policy) -> Result<Policy> {
        let call = Call::new(Method::POST, self.url(&format!("{resource}:setIamPolicy")))
            .route("resource", resource)
            .body(json!({ "policy": policy }))
            .idempotent();
        self.http.send(call).await
    }

    /// `…testIamPermissions`: the subset of `permissions` the caller holds.
    pub async fn test_iam_permissions(
        &self,
        resource: &str,
        permissions: &[&str],
    ) -> Result<Vec<String>> {
        let call = Call::new(
            Method::POST,
            self.url(&format!("{resource}:testIamPermissions")),
        )
        .route("resource", resource)
        .body(json!({ "permissions": permissions }))
        .read_only();
        let v: Value = self.http.send(call).await?;
        Ok(string_list(&v["permissions"]))
    }
}

pub(crate) fn string_list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
