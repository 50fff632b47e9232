//! Pure checks on hand-built inventory: binding order, every member type, conditional bindings,
//! unknown purposes / protection levels / states, 0/1/many regions, exact seconds; and the four
//! exports (schema fields, escaping, OCSF class).

use cmek_audit::checks::{self, Inputs};
use cmek_audit::export::{csv, html, json, ocsf};
use cmek_audit::inventory::key_row;
use cmek_audit::model::*;
use cmek_core::cockroach::{CmekClusterInfo, CmekKeyInfo, CmekKeySpec, CmekRegionInfo};
use cmek_core::iam::Expr;
use cmek_core::kms::{CryptoKey, CryptoKeyVersion};
use time::OffsetDateTime;

const KEY: &str = "projects/p/locations/us-east4/keyRings/r/cryptoKeys/k";

fn b(role: &str, member: &str, level: PolicyLevel, cond: bool) -> EffectiveBinding {
    let condition = cond.then(|| Expr {
        expression: "request.time < timestamp('2030-01-01T00:00:00Z')".into(),
        title: Some("t".into()),
        ..Default::default()
    });
    EffectiveBinding {
        role: role.into(),
        member: member.into(),
        level,
        resource: "r".into(),
        condition,
    }
}

fn key(bindings: Vec<EffectiveBinding>) -> KeyRow {
    let primary = CryptoKeyVersion {
        name: format!("{KEY}/cryptoKeyVersions/1"),
        state: Some("ENABLED".into()),
        ..Default::default()
    };
    let k = CryptoKey {
        name: KEY.into(),
        purpose: Some("ENCRYPT_DECRYPT".into()),
        primary: Some(primary.clone()),
        rotation_period: Some("7776000s".into()),
        next_rotation_time: Some(cmek_audit::time_util::rfc3339(
            OffsetDateTime::now_utc() + time::Duration::days(30),
        )),
        ..Default::default()
    };
    let mut row = key_row(
        &k,
        "projects/p/locations/us-east4/keyRings/r",
        vec![primary],
    );
    row.effective_bindings = bindings;
    row
}

fn ids(f: &[Finding]) -> Vec<String> {
    let mut v: Vec<String> = f.iter().map(|f| f.check_id.clone()).collect();
    v.sort();
    v
}

#[test]
fn findings_do_not_depend_on_binding_order_and_count_every_member_type_and_conditions() {
    let members = [
        "user:u@example.com",
        "group:g@example.com",
        "serviceAccount:s@p.iam.gserviceaccount.com",
        "domain:example.com",
        "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
        "principalSet://iam.googleapis.com/locations/global/workforcePools/p/*",
        "deleted:serviceAccount:d@p.iam.gserviceaccount.com?uid=1",
        "allUsers",
        "allAuthenticatedUsers",
    ];
    for m in members {
        // encrypter at the key listed first, admin (conditional) at the project listed last.
        let fwd = vec![
            b(
                "roles/cloudkms.cryptoKeyEncrypter",
                m,
                PolicyLevel::Key,
                false,
            ),
            b("roles/cloudkms.admin", m, PolicyLevel::Project, true),
        ];
        let mut rev = fwd.clone();
        rev.reverse();
        let a = checks::gcp_iam::a06_separation_of_duties(&key(fwd));
        let z = checks::gcp_iam::a06_separation_of_duties(&key(rev));
        assert_eq!(a.len(), 1, "{m}");
        assert_eq!(a, z, "{m}: order must not matter");
        assert!(
            a[0].evidence
                .iter()
                .any(|e| e.value.contains("conditional")),
            "{m}"
        );
    }
    let users: Vec<_> = members[..4]
        .iter()
        .map(|m| {
            b(
                "roles/cloudkms.cryptoKeyDecrypter",
                m,
                PolicyLevel::KeyRing,
                false,
            )
        })
        .collect();
    assert!(checks::gcp_keys::a08_key_users(&key(users.clone())).is_some());
    let mut three = users[..3].to_vec();
    three.push(b(
        "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        members[0],
        PolicyLevel::Key,
        true,
    ));
    assert!(
        checks::gcp_keys::a08_key_users(&key(three)).is_none(),
        "duplicates across bindings count once"
    );
    for (m, public) in [
        ("allUsers", true),
        ("allAuthenticatedUsers", true),
        ("domain:example.com", false),
    ] {
        assert_eq!(
            checks::gcp_keys::a01_public(&key(vec![b(
                "roles/viewer",
                m,
                PolicyLevel::Project,
                true
            )]))
            .is_some(),
            public,
            "{m}"
        );
    }
    let dead = key(vec![b(
        "roles/viewer",
        members[6],
        PolicyLevel::KeyRing,
        false,
    )]);
    assert!(checks::gcp_keys::a14_deleted_principals(&dead).is_some());
}

#[test]
fn rotation_is_compared_in_exact_seconds_and_only_where_rotation_is_possible() {
    let now = OffsetDateTime::now_utc();
    let mut k = key(vec![]);
    assert!(
        checks::gcp_keys::a04_rotation_90_days(&k, now).is_none(),
        "7776000s passes"
    );
    k.rotation_period = Some("7776000.000000001s".into());
    assert!(
        checks::gcp_keys::a04_rotation_90_days(&k, now).is_some(),
        "one nanosecond over fails"
    );
    k.rotation_period = Some("7776000s".into());
    k.next_rotation_time = Some("2020-01-01T00:00:00Z".into());
    assert!(checks::gcp_keys::a04_rotation_90_days(&k, now)
        .unwrap()
        .message
        .contains("in the past"));
    for (purpose, level, primary) in [
        ("ASYMMETRIC_DECRYPT", "SOFTWARE", "ENABLED"),
        ("ENCRYPT_DECRYPT", "EXTERNAL", "ENABLED"),
        ("ENCRYPT_DECRYPT", "SOFTWARE", "DISABLED"),
    ] {
        let mut k = key(vec![]);
        k.rotation_period = None;
        k.purpose = Some(purpose.into());
        k.protection_level = Some(level.into());
        k.primary_state = Some(primary.into());
        assert!(
            checks::gcp_keys::a03_rotation_configured(&k).is_none(),
            "{purpose} {level} {primary}"
        );
    }
}

#[test]
fn unknown_purposes_protection_levels_and_states_never_crash() {
    let v = CryptoKeyVersion {
        name: format!("{KEY}/cryptoKeyVersions/x"),
        state: Some("QUANTUM_PENDING".into()),
        protection_level: Some("QUANTUM".into()),
        ..Default::default()
    };
    let k = CryptoKey {
        name: KEY.into(),
        purpose: Some("FUTURE_PURPOSE".into()),
        rotation_period: Some("not-a-duration".into()),
        destroy_scheduled_duration: Some("??".into()),
        ..Default::default()
    };
    let row = key_row(&k, "r", vec![v, CryptoKeyVersion::default()]);
    let f = checks::gcp_keys::check_key(&row, OffsetDateTime::now_utc());
    assert_eq!(
        ids(&f),
        vec!["A10"],
        "only 'no version ENABLED' applies: {f:#?}"
    );
    let empty = key_row(&CryptoKey::default(), "", vec![]);
    let _ = checks::gcp_keys::check_key(&empty, OffsetDateTime::now_utc());
}

fn cluster(regions: &[&str], specs: &[&str]) -> ClusterRow {
    let region_infos = specs
        .iter()
        .map(|r| CmekRegionInfo {
            region: (*r).into(),
            status: "ENABLED".into(),
            key_infos: vec![CmekKeyInfo {
                spec: CmekKeySpec {
                    key_type: "GCP_CLOUD_KMS".into(),
                    uri: format!("projects/p/locations/{r}/keyRings/r/cryptoKeys/k"),
                    auth_principal: "sa@p.iam.gserviceaccount.com".into(),
                },
                status: "ENABLED".into(),
                created_at: "2025-01-01T00:00:00Z".into(),
                ..Default::default()
            }],
        })
        .collect();
    ClusterRow {
        id: "c".into(),
        name: "c".into(),
        cloud_provider: "GCP".into(),
        regions: regions.iter().map(|r| (*r).into()).collect(),
        cmek: Some(CmekClusterInfo {
            status: "ENABLED".into(),
            region_infos,
        }),
        ..Default::default()
    }
}

#[test]
fn zero_one_and_many_regions_are_handled() {
    let many = [
        "asia-east1",
        "europe-west4",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-west2",
    ];
    for (regions, specs, missing) in [
        (&[][..], &[][..], 0),
        (&["us-east4"][..], &["us-east4"][..], 0),
        (&many[..], &many[..4], 2),
        (&[][..], &["us-east4"][..], 0),
    ] {
        let c = cluster(regions, specs);
        assert_eq!(
            checks::cockroach::c07_regions_covered(&c).len(),
            missing,
            "{regions:?} {specs:?}"
        );
        let inputs = Inputs {
            projects: &[],
            service_accounts: &[],
            clusters: std::slice::from_ref(&c),
            now: OffsetDateTime::now_utc(),
        };
        let all = checks::run_all(&inputs);
        assert!(
            all.iter().filter(|f| f.check_id == "C06").count() == 0,
            "regional keys match their regions"
        );
    }
}

fn report() -> AuditReport {
    let f = checks::fail(
        "A01",
        "projects/p/<script>alert(1)</script>",
        Some("p"),
        "a \"quoted\", <b>bold</b>\nline",
        vec![ev("=cmd()", "v")],
    );
    AuditReport {
        schema_version: SCHEMA_VERSION,
        scan_time: "2026-01-02T03:04:05Z".into(),
        identity: "user:o'brien@example.com".into(),
        app_version: "0.1.0".into(),
        checks: checks::catalogue(),
        findings: vec![f],
        ..Default::default()
    }
}

fn ev(field: &str, value: &str) -> Evidence {
    Evidence {
        field: field.into(),
        value: value.into(),
    }
}

#[test]
fn exports_carry_scan_time_identity_version_and_escape_values() {
    let r = report();
    let j = json::to_json(&r);
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(v["schemaVersion"], SCHEMA_VERSION);
    assert_eq!(v["scanTime"], "2026-01-02T03:04:05Z");
    assert_eq!(json::from_json(&j).unwrap(), r, "round trip");
    let c = csv::to_csv(&r);
    assert!(
        c.contains("# scanTime=2026-01-02T03:04:05Z")
            && c.contains("# identity=user:o'brien@example.com")
            && c.contains("# appVersion=0.1.0")
    );
    assert!(c.contains("\"a \"\"quoted\"\", <b>bold</b>\nline\""), "{c}");
    assert!(
        c.contains(",'=cmd()=v,"),
        "formula injection neutralised: {c}"
    );
    let h = html::to_html(&r);
    assert!(!h.contains("<script"), "values are escaped");
    assert!(h.contains("&lt;script&gt;") && h.contains("o&#39;brien"));
    for banned in ["src=", "href=", "http://", "https://", "@import"] {
        assert!(!h.contains(banned), "no remote content: {banned}");
    }
    assert_eq!(checks::catalogue().len(), 32);
    let o = ocsf::to_ocsf(&r);
    let e = &o[0];
    assert_eq!(
        (
            e["class_uid"].as_u64(),
            e["category_uid"].as_u64(),
            e["type_uid"].as_u64(),
            e["activity_id"].as_u64()
        ),
        (Some(2004), Some(2), Some(200401), Some(1))
    );
    assert_eq!(e["severity_id"], 4);
    assert_eq!(e["time"], 1_767_323_045_000_i64);
    assert_eq!(e["finding_info"]["analytic"]["uid"], "A01");
    assert_eq!(e["metadata"]["product"]["version"], "0.1.0");
    assert_eq!(e["actor"]["user"]["name"], "user:o'brien@example.com");
    assert_eq!(e["unmapped"]["scan_time"], "2026-01-02T03:04:05Z");
}
