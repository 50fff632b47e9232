//! Self-contained printable HTML report: inline CSS only, no scripts, no remote content (no
//! `src=`/`href=` to anything), every value HTML-escaped. Sections: header (scan time,
//! identity, app version), summary by severity, findings, keys (with versions, effective
//! bindings and the clusters using them), clusters, checks catalogue.

use crate::model::{AuditReport, FindingStatus, KeyRow};
use std::fmt::Write;

/// Escapes `& < > " '` for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#111}h1{font-size:1.5em}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.85em}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}.CRITICAL{color:#fff;background:#8b0000}.HIGH{background:#f4b6b6}.MEDIUM{background:#fde2a7}.LOW{background:#e6f0d0}.INFO,.NOT_APPLICABLE{background:#eee}code{font-size:.9em;word-break:break-all}@media print{body{margin:0}tr{page-break-inside:avoid}}";

fn key_section(out: &mut String, k: &KeyRow) {
    let _ = write!(out, "<h3><code>{}</code></h3><p>purpose {} · protection {} · primary {} ({}) · rotation {} · next {} · destroy delay {}</p>",
        esc(&k.name), esc(k.purpose.as_deref().unwrap_or("-")), esc(k.protection_level.as_deref().unwrap_or("-")),
        esc(k.primary_id.as_deref().unwrap_or("-")), esc(k.primary_state.as_deref().unwrap_or("-")),
        esc(k.rotation_period.as_deref().unwrap_or("none")), esc(k.next_rotation_time.as_deref().unwrap_or("-")),
        esc(k.destroy_scheduled_duration.as_deref().unwrap_or("default")));
    out.push_str(
        "<table><tr><th>Version</th><th>State</th><th>Created</th><th>Destroy time</th></tr>",
    );
    for v in &k.versions {
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.id),
            if v.is_primary { " (primary)" } else { "" },
            esc(&v.state),
            esc(v.create_time.as_deref().unwrap_or("")),
            esc(v.destroy_time.as_deref().unwrap_or(""))
        );
    }
    out.push_str(
        "</table><table><tr><th>Member</th><th>Role</th><th>Level</th><th>Condition</th></tr>",
    );
    for b in &k.effective_bindings {
        let cond = b
            .condition
            .as_ref()
            .map(|c| c.expression.as_str())
            .unwrap_or("");
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:?}</td><td><code>{}</code></td></tr>",
            esc(&b.member),
            esc(&b.role),
            b.level,
            esc(cond)
        );
    }
    out.push_str("</table>");
    if !k.used_by.is_empty() {
        out.push_str("<table><tr><th>Cluster</th><th>Region</th><th>Now?</th><th>Status</th><th>Auth principal</th></tr>");
        for u in &k.used_by {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&u.cluster_name),
                esc(&u.region),
                if u.current { "yes" } else { "past" },
                esc(&u.status),
                esc(&u.auth_principal)
            );
        }
        out.push_str("</table>");
    }
}

/// The HTML document.
pub fn to_html(r: &AuditReport) -> String {
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CMEK key audit {}</title><style>{CSS}</style></head><body>", esc(&r.scan_time));
    let _ = write!(o, "<h1>CMEK key audit</h1><p>Scan time <b>{}</b> · identity <b>{}</b> · CMEK Desk {} · schema {}{}</p>", esc(&r.scan_time), esc(&r.identity), esc(&r.app_version), r.schema_version, if r.cancelled { " · <b>CANCELLED: partial results</b>" } else { "" });
    let fails = r
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail);
    let mut counts = std::collections::BTreeMap::new();
    for f in fails {
        *counts.entry(f.severity).or_insert(0u32) += 1;
    }
    o.push_str("<h2>Summary</h2><table><tr>");
    for (s, n) in &counts {
        let _ = write!(o, "<td class=\"{}\">{} {}</td>", s.as_str(), s.as_str(), n);
    }
    let _ = write!(
        o,
        "<td>{} projects · {} keys · {} clusters</td></tr></table>",
        r.projects.len(),
        r.keys().count(),
        r.clusters.len()
    );
    for p in r.projects.iter().filter(|p| p.error.is_some()) {
        let _ = write!(
            o,
            "<p class=\"HIGH\">Project {}: {}</p>",
            esc(&p.project_id),
            esc(&p
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default())
        );
    }
    o.push_str("<h2>Findings</h2><table><tr><th>Check</th><th>Severity</th><th>Resource</th><th>Finding</th><th>Evidence</th><th>Remediation</th><th>Sources</th></tr>");
    for f in &r.findings {
        let cls = if f.status == FindingStatus::Fail {
            f.severity.as_str()
        } else {
            "NOT_APPLICABLE"
        };
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{}: {}", esc(&e.field), esc(&e.value)))
            .collect();
        let s = &f.sources;
        let src: Vec<String> = s
            .cis
            .iter()
            .chain(&s.prowler)
            .chain(&s.scoutsuite)
            .chain(&s.scc)
            .chain(&s.other)
            .map(|x| esc(x))
            .collect();
        let _ = write!(o, "<tr><td>{} {}</td><td class=\"{cls}\">{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&f.check_id), esc(&f.title), if f.status == FindingStatus::Fail { f.severity.as_str() } else { "N/A" }, esc(&f.resource), esc(&f.message), ev.join("<br>"), esc(&f.remediation), src.join("<br>"));
    }
    o.push_str("</table><h2>Keys</h2>");
    for k in r.keys() {
        key_section(&mut o, k);
    }
    o.push_str("<h2>CockroachDB clusters</h2><table><tr><th>Cluster</th><th>Cloud</th><th>Regions</th><th>CMEK status</th></tr>");
    for c in &r.clusters {
        let st = c
            .cmek
            .as_ref()
            .map(|i| i.status.as_str())
            .unwrap_or("not enabled");
        let _ = write!(
            o,
            "<tr><td>{} <code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.name),
            esc(&c.id),
            esc(&c.cloud_provider),
            esc(&c.regions.join(", ")),
            esc(st)
        );
    }
    o.push_str(
        "</table><h2>Checks</h2><table><tr><th>Id</th><th>Title</th><th>Condition</th></tr>",
    );
    for c in &r.checks {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(&c.title),
            esc(&c.condition)
        );
    }
    o.push_str("</table></body></html>\n");
    o
}
