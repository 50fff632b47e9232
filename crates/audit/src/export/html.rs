//! Self-contained printable HTML report: inline CSS only, no scripts, no remote content (no
//! `src=`/`href=` to anything), every value HTML-escaped. Sections: header (scan time,
//! identity, app version), summary (failed per severity and not evaluated, the counts of every
//! surface), failed findings (blocks: evidence, remediation, sources), checks not evaluated
//! with why, keys (with versions, effective bindings, the clusters using them and what else
//! they protect in the organisation, from KMS Inventory), one section
//! per cluster (a new page in print; "not audited" when its cloud was not in the scan), checks
//! catalogue. Prints on A4 portrait with nothing cut off (see [`CSS`]).

use crate::model::{
    AuditReport, ClusterRow, Finding, FindingCounts, FindingStatus, KeyRow, Severity,
};
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

/// Screen and print styles. Print: A4 portrait with 12 mm margins, every long value (key names,
/// evidence, remediation, sources) wraps inside the page (`overflow-wrap:anywhere`), a finding
/// never splits across pages, and each cluster starts on a new page.
const CSS: &str = "@page{size:A4 portrait;margin:12mm}*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:2em;color:#111;max-width:60em;overflow-wrap:anywhere;word-break:break-word}h1{font-size:1.5em}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.85em;table-layout:fixed}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f3f3f3}.CRITICAL{color:#fff;background:#8b0000}.HIGH{background:#f4b6b6}.MEDIUM{background:#fde2a7}.LOW{background:#e6f0d0}.INFO,.NOT_EVALUATED{background:#eee}code{font-size:.9em;overflow-wrap:anywhere;word-break:break-all;white-space:pre-wrap}.finding{border:1px solid #ccc;border-left-width:6px;padding:.4em .7em;margin:.6em 0;font-size:.85em}.finding h3{font-size:1em;margin:.1em 0 .3em}.finding dl{display:grid;grid-template-columns:8.5em minmax(0,1fr);gap:.2em .6em;margin:.3em 0}.finding dt{font-weight:600}.finding dd{margin:0;min-width:0}.sev{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.85em}section.cluster{margin-top:1.5em}@media print{body{margin:0;max-width:none;font-size:10pt}.finding,tr,h2,h3{break-inside:avoid;page-break-inside:avoid}h2,h3{break-after:avoid;page-break-after:avoid}section.cluster{break-before:page;page-break-before:always}}";

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
    protected_section(out, k);
}

/// What else the key protects in the organisation (KMS Inventory), or why not evaluated.
fn protected_section(out: &mut String, k: &KeyRow) {
    use cmek_core::protected::ProtectedResources as P;
    match &k.protected_resources {
        None => {}
        Some(P::NotEvaluated { why }) => {
            let _ = write!(
                out,
                "<p>Other resources this key protects: not evaluated: {}</p>",
                esc(why)
            );
        }
        Some(P::Evaluated {
            organization,
            resources,
        }) if resources.is_empty() => {
            let _ = write!(
                out,
                "<p>Other resources this key protects: none in {} (KMS Inventory)</p>",
                esc(organization)
            );
        }
        Some(P::Evaluated {
            organization,
            resources,
        }) => {
            let _ = write!(out, "<p>Other resources this key protects in {} (KMS Inventory): {}</p><table><tr><th>Type</th><th>Resource</th><th>Project</th><th>Location</th><th>Key version</th></tr>", esc(organization), resources.len());
            for r in resources {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&r.resource_type),
                    esc(&r.name),
                    esc(&r.project),
                    esc(&r.location),
                    esc(&r.key_versions.join(", "))
                );
            }
            out.push_str("</table>");
        }
    }
}

fn sources_of(f: &Finding) -> Vec<String> {
    let s = &f.sources;
    s.cis
        .iter()
        .chain(&s.prowler)
        .chain(&s.scoutsuite)
        .chain(&s.scc)
        .chain(&s.other)
        .map(|x| esc(x))
        .collect()
}

/// One failed finding as a block that wraps on an A4 page: check, severity, resource, message,
/// then Evidence, Remediation and Sources as a definition list.
fn finding_block(o: &mut String, f: &Finding) {
    let ev: Vec<String> = f
        .evidence
        .iter()
        .map(|e| format!("{}: {}", esc(&e.field), esc(&e.value)))
        .collect();
    let sev = f.severity.as_str();
    let _ = write!(o, "<div class=\"finding\" data-check=\"{}\"><h3><span class=\"sev {sev}\">{sev}</span> {} {}</h3><p><code>{}</code></p><p>{}</p><dl><dt>Evidence</dt><dd>{}</dd><dt>Remediation</dt><dd class=\"remediation\">{}</dd><dt>Sources</dt><dd>{}</dd></dl></div>",
        esc(&f.check_id), esc(&f.check_id), esc(&f.title), esc(&f.resource), esc(&f.message), ev.join("<br>"), esc(&f.remediation), sources_of(f).join("<br>"));
}

/// One cluster on its own page (in print): cloud, regions, CMEK status, whether its cloud was
/// audited and the failed findings on it (listed; their blocks are under Findings).
fn cluster_section(o: &mut String, r: &AuditReport, c: &ClusterRow) {
    let st = c
        .cmek
        .as_ref()
        .map(|i| i.status.as_str())
        .unwrap_or("not enabled");
    let own: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .filter(|f| {
            f.resource == format!("clusters/{}", c.id)
                || f.resource.starts_with(&format!("clusters/{}/", c.id))
        })
        .collect();
    let audited = if r.cluster_audited(c) {
        format!(
            "{} audited: {} failed findings on the cluster",
            esc(&c.cloud_provider),
            own.len()
        )
    } else {
        format!(
            "not audited: {} was not in this scan",
            esc(&c.cloud_provider)
        )
    };
    let _ = write!(o, "<section class=\"cluster\"><h3>{} <code>{}</code></h3><p>{} · {} · regions {} · CMEK status {} · {audited}</p>",
        esc(&c.name), esc(&c.id), esc(&c.cloud_provider), esc(&c.plan), esc(&c.regions.join(", ")), esc(st));
    if let Some(info) = &c.cmek {
        o.push_str("<table><tr><th>Region</th><th>Status</th><th>Key in use</th><th>Auth principal</th></tr>");
        for ri in &info.region_infos {
            let cur = ri.current();
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(&ri.region),
                esc(ri.status.as_str()),
                esc(cur.map(|k| k.spec.uri.as_str()).unwrap_or("-")),
                esc(cur.map(|k| k.spec.auth_principal.as_str()).unwrap_or("-"))
            );
        }
        o.push_str("</table>");
    }
    if !own.is_empty() {
        o.push_str("<ul>");
        for f in own {
            let _ = write!(
                o,
                "<li>{} {} {}: {}</li>",
                f.severity.as_str(),
                esc(&f.check_id),
                esc(&f.title),
                esc(&f.message)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>");
}

/// The HTML document.
pub fn to_html(r: &AuditReport) -> String {
    let mut o = String::new();
    let _ = write!(o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CMEK key audit {}</title><style>{CSS}</style></head><body>", esc(&r.scan_time));
    let _ = write!(o, "<h1>CMEK key audit</h1><p>Scan time <b>{}</b> · identity <b>{}</b> · CMEK Desk {} · schema {}{}</p>", esc(&r.scan_time), esc(&r.identity), esc(&r.app_version), r.schema_version, if r.cancelled { " · <b>CANCELLED: partial results</b>" } else { "" });
    let counts = FindingCounts::of(&r.findings);
    o.push_str("<h2>Summary</h2><table class=\"summary\"><tr>");
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let _ = write!(
            o,
            "<td class=\"{}\" data-severity=\"{}\">{} {}</td>",
            s.as_str(),
            s.as_str(),
            s.as_str(),
            counts.of_severity(s)
        );
    }
    let _ = write!(
        o,
        "<td class=\"NOT_EVALUATED\" data-severity=\"NOT_EVALUATED\">not evaluated {}</td></tr></table><p>{} projects · {} keys · {} clusters · clouds audited: {}</p>",
        counts.not_evaluated,
        r.projects.len(),
        r.keys().count(),
        r.clusters.len(),
        esc(&r.clouds_audited.join(", "))
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
    let _ = write!(o, "<h2>Findings ({} failed)</h2>", counts.failed);
    for f in r
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
    {
        finding_block(&mut o, f);
    }
    let _ = write!(o, "<h2>Not evaluated ({})</h2><p>Checks that did not run, with why: not findings, never counted as failed or passed.</p><table class=\"not-evaluated\"><tr><th style=\"width:4em\">Check</th><th style=\"width:30%\">Resource</th><th>Why</th></tr>", counts.not_evaluated);
    for f in r
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::NotEvaluated)
    {
        let _ = write!(
            o,
            "<tr class=\"NOT_EVALUATED\" data-check=\"{}\"><td>{} {}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&f.check_id),
            esc(&f.check_id),
            esc(&f.title),
            esc(&f.resource),
            esc(&f.message)
        );
    }
    o.push_str("</table><h2>Keys</h2>");
    for k in r.keys() {
        key_section(&mut o, k);
    }
    o.push_str("<h2>CockroachDB clusters</h2>");
    for c in &r.clusters {
        cluster_section(&mut o, r, c);
    }
    o.push_str(
        "<h2>Checks</h2><table><tr><th style=\"width:4em\">Id</th><th style=\"width:30%\">Title</th><th>Condition</th></tr>",
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
