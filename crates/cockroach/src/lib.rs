//! CockroachDB Cloud API client: organization, clusters and the four CMEK calls
//! (`cockroach-cloud-openapi.json`; cmek-procedure.md §8-§10).
//!
//! Every request sends `Authorization: Bearer {API key}` and `Cc-Version: 2024-09-16`. Errors
//! map to [`cmek_core::ErrorCode`] in [`map_cloud_error`]; the body's `message` is parsed
//! leniently because the spec leaves 4xx bodies untyped.
//!
//! Retries follow `cmek_retry`'s one rule by call kind (GET reads; POST/PUT/PATCH are plain
//! writes): 429 and 503 for every call, honouring `Retry-After` (CockroachDB's 10 requests/s
//! per user, and "cluster busy"); 500/502/504, transport failures and time-outs only for GETs,
//! so an enable, update or revoke that may have been applied is sent once (TF retries only GETs
//! at its HTTP layer, cmek-procedure.md §10). IAM propagation on enable is the setup engine's
//! wait, not this client's. Writes are paced (`cmek_retry::COCKROACH_WRITES`) and every wait
//! ends at once when the client's [`CancellationToken`] is cancelled.
//!
//! Adding a region to a CMEK cluster (`PATCH /api/v1/clusters/{id}`) is in `cluster_update.rs`.

mod cluster_update;

use cmek_core::cockroach::{
    Cluster, CmekClusterInfo, CmekRegionSpec, CmekSpecBody, ListClustersResponse, Organization,
    CC_VERSION,
};
use cmek_core::observe::{call_point, CallPoint, CallSite, WriteCall, WriteObserver};
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_retry::policy::HTTP_TRANSIENT;
pub use cmek_retry::{CallKind, CancellationToken, Policy, WritePacer};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Production base URL.
pub const PRODUCTION_BASE: &str = "https://cockroachlabs.cloud/";

/// How long one attempt may take, connection to last byte, before it counts as a time-out.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A reqwest client that never follows redirects and gives up on an attempt after `timeout`.
fn build_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cmek_retry::test_clock::timeout(timeout))
        .user_agent(concat!("cmek-desk/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client with static settings builds")
}

/// A client bound to one API key.
#[derive(Clone)]
pub struct CockroachClient {
    client: reqwest::Client,
    base: String,
    api_key: Arc<Secret>,
    writes: Arc<AtomicU32>,
    /// Bounds of the HTTP-layer retries (default `cmek_retry::policy::HTTP_TRANSIENT`).
    retry: Policy,
    /// Per-attempt time-out.
    timeout: Duration,
    /// Paces write attempts (shared by clones).
    pacer: WritePacer,
    /// Ends retry and pacing waits.
    cancel: CancellationToken,
    /// Told before and after every write attempt (the app core's activity log during setup).
    observer: Option<Arc<dyn WriteObserver>>,
}

impl CockroachClient {
    /// `base` ends with `/` (production: [`PRODUCTION_BASE`]).
    ///
    /// Defaults: retries under `cmek_retry::policy::HTTP_TRANSIENT`, [`DEFAULT_TIMEOUT`] per
    /// attempt, writes paced by `cmek_retry::COCKROACH_WRITES`, a token nobody cancels.
    pub fn new(base: &str, api_key: Secret) -> Self {
        Self {
            client: build_client(DEFAULT_TIMEOUT),
            base: base.to_owned(),
            api_key: Arc::new(api_key),
            writes: Arc::new(AtomicU32::new(0)),
            retry: HTTP_TRANSIENT,
            timeout: DEFAULT_TIMEOUT,
            pacer: WritePacer::new(cmek_retry::COCKROACH_WRITES),
            cancel: CancellationToken::new(),
            observer: None,
        }
    }

    /// Other retry bounds (tests use short waits; the rule stays the same).
    pub fn with_retry_policy(mut self, policy: Policy) -> Self {
        self.retry = policy;
        self
    }

    /// Another per-attempt time-out; an attempt that runs out is a transport failure, retried
    /// only for GETs.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.client = build_client(timeout);
        self.timeout = timeout;
        self
    }

    /// Another write pacer ([`WritePacer::unlimited`] in tests that count attempts).
    pub fn with_write_pacer(mut self, pacer: WritePacer) -> Self {
        self.pacer = pacer;
        self
    }

    /// The same client (same counter, pacer and observer) whose retry and pacing waits end at
    /// once, with a `Cancelled` error, when `token` is cancelled. An attempt under way finishes.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The token this client's waits observe.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Write calls sent so far.
    pub fn write_calls(&self) -> u32 {
        self.writes.load(Ordering::Relaxed)
    }

    /// The same client (sharing the write counter) with `observer` told of every write
    /// attempt: before it is sent (an error there stops the call) and after its answer.
    pub fn with_observer(mut self, observer: Arc<dyn WriteObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sends one call, retrying what `cmek_retry::may_retry` allows for its method's kind, and
    /// decodes the JSON answer (`{}` when empty).
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let kind = CallKind::for_method(method.as_str());
        let value: Value = cmek_retry::retry(
            &self.retry,
            &self.cancel,
            |e| cmek_retry::may_retry(kind, e),
            |w| {
                tracing::warn!(
                    code = ?w.error.code,
                    status = ?w.error.http_status,
                    ?kind,
                    attempt = w.attempt,
                    wait_ms = w.delay.as_millis() as u64,
                    "retrying CockroachDB Cloud call"
                );
            },
            || self.attempt(&method, &url, &body, kind),
        )
        .await?;
        serde_json::from_value(value).map_err(|e| {
            Error::internal(format!(
                "Unexpected answer from CockroachDB Cloud {path}: {e}"
            ))
        })
    }

    /// One attempt: paced and observed when it writes, then sent.
    async fn attempt(
        &self,
        method: &Method,
        url: &str,
        body: &Option<Value>,
        kind: CallKind,
    ) -> Result<Value> {
        let site = CallSite {
            service: "cockroach",
            method: method.as_str(),
            url,
            write: kind.is_write(),
        };
        call_point(CallPoint::Start, &site);
        if kind.is_write() {
            self.pacer.until_ready("cockroach", &self.cancel).await?;
        }
        let observed = match (&self.observer, kind.is_write()) {
            (Some(o), true) => Some((
                o,
                o.before(&WriteCall {
                    service: "cockroach",
                    method: method.as_str(),
                    url,
                    query: &[],
                    body: body.as_ref(),
                })?,
            )),
            _ => None,
        };
        if site.write {
            call_point(CallPoint::WriteSend, &site);
        }
        let result = self.send_once(method, url, body, kind).await;
        if site.write {
            call_point(CallPoint::WriteAnswered, &site);
        }
        if let Some((o, token)) = observed {
            o.after(token, result.as_ref());
        }
        result
    }

    /// One HTTP exchange: the answer's JSON (`{}` when empty) or the mapped error (with its
    /// status and `Retry-After`; a transport failure or time-out has no status).
    async fn send_once(
        &self,
        method: &Method,
        url: &str,
        body: &Option<Value>,
        kind: CallKind,
    ) -> Result<Value> {
        let mut req = self
            .client
            .request(method.clone(), url)
            .bearer_auth(self.api_key.expose())
            .header("Cc-Version", CC_VERSION);
        if let Some(b) = body {
            req = req.json(b);
        }
        if kind.is_write() {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                Error::transport(format!(
                    "CockroachDB Cloud did not answer within {} s",
                    self.timeout.as_secs_f32()
                ))
            } else {
                Error::transport(format!(
                    "Could not reach CockroachDB Cloud: {}",
                    e.without_url()
                ))
            }
        })?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(map_cloud_error(status, &text, retry_after));
        }
        let text = if text.trim().is_empty() { "{}" } else { &text };
        serde_json::from_str(text)
            .map_err(|e| Error::internal(format!("Unexpected answer from CockroachDB Cloud: {e}")))
    }

    /// `GET /api/v1/organization`.
    pub async fn get_organization(&self) -> Result<Organization> {
        self.send(Method::GET, "api/v1/organization", None).await
    }

    /// `GET /api/v1/clusters`, all pages.
    pub async fn list_clusters(&self) -> Result<Vec<Cluster>> {
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let path = match &page {
                Some(p) => format!("api/v1/clusters?pagination.page={p}"),
                None => "api/v1/clusters".to_owned(),
            };
            let r: ListClustersResponse = self.send(Method::GET, &path, None).await?;
            out.extend(r.clusters);
            match r
                .pagination
                .and_then(|p| p.next_page)
                .filter(|p| !p.is_empty())
            {
                Some(p) => page = Some(p),
                None => return Ok(out),
            }
        }
    }

    /// `GET /api/v1/clusters/{id}`.
    pub async fn get_cluster(&self, cluster_id: &str) -> Result<Cluster> {
        self.send(Method::GET, &format!("api/v1/clusters/{cluster_id}"), None)
            .await
    }

    /// `GET /api/v1/clusters/{id}/cmek`; `Ok(None)` on 404 (CMEK never enabled).
    pub async fn get_cmek(&self, cluster_id: &str) -> Result<Option<CmekClusterInfo>> {
        match self
            .send(
                Method::GET,
                &format!("api/v1/clusters/{cluster_id}/cmek"),
                None,
            )
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/v1/clusters/{id}/cmek` (`CockroachCloud_EnableCMEKSpec`): one spec per region.
    pub async fn enable_cmek(
        &self,
        cluster_id: &str,
        region_specs: &[CmekRegionSpec],
    ) -> Result<CmekClusterInfo> {
        self.send_specs(Method::POST, cluster_id, region_specs)
            .await
    }

    /// `PUT /api/v1/clusters/{id}/cmek` (`CockroachCloud_UpdateCMEKSpec`): changed regions only.
    pub async fn update_cmek(
        &self,
        cluster_id: &str,
        region_specs: &[CmekRegionSpec],
    ) -> Result<CmekClusterInfo> {
        self.send_specs(Method::PUT, cluster_id, region_specs).await
    }

    /// Sends `{"region_specs": [...]}` (`EnableCMEKSpecBody` / `UpdateCMEKSpecBody`) to `…/cmek`.
    async fn send_specs(
        &self,
        method: Method,
        cluster_id: &str,
        region_specs: &[CmekRegionSpec],
    ) -> Result<CmekClusterInfo> {
        let body = serde_json::to_value(CmekSpecBody {
            region_specs: region_specs.to_vec(),
        })
        .map_err(|e| Error::internal(e.to_string()))?;
        self.send(
            method,
            &format!("api/v1/clusters/{cluster_id}/cmek"),
            Some(body),
        )
        .await
    }

    /// `PATCH /api/v1/clusters/{id}/cmek` with `{"action":"REVOKE"}` (`CockroachCloud_UpdateCMEKStatus`).
    pub async fn revoke_cmek(&self, cluster_id: &str) -> Result<CmekClusterInfo> {
        self.send(
            Method::PATCH,
            &format!("api/v1/clusters/{cluster_id}/cmek"),
            Some(json!({"action": "REVOKE"})),
        )
        .await
    }
}

/// Maps a Cloud API error (`Status {code, message, details}` or an untyped body) to a domain error.
pub fn map_cloud_error(status: u16, body: &str, retry_after: Option<Duration>) -> Error {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = v["message"]
        .as_str()
        .or_else(|| v["error"]["message"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("CockroachDB Cloud answered HTTP {status}"));
    let code = match status {
        400 => ErrorCode::InvalidArgument,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::PermissionDenied,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::AlreadyExists,
        429 => ErrorCode::RateLimited,
        500 | 502 | 503 | 504 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    };
    Error::new(code, message)
        .with_status(status)
        .with_retry_after(retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_errors_map_by_status_and_read_message_leniently() {
        let rows = [
            (
                400,
                r#"{"code":3,"message":"invalid argument - Insufficient permissions to access the KMS key"}"#,
                ErrorCode::InvalidArgument,
            ),
            (
                401,
                r#"{"code":16,"message":"cannot authenticate"}"#,
                ErrorCode::Unauthenticated,
            ),
            (403, "{}", ErrorCode::PermissionDenied),
            (404, "", ErrorCode::NotFound),
            (
                429,
                r#"{"message":"rate limit exceeded"}"#,
                ErrorCode::RateLimited,
            ),
            (503, "<html>", ErrorCode::Unavailable),
            (
                500,
                r#"{"error":{"message":"boom"}}"#,
                ErrorCode::Unavailable,
            ),
        ];
        for (status, body, want) in rows {
            let e = map_cloud_error(status, body, None);
            assert_eq!(e.code, want, "{status}");
            assert!(!e.message.is_empty());
        }
        assert!(map_cloud_error(400, rows[0].1, None)
            .message
            .contains("Insufficient permissions"));
        assert!(map_cloud_error(500, rows[6].1, None)
            .message
            .contains("boom"));
    }
}
