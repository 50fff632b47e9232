//! Exports of an [`crate::AuditReport`]: [`json`] (the versioned report schema), [`csv`] (one
//! row per finding), [`html`] (self-contained printable report) and [`ocsf`] (OCSF 1.1 Detection
//! Finding events, class_uid 2004). Each carries the scan time, identity and app version.

pub mod csv;
pub mod html;
pub mod json;
pub mod ocsf;
