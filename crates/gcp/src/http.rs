//! The HTTP layer every Google client shares: bearer token, routing header, JSON, retries.
//!
//! Retries: only `RESOURCE_EXHAUSTED` (429) and `UNAVAILABLE`-class (500/502/503/504)
//! answers, which mean the call was not applied, are retried — with exponential backoff and
//! jitter, never sooner than the server's `Retry-After` (gcp-apis.md §2, Service Usage retry
//! guidance). Everything else (including 409 ABORTED, which needs a fresh read) goes back to the
//! caller. The token is read from a [`TokenSource`] per call and never logged.

use crate::error::map_google_error;
use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use cmek_core::{Error, ErrorCode, Result, Secret};
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where access tokens come from (sandbox token, OAuth refresh token, service-account key…).
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A currently valid access token (refreshed by the source ahead of expiry).
    async fn access_token(&self) -> Result<Secret>;
    /// The identity calls are made as, e.g. `user:officer@example.com`.
    fn identity(&self) -> String;
}

/// A fixed token (sandbox mode and tests).
pub struct StaticToken {
    token: Secret,
    identity: String,
}

impl StaticToken {
    pub fn new(token: Secret, identity: impl Into<String>) -> Self {
        Self {
            token,
            identity: identity.into(),
        }
    }
}

#[async_trait]
impl TokenSource for StaticToken {
    async fn access_token(&self) -> Result<Secret> {
        Ok(self.token.clone())
    }
    fn identity(&self) -> String {
        self.identity.clone()
    }
}

/// Tokens from a `gcp_auth` provider (service-account key file, ADC, gcloud user).
pub struct GcpAuthToken {
    provider: Arc<dyn gcp_auth::TokenProvider>,
    identity: String,
}

impl GcpAuthToken {
    pub fn new(provider: Arc<dyn gcp_auth::TokenProvider>, identity: impl Into<String>) -> Self {
        Self {
            provider,
            identity: identity.into(),
        }
    }
}

/// OAuth scope for every call CMEK Desk makes.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

#[async_trait]
impl TokenSource for GcpAuthToken {
    async fn access_token(&self) -> Result<Secret> {
        let t = self
            .provider
            .token(&[CLOUD_PLATFORM_SCOPE])
            .await
            .map_err(|e| {
                Error::new(
                    ErrorCode::Unauthenticated,
                    format!("Could not get a Google access token: {e}"),
                )
            })?;
        Ok(Secret::new(t.as_str()))
    }
    fn identity(&self) -> String {
        self.identity.clone()
    }
}

/// Retry bounds for 429/5xx.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// One request.
pub struct Call {
    pub method: Method,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// `x-goog-request-params` value, e.g. `name=projects%2Fp%2F…` (field report B17).
    pub routing: Option<String>,
    /// True for mutations (counted in [`GoogleHttp::write_calls`]).
    pub write: bool,
}

impl Call {
    pub fn new(method: Method, url: String) -> Self {
        let write = method != Method::GET;
        Self {
            method,
            url,
            query: Vec::new(),
            body: None,
            routing: None,
            write,
        }
    }
    pub fn query(mut self, k: &str, v: impl Into<String>) -> Self {
        self.query.push((k.to_owned(), v.into()));
        self
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// Routes by the resource the call is about: `x-goog-request-params: {field}={resource}`.
    pub fn route(mut self, field: &str, resource: &str) -> Self {
        let enc: String = url::form_urlencoded::byte_serialize(resource.as_bytes()).collect();
        self.routing = Some(format!("{field}={enc}"));
        self
    }
    /// Marks a POST that only reads (getIamPolicy, testIamPermissions on IAM/CRM).
    pub fn read_only(mut self) -> Self {
        self.write = false;
        self
    }
}

/// Shared HTTP client with a token source, retry policy and a write counter.
#[derive(Clone)]
pub struct GoogleHttp {
    client: reqwest::Client,
    tokens: Arc<dyn TokenSource>,
    retry: RetryPolicy,
    writes: Arc<AtomicU32>,
}

impl GoogleHttp {
    pub fn new(tokens: Arc<dyn TokenSource>) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("cmek-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with static settings builds");
        Self {
            client,
            tokens,
            retry: RetryPolicy::default(),
            writes: Arc::new(AtomicU32::new(0)),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The identity of the token source.
    pub fn identity(&self) -> String {
        self.tokens.identity()
    }

    /// Write calls sent so far (including failed ones).
    pub fn write_calls(&self) -> u32 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Sends the call (retrying 429/5xx) and decodes a JSON answer (`{}` when empty).
    pub async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let call = Arc::new(call);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.retry.min_delay)
            .with_max_delay(self.retry.max_delay)
            .with_max_times(self.retry.max_attempts.saturating_sub(1))
            .with_jitter();
        let value: Value = (|| self.send_once(call.clone()))
            .retry(backoff)
            .when(|e: &Error| matches!(e.code, ErrorCode::RateLimited | ErrorCode::Unavailable))
            .adjust(|e: &Error, d: Option<Duration>| d.map(|d| e.retry_after().map_or(d, |r| r.max(d))))
            .notify(|e: &Error, d: Duration| {
                tracing::warn!(code = ?e.code, wait_ms = d.as_millis() as u64, "retrying Google call");
            })
            .await?;
        serde_json::from_value(value).map_err(|e| {
            Error::internal(format!(
                "Unexpected answer shape from {}: {e}",
                redact_url(&call.url)
            ))
        })
    }

    async fn send_once(&self, call: Arc<Call>) -> Result<Value> {
        let token = self.tokens.access_token().await?;
        let mut req = self
            .client
            .request(call.method.clone(), &call.url)
            .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
            .query(&call.query);
        if let Some(r) = &call.routing {
            req = req.header("x-goog-request-params", r);
        }
        if let Some(b) = &call.body {
            req = req.json(b);
        }
        if call.write {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        tracing::debug!(method = %call.method, url = %redact_url(&call.url), "google call");
        let resp = req.send().await.map_err(|e| {
            Error::new(
                ErrorCode::Unavailable,
                format!(
                    "Could not reach {}: {}",
                    redact_url(&call.url),
                    e.without_url()
                ),
            )
        })?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let text = resp
            .text()
            .await
            .map_err(|e| Error::new(ErrorCode::Unavailable, e.without_url().to_string()))?;
        if !(200..300).contains(&status) {
            return Err(map_google_error(status, &text, retry_after));
        }
        if text.trim().is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_str(&text)
            .map_err(|e| Error::internal(format!("Google answered non-JSON: {e}")))
    }
}

/// `Retry-After` in seconds (the HTTP-date form is treated as absent).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
}

/// The URL without its query (queries never hold secrets here, but keep logs short).
fn redact_url(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}
