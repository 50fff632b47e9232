//! One AWS call, the way every method of [`crate::AwsClient`] sends it: retried by
//! `cmek_retry`'s rule for its [`CallKind`], paced and observed when it writes.
//!
//! Retry rule (the SDK's own retries are off, see `config`): throttling (`RateLimited`: AWS
//! answers `Throttling`/`ThrottlingException` with HTTP 400, the 429 class) and 429/503 for
//! every call; 500/502/504, transport failures and time-outs only for reads and idempotent
//! writes (`PutKeyPolicy`, `UpdateAssumeRolePolicy`, `EnableKeyRotation`: they set a value);
//! never for a create (`CreateRole`, `CreateKey`, `CreateAlias`, `ReplicateKey`), which may
//! have been applied. Bounded by `cmek_retry::policy::HTTP_TRANSIENT`.
//!
//! Every write attempt first waits for the shared write pacer ([`AWS_WRITES`], per service and
//! region), then tells the `WriteObserver` before it is sent (an error there stops the call) and
//! after its answer, so the activity log holds one intent and one outcome per write request.

use crate::AwsClient;
use cmek_core::observe::{call_point, CallPoint, CallSite, WriteCall};
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::{CallKind, Pacing};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// AWS writes per service and region: a burst of 5, then five per second. Source: the AWS KMS
/// Developer Guide, "Request quotas" (5 requests per second per account and region for
/// `CreateKey`, `CreateAlias`, `PutKeyPolicy`, `ReplicateKey`, `EnableKeyRotation`); IAM's
/// mutating calls are throttled per account as well, so the same pace serves both.
pub const AWS_WRITES: Pacing = Pacing {
    name: "aws-writes",
    burst: 5,
    interval: Duration::from_millis(200),
};

/// True when a failed attempt of a `kind` call may be sent again (see the module doc).
pub fn may_retry(kind: CallKind, error: &Error) -> bool {
    error.code == ErrorCode::RateLimited || cmek_retry::may_retry(kind, error)
}

/// What a call is, for pacing, the observer and logs.
pub(crate) struct Call {
    /// `IAM`, `KMS`, `STS`.
    pub service: &'static str,
    /// The API action, e.g. `PutKeyPolicy`.
    pub action: &'static str,
    /// KMS region, or empty for IAM/STS.
    pub region: String,
    pub kind: CallKind,
    /// The parameters sent (no secret ever: policies, names, ids).
    pub params: Value,
}

impl AwsClient {
    /// Describes a call.
    pub(crate) fn call(
        &self,
        service: &'static str,
        action: &'static str,
        region: &str,
        kind: CallKind,
        params: Value,
    ) -> Call {
        Call {
            service,
            action,
            region: region.to_owned(),
            kind,
            params,
        }
    }

    /// The URL the observer records: the endpoint and `#Action`.
    fn url_of(&self, call: &Call) -> String {
        let base = match (&self.shared.endpoint, call.service) {
            (Some(e), _) => e.trim_end_matches('/').to_owned(),
            (None, "IAM") => "https://iam.amazonaws.com".to_owned(),
            (None, s) => format!(
                "https://{}.{}.amazonaws.com",
                s.to_ascii_lowercase(),
                call.region
            ),
        };
        format!("{base}/#{}", call.action)
    }

    /// Runs `op` (one SDK call, errors already mapped) under the retry rule, pacing and
    /// observing each write attempt.
    pub(crate) async fn run<T, F, Fut>(&self, call: &Call, mut op: F) -> Result<T>
    where
        T: Serialize,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let kind = call.kind;
        let url = self.url_of(call);
        cmek_retry::retry(
            &self.retry,
            &self.cancel,
            |e| may_retry(kind, e),
            |w| {
                tracing::debug!(action = call.action, attempt = w.attempt, delay_ms = w.delay.as_millis() as u64, code = ?w.error.code, "retrying an AWS call");
            },
            || {
                // On the heap: the SDK's futures are large, and a setup nests many of them.
                let fut = Box::pin(op());
                let url = url.clone();
                async move {
                    let site = CallSite {
                        service: "aws",
                        method: "POST",
                        url: &url,
                        write: kind.is_write(),
                    };
                    call_point(CallPoint::Start, &site);
                    if !kind.is_write() {
                        return fut.await;
                    }
                    let key = format!("aws-{}:{}", call.service.to_ascii_lowercase(), call.region);
                    self.shared.pacer.until_ready(&key, &self.cancel).await?;
                    let token = match &self.observer {
                        Some(o) => Some(o.before(&WriteCall {
                            service: "aws",
                            method: "POST",
                            url: &url,
                            query: &[],
                            body: Some(&call.params),
                        })?),
                        None => None,
                    };
                    self.shared.writes.fetch_add(1, Ordering::Relaxed);
                    call_point(CallPoint::WriteSend, &site);
                    let result = fut.await;
                    call_point(CallPoint::WriteAnswered, &site);
                    if let (Some(o), Some(token)) = (&self.observer, token) {
                        match &result {
                            Ok(v) => {
                                let answer = serde_json::to_value(v).unwrap_or(Value::Null);
                                o.after(token, Ok(&answer));
                            }
                            Err(e) => o.after(token, Err(e)),
                        }
                    }
                    result
                }
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_retried_for_every_kind_and_5xx_only_for_repeatable_calls() {
        use CallKind::{IdempotentWrite as I, Read as R, Write as W};
        let throttled = Error::new(ErrorCode::RateLimited, "Throttling").with_status(400);
        let internal = Error::new(ErrorCode::Unavailable, "KMSInternalException").with_status(500);
        let transport = Error::transport("connection reset");
        let malformed = Error::new(
            ErrorCode::InvalidArgument,
            "MalformedPolicyDocumentException",
        )
        .with_status(400);
        let table = [
            ("throttled", &throttled, [true, true, true]),
            ("500", &internal, [true, true, false]),
            ("transport", &transport, [true, true, false]),
            ("malformed policy", &malformed, [false, false, false]),
        ];
        for (name, e, want) in table {
            assert_eq!(
                [may_retry(R, e), may_retry(I, e), may_retry(W, e)],
                want,
                "{name}"
            );
        }
    }
}
