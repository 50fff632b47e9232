//! The input rules on fixed examples, and property tests: any string is either accepted as
//! valid or refused with `INVALID_INPUT` naming the label; nothing panics.

use super::*;
use crate::error::ErrorCode;
use proptest::prelude::*;

fn refused<T: std::fmt::Debug>(r: crate::Result<T>, label: &str) -> String {
    let e = r.expect_err("must be refused");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.resource.as_deref(), Some(label));
    assert!(
        e.message.starts_with(&format!("{label}: ")),
        "{}",
        e.message
    );
    e.message
}

#[test]
fn kms_ids_follow_the_kms_rule() {
    assert!(KmsId::parse(labels::KEY_RING, "cockroachdb-cmek_1").is_ok());
    assert!(KmsId::parse(labels::KEY_RING, &"a".repeat(63)).is_ok());
    for bad in ["", "has space", "ünï", "a/b", &"a".repeat(64)] {
        let m = refused(KmsId::parse(labels::KEY_RING, bad), labels::KEY_RING);
        assert!(m.contains("1-63 characters"), "{m}");
    }
}

#[test]
fn cluster_ids_and_refs() {
    let id = "3C7E2A1B-0000-4000-8000-00000000ABCD";
    assert_eq!(
        ClusterUuid::parse(labels::CLUSTER_ID, id).unwrap().as_str(),
        id.to_ascii_lowercase()
    );
    refused(
        ClusterUuid::parse(labels::CLUSTER_ID, "00000000abcd"),
        labels::CLUSTER_ID,
    );
    let r = ClusterRef::parse(labels::CLUSTER, " prod-east ").unwrap();
    assert_eq!(r.as_str(), "prod-east");
    assert!(r.uuid().is_none());
    assert!(ClusterRef::parse(labels::CLUSTER, id)
        .unwrap()
        .uuid()
        .is_some());
    refused(ClusterRef::parse(labels::CLUSTER, "a\nb"), labels::CLUSTER);
    refused(ClusterRef::parse(labels::CLUSTER, "  "), labels::CLUSTER);
}

#[test]
fn key_names_are_checked_segment_by_segment() {
    let k = "projects/p-1/locations/us-east1/keyRings/r/cryptoKeys/k_1";
    assert_eq!(KeyName::parse(labels::KEY_NAME, k).unwrap().key_id(), "k_1");
    assert!(KeyName::parse(
        labels::KEY_NAME,
        "projects/example.com:p/locations/global/keyRings/r/cryptoKeys/k"
    )
    .is_ok());
    for bad in [
        "",
        "k",
        "projects/p/locations/us/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
        "projects/p/locations/us/keyRings/r r/cryptoKeys/k",
        "projects/../locations/us/keyRings/r/cryptoKeys/k?x=1",
    ] {
        refused(KeyName::parse(labels::KEY_NAME, bad), labels::KEY_NAME);
    }
}

#[test]
fn limits_state_their_range() {
    assert_eq!(
        ScanLimit::parse(
            labels::READS_PER_MINUTE,
            " 300 ",
            ScanLimit::READS_PER_MINUTE
        )
        .unwrap()
        .get(),
        300
    );
    let m = refused(
        ScanLimit::new(labels::CONCURRENCY, 0, ScanLimit::CONCURRENCY),
        labels::CONCURRENCY,
    );
    assert!(m.contains("from 1 to 64; got 0"), "{m}");
    refused(
        ScanLimit::parse(labels::TIMEOUT, "-5", ScanLimit::TIMEOUT_SECS),
        labels::TIMEOUT,
    );
}

#[test]
fn paths_and_confirmations() {
    assert!(FilePath::parse(labels::FILE, "/tmp/plan.json").is_ok());
    refused(FilePath::parse(labels::FILE, "a\0b"), labels::FILE);
    refused(FilePath::parse(labels::FILE, ""), labels::FILE);
    assert!(FindingId::parse(labels::FINDING_ID, "drift-0123456789abcdef").is_ok());
    refused(
        FindingId::parse(labels::FINDING_ID, "drift-0123"),
        labels::FINDING_ID,
    );
    assert!(ConfirmText::parse(labels::CONFIRM_NAME, "prod east").is_ok());
    refused(
        ConfirmText::parse(labels::CONFIRM_NAME, "x\u{7}"),
        labels::CONFIRM_NAME,
    );
}

#[test]
fn clap_gets_the_rule_without_the_label() {
    let e = clap_rule::<ProjectId>("X").unwrap_err();
    assert!(e.starts_with("a project id is 6-30"), "{e}");
    assert_eq!(
        clap_rule::<AwsRegion>("eu-west-3").unwrap().as_str(),
        "eu-west-3"
    );
}

/// Parses `raw` with every string type; each either accepts or refuses naming the label.
fn every_parser_is_total(raw: &str) {
    fn check<T>(r: crate::Result<T>, label: &str) {
        if let Err(e) = r {
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert_eq!(e.resource.as_deref(), Some(label));
        }
    }
    check(ProjectId::parse("L1", raw), "L1");
    check(ServiceAccountId::parse("L2", raw), "L2");
    check(KmsId::parse("L3", raw), "L3");
    check(GcpLocation::parse("L4", raw), "L4");
    check(AwsRegion::parse("L5", raw), "L5");
    check(ClusterUuid::parse("L6", raw), "L6");
    check(ClusterRef::parse("L7", raw), "L7");
    check(RecordId::parse("L8", raw), "L8");
    check(KeyName::parse("L9", raw), "L9");
    check(ConfirmText::parse("L10", raw), "L10");
    check(FindingId::parse("L13", raw), "L13");
    check(FilePath::parse("L11", raw), "L11");
    check(ScanLimit::parse("L12", raw, ScanLimit::CONCURRENCY), "L12");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_string_is_accepted_or_refused_by_name(raw in any::<String>()) {
        every_parser_is_total(&raw);
    }

    #[test]
    fn near_miss_strings_are_accepted_or_refused_by_name(
        raw in "(projects/[a-z0-9:.-]{0,8}/locations/[a-z0-9-]{0,6}/keyRings/[a-zA-Z0-9_ /-]{0,8}/cryptoKeys/[a-zA-Z0-9_-]{0,70})|[0-9a-fA-F-]{30,40}|[a-z][a-z0-9-]{0,35}"
    ) {
        every_parser_is_total(&raw);
    }

    #[test]
    fn accepted_kms_ids_match_the_documented_pattern(raw in "[ -~]{0,70}") {
        let ok = KmsId::parse("x", &raw).is_ok();
        let pattern = (1..=63).contains(&raw.len())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        prop_assert_eq!(ok, pattern);
    }

    #[test]
    fn valid_uuids_round_trip(a in "[0-9a-f]{8}", b in "[0-9a-f]{4}", c in "[0-9a-f]{4}", d in "[0-9a-f]{4}", e in "[0-9a-f]{12}") {
        let id = format!("{a}-{b}-{c}-{d}-{e}");
        let u = ClusterUuid::parse("x", &id.to_ascii_uppercase()).unwrap();
        prop_assert_eq!(u.as_str(), id.as_str());
        let cid = u.to_cluster_id();
        prop_assert_eq!(cid.as_str(), id.as_str());
        prop_assert!(RecordId::parse("x", &id).is_ok());
    }
}

#[test]
fn numbers_as_typed_are_read_then_refused_in_the_persons_words() {
    let read =
        |json: &str| -> NumberText { serde_json::from_str(json).expect("never a serde error") };
    let label = labels::CONCURRENCY;
    for (json, n) in [("8", 8), ("\"8\"", 8), ("\" 64 \"", 64), ("1", 1)] {
        assert_eq!(
            read(json).whole(label, ScanLimit::CONCURRENCY).unwrap(),
            n,
            "{json}"
        );
        assert_eq!(serde_json::to_string(&read(json)).unwrap(), n.to_string());
    }
    let bad = [
        ("-5", "-5 is negative; enter a whole number from 1 to 64"),
        ("\"-5\"", "-5 is negative"),
        (
            "0.5",
            "0.5 is not a whole number; enter a whole number from 1 to 64",
        ),
        ("1e20", "100000000000000000000 is too large"),
        ("\"ten\"", "ten is not a whole number"),
        ("\"\"", "enter a whole number from 1 to 64"),
        ("0", "0 is too small; enter a whole number from 1 to 64"),
        ("65", "65 is too large"),
        ("\"123456789012345678901234567890\"", "is too large"),
        ("true", "(not a number) is not a whole number"),
        ("null", "(not a number) is not a whole number"),
        ("[1]", "(not a number) is not a whole number"),
    ];
    for (json, want) in bad {
        let m = refused(read(json).whole(label, ScanLimit::CONCURRENCY), label);
        assert!(m.contains(want), "{json}: {m}");
        for banned in ["invalid type", "expected", "u32", "u64", "serde", "struct"] {
            assert!(!m.contains(banned), "{json}: {m}");
        }
    }
    let m = refused(
        read("60001").whole(labels::READS_PER_MINUTE, ScanLimit::READS_PER_MINUTE),
        labels::READS_PER_MINUTE,
    );
    assert!(m.ends_with("from 1 to 60,000"), "{m}");
}
