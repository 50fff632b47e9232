//! Reports that print (issue #11): the HTML report of the sandbox's audit organisation is
//! printed to PDF by headless Chromium (A4 portrait from the report's own `@page`), and the
//! PDF's text (`pdftotext`, Debian poppler-utils) holds every failed finding's Remediation in
//! full: nothing is cut off at the page edge. The pages are saved as PNG (`pdftoppm`) under
//! `target/print-a4/` for a person to look at.

mod common;

use cmek_audit::export::html;
use cmek_audit::FindingStatus;
use common::*;
use std::path::PathBuf;
use std::process::Command;

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} runs (Debian chromium / poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_html_report_prints_on_a4_with_nothing_cut_off() {
    let sb = audit_sandbox().await;
    let report = full_report(&sb).await;
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/print-a4"
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    std::fs::write(&page, html::to_html(&report)).unwrap();
    let pdf = dir.join("report.pdf");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    run(
        Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", page.display())),
        "chromium --print-to-pdf",
    );
    run(
        Command::new("pdftoppm")
            .args(["-png", "-r", "50"])
            .arg(&pdf)
            .arg(dir.join("page")),
        "pdftoppm",
    );
    let text_path = dir.join("report.txt");
    run(
        Command::new("pdftotext").arg(&pdf).arg(&text_path),
        "pdftotext",
    );
    let info = Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("(A4)") && info.contains("594.96 x 841.92"),
        "A4 portrait pages (595 x 842 pt): {info}"
    );
    let text = words(&std::fs::read_to_string(&text_path).unwrap());
    let fails: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .collect();
    assert!(!fails.is_empty());
    for f in fails {
        // A line break may fall inside a word or after a hyphen (pdftotext joins `--` broken
        // there as `-`): compare without spaces and hyphens.
        let bare = |s: &str| s.replace([' ', '-'], "");
        assert!(
            bare(&text).contains(&bare(&words(&f.remediation))),
            "{} on {}: remediation cut off or missing: {}",
            f.check_id,
            f.resource,
            f.remediation
        );
    }
    let pngs = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert!(pngs >= 2, "pages saved as PNG in {}", dir.display());
    eprintln!("{pngs} A4 pages saved as PNG in {}", dir.display());
}
