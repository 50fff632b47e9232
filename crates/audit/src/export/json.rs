//! JSON export: the [`AuditReport`] verbatim (camelCase), schema version in `schemaVersion`
//! ([`crate::model::SCHEMA_VERSION`]). The TypeScript shape is `ui/src/lib/bindings/AuditReport.ts`.
//!
//! Top-level fields: `schemaVersion`, `scanTime` (RFC 3339), `identity`, `appVersion`,
//! `cancelled`, `durationMs`, `projects[]` (locations, keyRings, keys with versions,
//! effectiveBindings and usedBy, bindings, error), `serviceAccounts[]`, `clusters[]` (with
//! `cmek`), `cockroachError`, `checks[]` (the catalogue), `findings[]`.

use crate::model::AuditReport;

/// Pretty-printed JSON of the report.
pub fn to_json(report: &AuditReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Reads a JSON export back.
pub fn from_json(text: &str) -> serde_json::Result<AuditReport> {
    serde_json::from_str(text)
}
