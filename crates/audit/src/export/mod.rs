//! Exports of an [`crate::AuditReport`]: [`json`] (the versioned report schema), [`csv`] (one
//! row per finding), [`html`] (self-contained printable report) and [`ocsf`] (OCSF 1.1 Detection
//! Finding events, class_uid 2004). Each carries the scan time, identity and app version.
//! [`render`] picks one by [`AuditExportFormat`]; [`write_export`] writes it into a folder (the
//! app's export folder: no file dialog, no file-system permission for the window).

pub mod csv;
pub mod html;
pub mod json;
pub mod ocsf;

use crate::model::AuditReport;
use cmek_core::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

/// The export formats of the Audit screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AuditExportFormat {
    /// The report verbatim ([`json::to_json`]).
    Json,
    /// One row per finding ([`csv::to_csv`]).
    Csv,
    /// Self-contained printable report ([`html::to_html`]).
    Html,
    /// OCSF 1.1 Detection Finding events ([`ocsf::to_ocsf_string`]).
    Ocsf,
}

impl AuditExportFormat {
    /// File name suffix (`json`, `csv`, `html`, `ocsf.json`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Html => "html",
            Self::Ocsf => "ocsf.json",
        }
    }
}

/// The report in `format`.
pub fn render(report: &AuditReport, format: AuditExportFormat) -> String {
    match format {
        AuditExportFormat::Json => json::to_json(report),
        AuditExportFormat::Csv => csv::to_csv(report),
        AuditExportFormat::Html => html::to_html(report),
        AuditExportFormat::Ocsf => ocsf::to_ocsf_string(report),
    }
}

/// Writes `report` in `format` to `{dir}/cmek-audit-YYYYMMDD-HHMMSSZ.{ext}` (the scan time in
/// UTC: the one export name rule, `cmek_core::files::export_file_name`; `-2`, `-3`… rather than
/// overwrite), creating `dir`, and returns the file's path.
pub fn write_export(report: &AuditReport, format: AuditExportFormat, dir: &Path) -> Result<String> {
    // A report holds IAM policies and identities: a 0700 folder, a 0600 file (cmek_core::files).
    cmek_core::files::private_dir(dir)?;
    let name =
        cmek_core::files::export_file_name_rfc3339("audit", &report.scan_time, format.extension());
    let path = cmek_core::files::export_path(dir, &name);
    cmek_core::files::write_private(&path, render(report, format).as_bytes())?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_export_writes_each_format_under_a_safe_name() {
        let dir = std::env::temp_dir().join(format!("cmek-audit-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let report = AuditReport {
            scan_time: "2025-01-02T03:04:05Z".into(),
            ..Default::default()
        };
        for format in [
            AuditExportFormat::Json,
            AuditExportFormat::Csv,
            AuditExportFormat::Html,
            AuditExportFormat::Ocsf,
        ] {
            let path = write_export(&report, format, &dir).expect("written");
            assert!(
                path.ends_with(&format!(
                    "cmek-audit-20250102-030405Z.{}",
                    format.extension()
                )),
                "{path}"
            );
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                render(&report, format)
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{path}: {mode:o}");
                let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
                assert_eq!(dir_mode, 0o700, "{}: {dir_mode:o}", dir.display());
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
