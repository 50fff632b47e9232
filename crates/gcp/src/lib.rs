//! Google Cloud REST clients for CMEK Desk: Cloud KMS v1, IAM v1 (service accounts), Service
//! Usage v1 and Resource Manager v3; read-only Cloud Logging v2 (log-based metrics), Cloud
//! Monitoring v3 (alert policies), Cloud Asset Inventory v1 and KMS Inventory v1 ([`asset`])
//! for the audit.
//!
//! One HTTP layer ([`http`]) adds the bearer token, routing header, write pacing and retries
//! (`cmek_retry`'s rule by call kind: 429/503 for all calls, 500/502/504 and time-outs only for
//! reads and idempotent writes, with backoff and `Retry-After`); one function
//! ([`error::map_google_error`]) turns every `google.rpc.Status` body into a
//! [`cmek_core::Error`] with a closed code; one function ([`policy::edit_policy`]) does every IAM
//! read-modify-write with the etag (its 409 loop is `cmek_retry::policy::ETAG_CONFLICT`). Every
//! base URL is configurable so tests run against the local sandbox. No retries of our own
//! beyond those.

pub mod asset;
pub mod error;
pub mod http;
pub mod iam;
pub mod kms;
pub mod logging;
pub mod monitoring;
pub mod policy;
pub mod resource_manager;
pub mod service_usage;

pub use asset::{AssetClient, KmsInventoryClient};
pub use http::{CallKind, CancellationToken, GoogleHttp, StaticToken, TokenSource};
pub use iam::IamClient;
pub use kms::KmsClient;
pub use logging::LoggingClient;
pub use monitoring::MonitoringClient;
pub use policy::{edit_policy, PolicyEdit, PolicyTarget};
pub use resource_manager::ResourceManagerClient;
pub use service_usage::ServiceUsageClient;

/// All Google clients over one HTTP layer.
#[derive(Clone)]
pub struct Google {
    pub kms: KmsClient,
    pub iam: IamClient,
    pub service_usage: ServiceUsageClient,
    pub crm: ResourceManagerClient,
    pub logging: LoggingClient,
    pub monitoring: MonitoringClient,
    /// Cloud Asset Inventory (base [`GoogleEndpoints::asset`]).
    pub asset: AssetClient,
    /// KMS Inventory (base [`GoogleEndpoints::kms_inventory`]).
    pub kms_inventory: KmsInventoryClient,
}

/// Base URLs, each ending in `/` (real: `https://cloudkms.googleapis.com/` etc.).
#[derive(Debug, Clone)]
pub struct GoogleEndpoints {
    pub kms: String,
    pub iam: String,
    pub serviceusage: String,
    pub crm: String,
    /// Cloud Logging (`https://logging.googleapis.com/`).
    pub logging: String,
    /// Cloud Monitoring (`https://monitoring.googleapis.com/`).
    pub monitoring: String,
}

impl GoogleEndpoints {
    /// Every service on one server, each under its own prefix: `{base}/kms/`, `/iam/`,
    /// `/serviceusage/`, `/crm/`, `/logging/`, `/monitoring/` — how `cmek-sandbox` serves them
    /// (and the app's `CMEK_DESK_GOOGLE_API_BASE` setting). `base` may end with `/` or not.
    pub fn single_server(base: &str) -> Self {
        let b = base.trim_end_matches('/');
        Self {
            kms: format!("{b}/kms/"),
            iam: format!("{b}/iam/"),
            serviceusage: format!("{b}/serviceusage/"),
            crm: format!("{b}/crm/"),
            logging: format!("{b}/logging/"),
            monitoring: format!("{b}/monitoring/"),
        }
    }

    /// Cloud Asset Inventory base, derived from [`GoogleEndpoints::crm`] so every existing
    /// setting serves it: on Google's host `https://cloudasset.googleapis.com/`, on one server
    /// (the sandbox, `…/crm/`) `…/cloudasset/`.
    pub fn asset(&self) -> String {
        self.sibling("cloudasset")
    }

    /// KMS Inventory base, derived like [`GoogleEndpoints::asset`]
    /// (`https://kmsinventory.googleapis.com/` or `…/kmsinventory/`).
    pub fn kms_inventory(&self) -> String {
        self.sibling("kmsinventory")
    }

    fn sibling(&self, service: &str) -> String {
        const GOOGLE: &str = "https://cloudresourcemanager.googleapis.com/";
        if self.crm == GOOGLE {
            return format!("https://{service}.googleapis.com/");
        }
        match self.crm.trim_end_matches('/').strip_suffix("/crm") {
            Some(base) => format!("{base}/{service}/"),
            None => format!("https://{service}.googleapis.com/"),
        }
    }

    /// The production endpoints.
    pub fn production() -> Self {
        Self {
            kms: "https://cloudkms.googleapis.com/".into(),
            iam: "https://iam.googleapis.com/".into(),
            serviceusage: "https://serviceusage.googleapis.com/".into(),
            crm: "https://cloudresourcemanager.googleapis.com/".into(),
            logging: "https://logging.googleapis.com/".into(),
            monitoring: "https://monitoring.googleapis.com/".into(),
        }
    }
}

impl Google {
    /// The same clients (same HTTP layer, counter and pacer) whose retry, pacing and
    /// etag-conflict waits end at once with a `Cancelled` error when `token` is cancelled.
    /// Attempts already sent still finish.
    pub fn with_cancel(&self, token: &CancellationToken) -> Self {
        Self {
            kms: self.kms.with_cancel(token),
            iam: self.iam.with_cancel(token),
            service_usage: self.service_usage.with_cancel(token),
            crm: self.crm.with_cancel(token),
            logging: self.logging.with_cancel(token),
            monitoring: self.monitoring.with_cancel(token),
            asset: self.asset.with_cancel(token),
            kms_inventory: self.kms_inventory.with_cancel(token),
        }
    }

    /// The token the clients' waits observe (never cancelled unless set by [`Google::with_cancel`]).
    pub fn cancel_token(&self) -> CancellationToken {
        self.kms.http().cancel_token()
    }

    pub fn new(http: GoogleHttp, endpoints: &GoogleEndpoints) -> Self {
        Self {
            kms: KmsClient::new(http.clone(), &endpoints.kms),
            iam: IamClient::new(http.clone(), &endpoints.iam),
            service_usage: ServiceUsageClient::new(http.clone(), &endpoints.serviceusage),
            crm: ResourceManagerClient::new(http.clone(), &endpoints.crm),
            logging: LoggingClient::new(http.clone(), &endpoints.logging),
            monitoring: MonitoringClient::new(http.clone(), &endpoints.monitoring),
            asset: AssetClient::new(http.clone(), &endpoints.asset()),
            kms_inventory: KmsInventoryClient::new(http, &endpoints.kms_inventory()),
        }
    }
}
