//! CSV export (RFC 4180): one row per finding, preceded by `#` comment lines with the scan time,
//! identity, app version and schema version. Columns: `checkId,severity,status,resource,project,
//! title,message,evidence,sources,remediation`. Evidence is `field=value` joined with ` | `.
//! A check that did not run has status `NOT_EVALUATED`, an empty severity (it is no detection)
//! and its reason in `message`; a `# summary` line gives the counts of every surface
//! ([`crate::model::FindingCounts`]); a `# protectedResources key=… ` line per key a
//! CockroachDB cluster uses says what else it protects (or why that was not evaluated).

use crate::model::{AuditReport, Finding, FindingStatus};

/// Quotes a field when it holds a comma, quote, CR or LF (quotes doubled). Fields starting with
/// `=`, `+`, `-` or `@` get a leading `'` so spreadsheets do not evaluate them.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn sources(f: &Finding) -> String {
    let s = &f.sources;
    s.cis
        .iter()
        .chain(&s.prowler)
        .chain(&s.scoutsuite)
        .chain(&s.scc)
        .chain(&s.other)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
}

/// The CSV text.
pub fn to_csv(report: &AuditReport) -> String {
    let mut out = format!(
        "# scanTime={}\n# identity={}\n# appVersion={}\n# schemaVersion={}\n",
        report.scan_time.replace('\n', " "),
        report.identity.replace('\n', " "),
        report.app_version,
        report.schema_version
    );
    let c = crate::model::FindingCounts::of(&report.findings);
    out.push_str(&format!(
        "# summary failed={} critical={} high={} medium={} low={} info={} notEvaluated={}\n",
        c.failed, c.critical, c.high, c.medium, c.low, c.info, c.not_evaluated
    ));
    // What else each CockroachDB key protects (KMS Inventory): evidence, not findings.
    for k in report.keys() {
        if let Some(p) = &k.protected_resources {
            out.push_str(&format!(
                "# protectedResources key={} {}\n",
                k.name,
                p.line().replace(['\n', '\r'], " ")
            ));
        }
    }
    out.push_str(
        "checkId,severity,status,resource,project,title,message,evidence,sources,remediation\r\n",
    );
    for f in &report.findings {
        let evidence = f
            .evidence
            .iter()
            .map(|e| format!("{}={}", e.field, e.value))
            .collect::<Vec<_>>()
            .join(" | ");
        let cols = [
            f.check_id.clone(),
            match f.status {
                FindingStatus::Fail => f.severity.as_str().to_owned(),
                FindingStatus::NotEvaluated => String::new(),
            },
            f.status.as_str().to_owned(),
            f.resource.clone(),
            f.project.clone().unwrap_or_default(),
            f.title.clone(),
            f.message.clone(),
            evidence,
            sources(f),
            f.remediation.clone(),
        ];
        out.push_str(&cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}
