//! CMEK Desk's domain, free of Tauri, HTTP and the keychain.
//!
//! What lives here: the wire models of the Google Cloud and CockroachDB Cloud APIs we call
//! ([`kms`], [`iam`], [`service_account`], [`service_usage`], [`cockroach`]), the rules that
//! keep IAM edits safe ([`iam`]), naming and validation rules ([`names`]), the closed set of
//! error codes the UI switches on ([`error`]), the secret type ([`secret`]) and the types of
//! the guided-setup plan ([`plan`]) with its equivalent CLI commands ([`gcloud`]), and the
//! `CMEK_DESK_*` settings with the release-build rule for endpoint overrides ([`settings`]),
//! and the hook through which every write call is recorded ([`observe`]).
//!
//! Every value a person hands the app is parsed at the boundary into a validated type of
//! [`input`] (ids, locations, regions, key names, confirmations, paths, limits).
//!
//! Life after setup: the CMEK state machine every action asks first ([`lifecycle`]) and the
//! rotation and add-region requests and plan parts ([`change`]).
//!
//! The AWS side (IAM policy documents, ARNs, CockroachDB's trust and key-policy statements,
//! the AWS setup plan and its `aws` CLI commands) is in [`aws`].
//!
//! What does not: any I/O. Clients live in `cmek-gcp` and `cmek-cockroach`, the setup engine
//! in `cmek-setup`, the local fake clouds in `cmek-sandbox`.

pub mod aws;
pub mod change;
pub mod cockroach;
pub mod error;
pub mod files;
pub mod gcloud;
pub mod iam;
pub mod input;
pub mod kms;
pub mod lifecycle;
pub mod names;
pub mod observe;
pub mod plan;
pub mod protected;
pub mod secret;
pub mod separation;
pub mod service_account;
pub mod service_usage;
pub mod settings;
pub mod setup_fields;

#[cfg(test)]
mod wire_fuzz;

pub use error::{Error, ErrorCode, Result};
pub use secret::Secret;
