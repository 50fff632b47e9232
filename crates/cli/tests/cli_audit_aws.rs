//! `cmek audit --aws-region R` against a `cmek sandbox serve` process (the audit seed, issue #9):
//! the AWS rows are evaluated (A12 fires on the seeded role, C05 on the cluster whose trust has
//! no `sts:ExternalId`), and without `--aws-region` the AWS clusters' key regions are scanned
//! anyway.

mod common;

use cmek_sandbox::seed_audit::AUDIT_KEYS_PROJECT;
use common::{Cli, Served};
use serde_json::Value;

fn report(cli: &Cli, extra: &[&str]) -> Value {
    let mut args = vec![
        "audit",
        "--project",
        AUDIT_KEYS_PROJECT,
        "--format",
        "json",
        "--reads-per-minute",
        "6000",
    ];
    args.extend_from_slice(extra);
    cli.run(&args).json()
}

fn fails(r: &Value, id: &str, resource: &str) -> bool {
    r["findings"].as_array().unwrap().iter().any(|f| {
        f["checkId"] == id && f["status"] == "FAIL" && f["resource"].as_str() == Some(resource)
    })
}

#[test]
fn the_audit_evaluates_the_aws_rows_with_and_without_aws_region() {
    let served = Served::fast();
    let cli = Cli::new(&served);
    let role = "arn:aws:iam::123456789012:role/a12-bad";
    let c05 = "clusters/a0000000-0000-4000-8000-00000000cc05";
    for extra in [&["--aws-region", "us-east-1"][..], &[][..]] {
        let r = report(&cli, extra);
        assert!(fails(&r, "A12", role), "{extra:?}");
        assert!(fails(&r, "C05", c05), "{extra:?}");
        assert!(
            !r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["checkId"] == "A02" && f["status"] == "NOT_EVALUATED"),
            "{extra:?}"
        );
    }
}
