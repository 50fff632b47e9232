//! Setup call counts against the minimal sequence written down in docs/performance.md
//! ("Setup call counts"): a 1-region and a 3-region GCP setup, an AWS setup (one key in the
//! cluster's region), and a re-apply of each, counted by the sandbox per operation. Every count
//! must equal the documented one (a call added or dropped fails this test and must be justified
//! in the doc), and every re-apply makes zero writes (invariant 5).
//!
//! CockroachDB's `GET …/cmek` polls depend on how long CockroachDB takes; the sandbox's test
//! configuration settles a region on the second poll after the enable, so an apply polls twice.

mod aws_common;
mod common;

use cmek_core::aws::plan::AwsKeyLayout;
use cmek_sandbox::SandboxHandle;
use common::*;
use std::collections::BTreeMap;

const KMS: &str = "cloudkms.projects.locations.keyRings";
const SA: &str = "iam.projects.serviceAccounts";
const CMEK_GET: &str = "CockroachCloud_GetCMEKClusterInfo";

/// Calls per operation since the last call, then forgets them; and the writes among them.
fn take_counts(sb: &SandboxHandle) -> (BTreeMap<String, usize>, usize) {
    let reqs = sb.requests();
    sb.clear_requests();
    let mut counts = BTreeMap::new();
    for r in &reqs {
        *counts.entry(r.operation.clone()).or_default() += 1;
    }
    (counts, reqs.iter().filter(|r| r.is_write).count())
}

fn expect(rows: &[(&str, usize)]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (op, n) in rows {
        if *n > 0 {
            *m.entry(op.to_string()).or_default() += n;
        }
    }
    m
}

/// The minimal GCP apply for `r` regions on a fresh project (docs/performance.md).
fn gcp_first_apply(r: usize) -> BTreeMap<String, usize> {
    expect(&[
        (CMEK_GET, 1 + 1 + 2),
        ("cloudresourcemanager.projects.testIamPermissions", 1),
        ("serviceusage.services.get", 2),
        (&format!("{SA}.get"), 1 + 3),
        (&format!("{SA}.create"), 1),
        (&format!("{SA}.getIamPolicy"), 1),
        (&format!("{SA}.setIamPolicy"), 1),
        (&format!("{KMS}.get"), 2 * r),
        (&format!("{KMS}.create"), r),
        (&format!("{KMS}.cryptoKeys.get"), r),
        (&format!("{KMS}.cryptoKeys.create"), r),
        (&format!("{KMS}.cryptoKeys.getIamPolicy"), r),
        (&format!("{KMS}.cryptoKeys.setIamPolicy"), r),
        ("CockroachCloud_EnableCMEKSpec", 1),
    ])
}

/// The minimal GCP re-apply of a finished setup of `r` regions: reads only.
fn gcp_reapply(r: usize) -> BTreeMap<String, usize> {
    expect(&[
        (CMEK_GET, 3),
        ("cloudresourcemanager.projects.testIamPermissions", 1),
        (&format!("{KMS}.cryptoKeys.testIamPermissions"), r),
        (&format!("{SA}.testIamPermissions"), 1),
        ("serviceusage.services.get", 2),
        (&format!("{SA}.get"), 1),
        (&format!("{SA}.getIamPolicy"), 1),
        (&format!("{KMS}.get"), r),
        (&format!("{KMS}.cryptoKeys.get"), r),
        (&format!("{KMS}.cryptoKeys.getIamPolicy"), r),
    ])
}

async fn gcp_case(multi: bool) {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = if multi {
        multi_region_request(&conn).await
    } else {
        single_region_request(&conn).await
    };
    let regions = if multi { 3 } else { 1 };
    let plan = cmek_setup::plan(&conn, req.clone()).await.unwrap();
    assert_eq!(plan.region_specs.len(), regions);
    take_counts(&sb);
    let (r, events) = apply(&conn, &plan).await;
    let r = r.unwrap_or_else(|e| panic!("apply failed: {e:?}\n{events:#?}"));
    assert_eq!(r.cmek.status, "ENABLED");
    let (counts, writes) = take_counts(&sb);
    assert_eq!(counts, gcp_first_apply(regions), "{regions}-region apply");
    assert_eq!(writes, 3 + 3 * regions);
    assert_eq!(r.write_calls as usize, writes);

    let plan = cmek_setup::plan(&conn, req).await.unwrap();
    take_counts(&sb);
    let (r, _) = apply(&conn, &plan).await;
    let r = r.unwrap();
    assert_eq!(
        r.cmek.status, "ENABLED",
        "the re-apply reports the settled status"
    );
    let (counts, writes) = take_counts(&sb);
    assert_eq!(writes, 0, "a re-apply writes nothing: {counts:#?}");
    assert_eq!(r.write_calls, 0);
    assert_eq!(counts, gcp_reapply(regions), "{regions}-region re-apply");
}

#[tokio::test]
async fn one_region_gcp_setup_and_reapply_make_the_minimal_calls() {
    gcp_case(false).await;
}

#[tokio::test]
async fn three_region_gcp_setup_and_reapply_make_the_minimal_calls() {
    gcp_case(true).await;
}

#[tokio::test]
async fn aws_setup_and_reapply_make_the_minimal_calls() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let aws = aws_common::sandbox_aws(&sb).await;
    let req = aws_common::request(&conn, AwsKeyLayout::KeyPerRegion).await;
    let plan = cmek_setup::plan_aws(&conn, &aws, req.clone())
        .await
        .unwrap();
    assert_eq!(plan.keys.len(), 1);
    take_counts(&sb);
    let (r, _) = aws_common::apply_with(&conn, &aws, &plan, &Default::default(), |_| {}).await;
    let r = r.expect("apply");
    assert_eq!(r.cmek.status, "ENABLED");
    let (counts, writes) = take_counts(&sb);
    let first = expect(&[
        ("GetCallerIdentity", 1),
        ("GetRole", 2),
        ("CreateRole", 1),
        ("DescribeKey", 1),
        ("ListKeys", 1),
        ("CreateKey", 1),
        ("CreateAlias", 1),
        ("GetKeyRotationStatus", 2),
        ("EnableKeyRotation", 1),
        ("GetKeyPolicy", 2),
        ("PutKeyPolicy", 1),
        (CMEK_GET, 1 + 2),
        ("CockroachCloud_EnableCMEKSpec", 1),
    ]);
    assert_eq!(counts, first, "AWS apply");
    assert_eq!(writes, 6);

    let plan = cmek_setup::plan_aws(&conn, &aws, req).await.unwrap();
    take_counts(&sb);
    let (r, _) = aws_common::apply_with(&conn, &aws, &plan, &Default::default(), |_| {}).await;
    let r = r.unwrap();
    assert_eq!(r.cmek.status, "ENABLED");
    let (counts, writes) = take_counts(&sb);
    assert_eq!(writes, 0, "a re-apply writes nothing: {counts:#?}");
    let again = expect(&[
        ("GetCallerIdentity", 1),
        ("GetRole", 1),
        ("DescribeKey", 1),
        ("GetKeyRotationStatus", 1),
        ("GetKeyPolicy", 1),
        (CMEK_GET, 2),
    ]);
    assert_eq!(counts, again, "AWS re-apply");
}
