//! Export of the activity log to JSON (an array of [`ActivityEntry`]) or CSV (one row per
//! entry, RFC 4180 quoting, `before`/`after`/`error` as compact JSON in their cells).
//!
//! CSV formula guard (OWASP "CSV Injection"): a cell whose text starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is prefixed with `'` so a spreadsheet shows it as text
//! instead of running it (a service-account name or summary is attacker-influenced). Export
//! files are written `0600` ([`crate::files`]).

use std::path::Path;

use cmek_core::{Error, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{to_json, ActivityEntry, ActivityLog};

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ExportFormat {
    Json,
    Csv,
}

const CSV_HEADER: &str =
    "id,at,actor,operation_id,kind,action,target,summary,status,before,after,error,intent_id";

/// First characters a spreadsheet treats as the start of a formula (OWASP CSV Injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn cell(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(FORMULA_STARTS) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn json_cell<T: Serialize>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| cell(&to_json(v).to_string()))
        .unwrap_or_default()
}

fn plain<T: Serialize>(v: &T) -> String {
    match to_json(v) {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// CSV text of `entries` (header line first).
pub fn to_csv(entries: &[ActivityEntry]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for e in entries {
        let fields = [
            e.id.to_string(),
            cell(&e.at),
            cell(&e.actor),
            cell(e.operation_id.as_deref().unwrap_or_default()),
            plain(&e.kind),
            cell(&e.action),
            cell(&e.target),
            cell(&e.summary),
            e.status.map(|s| plain(&s)).unwrap_or_default(),
            json_cell(&e.before),
            json_cell(&e.after),
            json_cell(&e.error),
            e.intent_id.map(|i| i.to_string()).unwrap_or_default(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

impl ActivityLog {
    /// The whole log as pretty JSON (an array of entries, oldest first).
    pub fn export_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&self.entries()?).map_err(|e| Error::internal(e.to_string()))
    }

    /// The whole log as CSV.
    pub fn export_csv(&self) -> Result<String> {
        Ok(to_csv(&self.entries()?))
    }

    /// Writes the export to `path` and records the export itself in the log.
    pub fn export_to(&self, actor: &str, path: &Path, format: ExportFormat) -> Result<()> {
        let text = match format {
            ExportFormat::Json => self.export_json()?,
            ExportFormat::Csv => self.export_csv()?,
        };
        crate::files::write_private(path, text.as_bytes())?;
        self.record_event(
            actor,
            "activity.export",
            &path.display().to_string(),
            "Exported the activity log",
            &format,
        )?;
        Ok(())
    }
}
