//! `cmek-audit`: the visual audit of existing Cloud KMS keys (issue #4).
//!
//! [`run_audit`] reads, for the projects the user selected, every Cloud KMS location, key
//! ring, key (`versionView=FULL`) and version with the IAM policies of key, key ring and project
//! (version 3), plus every CockroachDB Cloud cluster with its CMEK state and the service
//! accounts it names; links each key to the clusters and regions that use or used it; runs the
//! checks A01-A16 and C01-C16 ([`checks`]; C15/C16 are the [`drift`] of CockroachDB's keys and
//! service accounts); and returns an [`AuditReport`]. Exports:
//! [`export::json`], [`export::csv`], [`export::html`], [`export::ocsf`].
//!
//! ```no_run
//! # async fn demo(google: &cmek_gcp::Google, crdb: &cmek_cockroach::CockroachClient) {
//! use cmek_audit::{run_audit, AuditClients, ScanOptions};
//! let cancel = std::sync::atomic::AtomicBool::new(false);
//! let options = ScanOptions { projects: vec!["my-keys".into()], ..Default::default() };
//! let clients = AuditClients { google, cockroach: Some(crdb), identity: "user:me@example.com" };
//! let report = run_audit(clients, &options, &cancel, &|event| println!("{event:?}")).await;
//! let html = cmek_audit::export::html::to_html(&report);
//! # let _ = html;
//! # }
//! ```

pub mod alerting;
pub mod asset_path;
pub mod aws;
pub mod checks;
pub mod crdb;
pub mod drift;
pub mod effective;
pub mod export;
pub mod graph;
pub mod inventory;
pub mod model;
pub mod protected;
pub mod report;
mod scan_options_read;
pub mod scope;
pub mod time_util;

pub use checks::catalogue;
pub use model::*;
pub use report::{run_audit, run_audit_with_aws, AuditClients, APP_VERSION};
pub use scope::{AuditScope, InventoryMode, InventoryPath};
