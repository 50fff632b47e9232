//! `cmek-spec`: the API contracts of CMEK Desk as executable checks.
//!
//! The Google discovery documents and the CockroachDB Cloud OpenAPI document under `specs/`
//! are embedded at compile time ([`Spec::load`]). From them this crate builds
//! - route tables: (HTTP method, path) -> Google method id / Cloud API `operationId`;
//! - JSON Schema validators for request and response bodies ([`Violation`] on failure);
//! - enum re-encoding for `$alt=json;enum-encoding=int`;
//! - a parser for the recorded real Google traffic ([`recordings`]).
//!
//! The fake server (`cmek-sandbox`) calls it for every exchange; the app's tests use
//! [`APP_GOOGLE_METHODS`] to prove every method it calls exists in the contracts.

mod cockroach;
mod enums;
mod google;
mod methods;
mod proto_numbers;
pub mod recordings;
mod routes;
mod schema;
mod sources;
mod spec;

pub use cockroach::CockroachOperation;
pub use enums::wants_enum_int;
pub use google::{GoogleOperation, GoogleService};
pub use methods::{AppMethod, APP_GOOGLE_METHODS};
pub use schema::Violation;
pub use sources::RECORDINGS;
pub use spec::{EnumEncoding, GoogleOpRef, Spec};
