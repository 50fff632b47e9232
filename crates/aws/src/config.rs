//! Where credentials and endpoints come from, and the SDK configuration built from them.
//!
//! - [`AwsCredentials::DefaultChain`]: the SDK's standard chain (environment variables, the
//!   shared config and credentials files with an optional profile, SSO, `credential_process`,
//!   web identity, container and instance metadata).
//! - [`AwsCredentials::AccessKeys`]: static keys the user entered, kept in the OS keychain by
//!   the app core and handed over as [`cmek_core::Secret`]s (never printed, never serialized).
//!
//! The SDK's own retries are **disabled** (`RetryConfig::disabled`): every call is retried by
//! `cmek_retry`'s rule in [`crate::AwsClient`], so there is one retry policy in the app and one
//! write observer call per attempt. TLS is rustls with ring (no aws-lc-sys, no cmake); the
//! endpoint override is for tests and the sandbox and must already have passed
//! `cmek_core::settings::check_endpoint` (`CMEK_DESK_AWS_ENDPOINT`).

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use cmek_core::Secret;
use std::time::Duration;

/// Region used for IAM and STS when the chain names none (IAM is global; STS answers anywhere).
pub const DEFAULT_REGION: &str = "us-east-1";

/// How long one attempt may take (connect included) before it counts as a time-out.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where AWS credentials come from.
#[derive(Debug, Clone)]
pub enum AwsCredentials {
    /// The SDK's standard chain; `profile` picks a named profile of `~/.aws/config`.
    DefaultChain { profile: Option<String> },
    /// Access keys the user entered (from the OS keychain).
    AccessKeys {
        access_key_id: String,
        secret_access_key: Secret,
        session_token: Option<Secret>,
    },
}

/// Everything needed to build the clients.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    pub credentials: AwsCredentials,
    /// Region for IAM/STS and the default for KMS (else the chain's, else [`DEFAULT_REGION`]).
    pub region: Option<String>,
    /// One endpoint for IAM, KMS and STS (sandbox `{base}/aws`, moto), already checked by the
    /// settings rule; `None` for AWS's own endpoints.
    pub endpoint: Option<String>,
    /// Per-attempt time-out ([`ATTEMPT_TIMEOUT`] by default).
    pub attempt_timeout: Duration,
}

impl AwsOptions {
    /// The standard chain with the default profile, AWS's endpoints.
    pub fn default_chain() -> Self {
        Self::new(AwsCredentials::DefaultChain { profile: None })
    }

    /// Options for `credentials` with the defaults otherwise.
    pub fn new(credentials: AwsCredentials) -> Self {
        Self {
            credentials,
            region: None,
            endpoint: None,
            attempt_timeout: ATTEMPT_TIMEOUT,
        }
    }

    /// The same options against `endpoint` (tests, sandbox).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The same options with `region` for IAM/STS.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// Loads the SDK configuration: credentials, region, endpoint, no SDK retries, time-outs, and
/// an HTTP client on rustls/ring (which also speaks plain HTTP to a loopback sandbox).
pub(crate) async fn load(options: &AwsOptions) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(options.attempt_timeout)
        .connect_timeout(Duration::from_secs(10))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts);
    match &options.credentials {
        AwsCredentials::DefaultChain { profile } => {
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
        }
        AwsCredentials::AccessKeys {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            // Static keys name no region of their own: do not probe instance metadata for one.
            if options.region.is_none() {
                loader = loader.region(Region::new(DEFAULT_REGION));
            }
            loader = loader.credentials_provider(Credentials::new(
                access_key_id,
                secret_access_key.expose(),
                session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "cmek-desk-keychain",
            ));
        }
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &options.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let sdk = loader.load().await;
    let region = sdk
        .region()
        .cloned()
        .unwrap_or_else(|| Region::new(DEFAULT_REGION));
    let mut builder = sdk.into_builder();
    // Only CMEK_DESK_AWS_ENDPOINT (checked by the release rule) may move the endpoint: the
    // SDK's own AWS_ENDPOINT_URL* variables and `endpoint_url` profile keys are dropped, so a
    // credential is never sent to a host someone put in the environment.
    builder.set_endpoint_url(options.endpoint.clone());
    builder.set_service_config(None::<NoServiceConfig>);
    builder.set_region(region);
    builder.build()
}

/// The type of "no service-specific configuration" (see [`load`]).
#[derive(Debug)]
struct NoServiceConfig;

impl aws_types::service_config::LoadServiceConfig for NoServiceConfig {
    fn load_config(&self, _key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        None
    }
}
