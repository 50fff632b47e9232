//! `cmek-aws`: CMEK Desk's AWS clients (IAM, KMS, STS) on the official AWS SDK for Rust.
//!
//! [`AwsClient::connect`] builds the clients from [`AwsOptions`]: credentials from the standard
//! chain or static access keys ([`AwsCredentials`]), an optional endpoint override (tests and
//! the sandbox only, under `cmek_core::settings`' release rule for `CMEK_DESK_AWS_ENDPOINT`).
//! Every method sends one API action through one path ([`call`]): errors mapped once
//! ([`error::map_sdk_error`]), retried by `cmek_retry`'s rule for the call's kind (the SDK's own
//! retries are disabled), writes paced and reported to a `cmek_core::observe::WriteObserver`
//! before and after each attempt, waits ended by a `CancellationToken`.
//!
//! IAM and STS are global; KMS is regional: KMS methods take the region, and one SDK client per
//! region is kept. Returned types are `cmek_core::aws::model`'s.

mod call;
pub mod config;
pub mod error;
mod iam;
mod iam_read;
mod kms;
mod kms_policy;

pub use call::{may_retry, AWS_WRITES};
pub use cmek_retry::{CallKind, CancellationToken, Policy, WritePacer};
pub use config::{AwsCredentials, AwsOptions, DEFAULT_REGION};

use aws_config::{Region, SdkConfig};
use cmek_core::observe::WriteObserver;
use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};

/// What the clones of one client share: the SDK clients, the write counter and the pacer.
struct Shared {
    sdk: SdkConfig,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    kms: Mutex<HashMap<String, aws_sdk_kms::Client>>,
    writes: AtomicU32,
    pacer: WritePacer,
    endpoint: Option<String>,
}

/// The AWS clients of one session. Cheap to clone; clones share counters and pacing.
#[derive(Clone)]
pub struct AwsClient {
    shared: Arc<Shared>,
    observer: Option<Arc<dyn WriteObserver>>,
    cancel: CancellationToken,
    retry: Policy,
}

impl std::fmt::Debug for AwsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsClient")
            .field("region", &self.default_region())
            .field("endpoint", &self.shared.endpoint)
            .finish_non_exhaustive()
    }
}

impl AwsClient {
    /// Builds the clients. Nothing is sent yet: call [`AwsClient::caller_identity`] to prove
    /// the credentials.
    pub async fn connect(options: AwsOptions) -> Self {
        let sdk = config::load(&options).await;
        Self {
            shared: Arc::new(Shared {
                iam: aws_sdk_iam::Client::new(&sdk),
                sts: aws_sdk_sts::Client::new(&sdk),
                kms: Mutex::new(HashMap::new()),
                writes: AtomicU32::new(0),
                pacer: WritePacer::new(AWS_WRITES),
                endpoint: options.endpoint.clone(),
                sdk,
            }),
            observer: None,
            cancel: CancellationToken::new(),
            retry: cmek_retry::policy::HTTP_TRANSIENT,
        }
    }

    /// The same client (same counter and pacer) with `observer` told of every write attempt.
    pub fn with_observer(mut self, observer: Arc<dyn WriteObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The same client whose retry and pacing waits end at once, with a `Cancelled` error,
    /// when `token` is cancelled. An attempt already sent finishes.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Other retry bounds (tests use short waits); which failures are retried stays
    /// [`may_retry`]'s.
    pub fn with_retry_policy(mut self, policy: Policy) -> Self {
        self.retry = policy;
        self
    }

    /// The same client sending each call once, without retries (to prove credentials: a
    /// refused key or an unreachable endpoint answers at once).
    pub fn without_retries(mut self) -> Self {
        self.retry = self.retry.with_max_attempts(1);
        self
    }

    /// Write attempts sent through this client and its clones so far.
    pub fn write_calls(&self) -> u32 {
        self.shared
            .writes
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The region used for IAM and STS (the chain's, or [`DEFAULT_REGION`]).
    pub fn default_region(&self) -> String {
        self.shared
            .sdk
            .region()
            .map_or_else(|| DEFAULT_REGION.to_owned(), |r| r.to_string())
    }

    /// The endpoint override in use, if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.shared.endpoint.as_deref()
    }

    /// The KMS client of `region` (made on first use).
    fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        let mut clients = self.shared.kms.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let conf = aws_sdk_kms::config::Builder::from(&self.shared.sdk)
                    .region(Region::new(region.to_owned()))
                    .build();
                aws_sdk_kms::Client::from_conf(conf)
            })
            .clone()
    }
}
