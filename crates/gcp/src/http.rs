//! The HTTP layer every Google client shares: bearer token, routing header, JSON, retries,
//! write pacing.
//!
//! Retries follow `cmek_retry`'s one rule by the call's [`CallKind`]: 429 and 503 for every
//! call; 500/502/504, transport failures and time-outs only for reads and idempotent writes (a
//! create that failed that way may have been applied, so it is sent once); with exponential
//! backoff and jitter, never sooner than the server's `Retry-After` ([`RetryPolicy`], default
//! `cmek_retry::policy::HTTP_TRANSIENT`). Everything else (including 409 ABORTED, which needs a
//! fresh read) goes back to the caller. Every write attempt first waits for the shared
//! [`WritePacer`] (per service and project), so loops stacked above cannot multiply writes past
//! the KMS quota. A [`CancellationToken`] ([`GoogleHttp::with_cancel`]) ends retry and pacing
//! waits at once. The token is read from a [`TokenSource`] per call and never logged.

use crate::error::map_google_error;
use async_trait::async_trait;
use cmek_core::observe::{call_point, CallPoint, CallSite, WriteCall, WriteObserver};
use cmek_core::{Error, ErrorCode, Result, Secret};
use cmek_retry::policy::HTTP_TRANSIENT;
pub use cmek_retry::{CallKind, CancellationToken, Pacing, Policy, WritePacer};
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

/// Retry bounds of the HTTP layer (which failures are retried is `cmek_retry::may_retry`'s).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: usize,
    /// First wait.
    pub min_delay: Duration,
    /// Longest wait (a longer `Retry-After` ends the retries).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// `cmek_retry::policy::HTTP_TRANSIENT`: 6 attempts, 1 s doubling to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: HTTP_TRANSIENT.max_attempts.unwrap_or(6) as usize,
            min_delay: HTTP_TRANSIENT.min_delay,
            max_delay: HTTP_TRANSIENT.max_delay,
        }
    }
}

impl From<RetryPolicy> for Policy {
    fn from(r: RetryPolicy) -> Self {
        HTTP_TRANSIENT
            .with_max_attempts(u32::try_from(r.max_attempts.max(1)).unwrap_or(u32::MAX))
            .with_min_delay(r.min_delay)
            .with_max_delay(r.max_delay)
    }
}

/// How long one attempt may take, connection to last byte, before it counts as a time-out.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One request.
pub struct Call {
    pub method: Method,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// `x-goog-request-params` value, e.g. `name=projects%2Fp%2F…` (field report B17).
    pub routing: Option<String>,
    /// True for mutations (counted in [`GoogleHttp::write_calls`] and paced); mirrors
    /// `kind.is_write()`, kept in step by the builders.
    pub write: bool,
    /// What repeating the call can do, which decides what it is retried on.
    pub kind: CallKind,
}

impl Call {
    /// A call of the method's default kind: GET reads, every other method is a plain
    /// [`CallKind::Write`] (never repeated after an unknown outcome) until marked otherwise
    /// with [`Call::read_only`] or [`Call::idempotent`].
    pub fn new(method: Method, url: String) -> Self {
        let kind = CallKind::for_method(method.as_str());
        Self {
            method,
            url,
            query: Vec::new(),
            body: None,
            routing: None,
            write: kind.is_write(),
            kind,
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
    /// Marks a POST that only reads (getIamPolicy, testIamPermissions on IAM/CRM):
    /// [`CallKind::Read`].
    pub fn read_only(mut self) -> Self {
        self.kind = CallKind::Read;
        self.write = false;
        self
    }

    /// Marks a write that is idempotent by construction, so it is also retried after a
    /// 500/502/504 or a time-out: [`CallKind::IdempotentWrite`]. For `setIamPolicy` with the
    /// etag of the read (a repeat of an applied write is refused with 409, never applied twice)
    /// and for calls that set a field to a given value.
    pub fn idempotent(mut self) -> Self {
        self.kind = CallKind::IdempotentWrite;
        self.write = true;
        self
    }
}

/// Shared HTTP client with a token source, retry policy, write pacer, cancellation token and
/// a write counter. Clones share the counter and the pacer.
#[derive(Clone)]
pub struct GoogleHttp {
    client: reqwest::Client,
    tokens: Arc<dyn TokenSource>,
    retry: Policy,
    timeout: Duration,
    pacer: WritePacer,
    cancel: CancellationToken,
    writes: Arc<AtomicU32>,
    /// Told before and after every write attempt (the app core's activity log during setup).
    observer: Option<Arc<dyn WriteObserver>>,
}

/// A reqwest client that never follows redirects and gives up on an attempt after `timeout`.
fn build_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cmek_retry::test_clock::timeout(timeout))
        .user_agent(concat!("cmek-desk/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client with static settings builds")
}

impl GoogleHttp {
    /// Production defaults: [`RetryPolicy::default`], [`DEFAULT_TIMEOUT`] per attempt,
    /// writes paced by `cmek_retry::GOOGLE_WRITES`, a token nobody cancels, no observer.
    pub fn new(tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            client: build_client(DEFAULT_TIMEOUT),
            tokens,
            retry: HTTP_TRANSIENT,
            timeout: DEFAULT_TIMEOUT,
            pacer: WritePacer::new(cmek_retry::GOOGLE_WRITES),
            cancel: CancellationToken::new(),
            writes: Arc::new(AtomicU32::new(0)),
            observer: None,
        }
    }

    /// The same client (sharing the write counter) with `observer` told of every write
    /// attempt: before it is sent (an error there stops the call) and after its answer.
    pub fn with_observer(mut self, observer: Arc<dyn WriteObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Other retry bounds (tests use short waits).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry.into();
        self
    }

    /// Another retry policy from `cmek_retry` (bounds only; the rule stays the same).
    pub fn with_retry_policy(mut self, policy: Policy) -> Self {
        self.retry = policy;
        self
    }

    /// Another per-attempt time-out (default [`DEFAULT_TIMEOUT`]); an attempt that runs out
    /// is a transport failure, retried only for reads and idempotent writes.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.client = build_client(timeout);
        self.timeout = timeout;
        self
    }

    /// Another write pacer, e.g. one shared with other connections, or
    /// [`WritePacer::unlimited`] in tests that count nothing but attempts.
    pub fn with_write_pacer(mut self, pacer: WritePacer) -> Self {
        self.pacer = pacer;
        self
    }

    /// The same client (same counter, pacer and observer) whose retry and pacing waits end at
    /// once, with a `Cancelled` error, when `token` is cancelled. An attempt under way still
    /// finishes.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The token this client's waits observe.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The identity of the token source.
    pub fn identity(&self) -> String {
        self.tokens.identity()
    }

    /// Write calls sent so far (including failed ones).
    pub fn write_calls(&self) -> u32 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Sends the call, retrying what `cmek_retry::may_retry` allows for its kind, and decodes
    /// a JSON answer (`{}` when empty).
    pub async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let kind = call.kind;
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
                    "retrying Google call"
                );
            },
            || self.send_once(&call),
        )
        .await?;
        serde_json::from_value(value).map_err(|e| {
            Error::internal(format!(
                "Unexpected answer shape from {}: {e}",
                redact_url(&call.url)
            ))
        })
    }

    /// One attempt: waits for the write pacer (writes only), tells the observer, sends.
    async fn send_once(&self, call: &Call) -> Result<Value> {
        let site = CallSite {
            service: "google",
            method: call.method.as_str(),
            url: redact_url(&call.url),
            write: call.kind.is_write(),
        };
        call_point(CallPoint::Start, &site);
        if call.kind.is_write() {
            self.pacer
                .until_ready(&cmek_retry::pacing_key(&call.url), &self.cancel)
                .await?;
        }
        let observed = match (&self.observer, call.kind.is_write()) {
            (Some(o), true) => Some((
                o,
                o.before(&WriteCall {
                    service: "google",
                    method: call.method.as_str(),
                    url: redact_url(&call.url),
                    query: &call.query,
                    body: call.body.as_ref(),
                })?,
            )),
            _ => None,
        };
        if site.write {
            call_point(CallPoint::WriteSend, &site);
        }
        let result = self.send_unobserved(call).await;
        if site.write {
            call_point(CallPoint::WriteAnswered, &site);
        }
        if let Some((o, token)) = observed {
            o.after(token, result.as_ref());
        }
        result
    }

    async fn send_unobserved(&self, call: &Call) -> Result<Value> {
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
        if call.kind.is_write() {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        tracing::debug!(method = %call.method, url = %redact_url(&call.url), kind = ?call.kind, "google call");
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(&call.url, e))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let text = resp
            .text()
            .await
            .map_err(|e| self.transport_error(&call.url, e))?;
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

impl GoogleHttp {
    /// A failure without an HTTP answer: `Unavailable` with no status ([`Error::transport`]),
    /// naming a time-out as such. The request may have reached Google.
    fn transport_error(&self, url: &str, e: reqwest::Error) -> Error {
        let url = redact_url(url);
        if e.is_timeout() {
            Error::transport(format!(
                "{url} did not answer within {} s",
                self.timeout.as_secs_f32()
            ))
        } else {
            Error::transport(format!("Could not reach {url}: {}", e.without_url()))
        }
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
