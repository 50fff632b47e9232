//! `cmek-sandbox`: a stateful, in-process fake of exactly the Google Cloud (Cloud KMS v1,
//! IAM v1, Service Usage v1, Resource Manager v1/v3) and CockroachDB Cloud REST endpoints that
//! CMEK Desk uses. Tests start it on `127.0.0.1:0`; the app starts it in "sandbox mode".
//!
//! AWS (KMS, IAM, STS) shares one endpoint, `{base}/aws`, told apart by the request (see
//! [`aws`]).
//!
//! Each Google and CockroachDB service lives under its own prefix of
//! [`SandboxHandle::base_url`] (see [`Endpoints`]), followed by the real API path, e.g.
//! `{base}/kms/v1/projects/p/locations/global/keyRings`.
//!
//! ```no_run
//! # async fn demo() {
//! use cmek_sandbox::{Sandbox, SandboxConfig};
//! let sb = Sandbox::start(SandboxConfig::for_tests()).await;
//! let kms_base = sb.endpoints().kms; // "http://127.0.0.1:PORT/kms/"
//! # let _ = kms_base;
//! # }
//! ```

mod alert_policies;
mod asset_inventory;
mod auth;
pub mod aws;
mod cluster_update;
mod cmek;
mod cockroach;
pub mod config;
mod enums;
pub mod errors;
mod fault_router;
pub mod faults;
mod handle;
mod iam_policy;
pub mod inventory_quota;
mod kms;
mod kms_inventory;
mod kms_keys;
mod kms_versions;
mod log_metrics;
pub mod moto;
mod project_list;
mod resource_manager;
pub mod roles;
pub mod router;
pub mod scan_list;
pub mod seed;
pub mod seed_audit;
pub mod serve;
mod service_accounts;
mod service_usage;
mod spec_check;
pub mod spec_guard;
pub mod state;

pub use aws::{
    AwsForeignStatement, AWS_ACCESS_KEY_ID, AWS_AUDIT_ACCESS_KEY_ID, AWS_AUDIT_ACCOUNT_ID,
    AWS_AUDIT_SECRET_ACCESS_KEY, AWS_CALLER_ARN, AWS_CUSTOMER_ACCOUNT_ID, AWS_REGION,
    AWS_SECRET_ACCESS_KEY,
};
pub use cmek::{
    crl_kms_principal, INSUFFICIENT_PERMISSIONS, KEY_ACCESS_FAILING, KEY_ACCESS_RESTORED,
};
pub use config::{
    SandboxConfig, SpecGuard, COCKROACH_API_VERSION, DEFAULT_COCKROACH_KEY, DEFAULT_GOOGLE_MEMBER,
    DEFAULT_GOOGLE_TOKEN,
};
pub use faults::{FaultKind, FaultPlan, FaultRule, InjectedFault, RandomPlan, Target};
pub use handle::{Endpoints, Sandbox, SandboxHandle};
pub use iam_policy::EMPTY_ETAG;
pub use inventory_quota::InventoryQuotas;
pub use kms::LOCATIONS;
pub use serve::StopSignal;
pub use state::{Fault, Hook, RecordedRequest, Stall, State};
