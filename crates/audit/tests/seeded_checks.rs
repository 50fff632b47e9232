//! Every check fires on its deliberate misconfiguration in the audit seed and stays silent on
//! its clean twin; field reports B18 and B43; key-to-cluster links; effective policy levels.

mod common;

use cmek_audit::{FindingStatus, PolicyLevel};
use cmek_sandbox::seed_audit::*;
use common::*;

#[tokio::test]
async fn every_gcp_check_fires_on_its_case_and_stays_silent_on_its_twin() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    assert!(
        r.projects.iter().all(|p| p.error.is_none()),
        "{:#?}",
        r.projects.iter().map(|p| &p.error).collect::<Vec<_>>()
    );
    let k = |id: &str| audit_key(id);
    let rows: Vec<(&str, String, String)> = vec![
        ("A01", k("a01-bad"), k("a01-clean")),
        ("A01", RING_PUBLIC_KEY.into(), k("a06-clean")),
        ("A03", k("a03-bad"), k("a03-clean")),
        ("A04", k("a04-bad"), k("a04-clean")),
        ("A06", RING_PUBLIC_KEY.into(), k("a06-clean")),
        (
            "A07",
            format!("projects/{AUDIT_OWNER_PROJECT}"),
            format!("projects/{AUDIT_KEYS_PROJECT}"),
        ),
        ("A08", k("a08-bad"), k("a08-clean")),
        ("A09", k("a09-bad"), k("a09-clean")),
        ("A10", k("a10-bad"), k("a10-clean")),
        ("A14", k("a14-bad"), k("a14-clean")),
        (
            "A15",
            format!("projects/{AUDIT_OWNER_PROJECT}"),
            format!("projects/{AUDIT_KEYS_PROJECT}"),
        ),
        ("A16", k("a16-bad"), k("a16-clean")),
        // Partial alerting (metric without alert, alert disabled) still fails; the twin has both.
        (
            "A11",
            format!("projects/{AUDIT_OWNER_PROJECT}"),
            format!("projects/{AUDIT_KEYS_PROJECT}"),
        ),
    ];
    for (id, bad, clean) in &rows {
        assert!(fires(&r, id, bad), "{id} should fire on {bad}");
        assert!(!fires(&r, id, clean), "{id} should stay silent on {clean}");
    }
    // Rotation does not apply to an asymmetric key; it has no primary by design and is not "disabled".
    for id in ["A03", "A04", "A10"] {
        assert!(!fires(&r, id, &k("a03-asym")), "{id} on the asymmetric key");
    }
    // The clean baseline keys trigger nothing at all.
    for clean in [
        "a01-clean",
        "a03-clean",
        "a04-clean",
        "a09-clean",
        "a10-clean",
        "a14-clean",
        "a16-clean",
    ] {
        let hits: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.resource == k(clean))
            .map(|f| &f.check_id)
            .collect();
        assert!(hits.is_empty(), "{clean}: {hits:?}");
    }
    for id in ["A02", "A05", "A12", "A13"] {
        let f = r
            .findings_of(id)
            .next()
            .unwrap_or_else(|| panic!("{id} must be reported"));
        assert_eq!(f.status, FindingStatus::NotEvaluated);
        assert!(f.message.starts_with("not "), "{}", f.message);
    }
    // Evidence names the deciding values and sources are attached.
    let a04 = r
        .findings_of("A04")
        .find(|f| f.resource == k("a04-bad"))
        .unwrap();
    assert!(a04
        .evidence
        .iter()
        .any(|e| e.field == "rotationPeriod" && e.value == "7776001s"));
    assert!(a04.sources.cis.iter().any(|s| s.contains("1.10")));
    assert!(a04
        .sources
        .prowler
        .contains(&"kms_key_rotation_max_90_days".to_owned()));
}

#[tokio::test]
async fn every_cockroach_check_fires_on_its_case_and_stays_silent_on_its_twin() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    assert!(r.cockroach_error.is_none());
    let clean_key = crdb_key("clean");
    let region = |c: &str, reg: &str| format!("clusters/{}/regions/{reg}", cluster_id(c));
    let rows: Vec<(&str, String, String)> = vec![
        ("C01", crdb_key("disabled-key"), clean_key.clone()),
        ("C02", crdb_key("destroy"), clean_key.clone()),
        ("C03", crdb_key("noperm"), clean_key.clone()),
        ("C04", SA_NO_IMPERSONATION.into(), SA_GOOD.into()),
        (
            "C06",
            region("audit-location", "us-east1"),
            region("audit-clean", "us-east4"),
        ),
        (
            "C06",
            region("audit-location", "us-west2"),
            region("audit-clean", "us-east4"),
        ),
        (
            "C07",
            region("audit-missing-region", "us-west2"),
            region("audit-missing-region", "us-east1"),
        ),
        (
            "C07",
            region("audit-missing-region", "us-west2"),
            region("audit-clean", "us-east4"),
        ),
        (
            "C08",
            format!("clusters/{}", cluster_id("audit-failed")),
            format!("clusters/{}", cluster_id("audit-clean")),
        ),
        ("C09", crdb_key("hygiene"), clean_key.clone()),
        ("C10", crdb_key("hygiene"), clean_key.clone()),
        ("C10", SA_HYGIENE.into(), SA_GOOD.into()),
        ("C11", crdb_key("hygiene"), clean_key.clone()),
        ("C12", crdb_key("hygiene"), clean_key.clone()),
        (
            "C13",
            format!("clusters/{}", cluster_id("audit-alarms")),
            format!("clusters/{}", cluster_id("audit-clean")),
        ),
    ];
    for (id, bad, clean) in &rows {
        assert!(
            fires(&r, id, bad),
            "{id} should fire on {bad}: {:#?}",
            r.findings_of(id).collect::<Vec<_>>()
        );
        assert!(!fires(&r, id, clean), "{id} should stay silent on {clean}");
    }
    let clean_hits: Vec<_> = r
        .findings
        .iter()
        .filter(|f| {
            f.resource == clean_key
                || f.resource.contains(cluster_id("audit-clean")) && f.status == FindingStatus::Fail
        })
        .map(|f| &f.check_id)
        .collect();
    assert!(clean_hits.is_empty(), "clean CMEK cluster: {clean_hits:?}");
    let c05 = r.findings_of("C05").next().expect("C05 reported");
    assert_eq!(c05.status, FindingStatus::NotEvaluated);
    assert!(c05.resource.contains(AWS_CMEK_CLUSTER));
    assert!(r.findings_of("C13").all(
        |f| f.status == FindingStatus::Fail && f.resource.contains(cluster_id("audit-alarms"))
    ));
    let c08 = r.findings_of("C08").next().unwrap();
    assert!(
        c08.evidence
            .iter()
            .any(|e| e.value.contains("Insufficient permissions")),
        "user_message is evidence"
    );
}

#[tokio::test]
async fn b18_location_mismatch_is_flagged_per_cluster_region() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    let id = cluster_id("audit-location");
    let c06: Vec<_> = r
        .findings_of("C06")
        .filter(|f| f.resource.contains(id))
        .collect();
    assert_eq!(c06.len(), 2, "one finding per region: {c06:#?}");
    let multi = c06
        .iter()
        .find(|f| f.resource.ends_with("us-east1"))
        .unwrap();
    assert!(
        multi.message.contains("multi-region location us") && multi.message.contains("verify"),
        "{}",
        multi.message
    );
    let other = c06
        .iter()
        .find(|f| f.resource.ends_with("us-west2"))
        .unwrap();
    assert!(other.message.contains("europe-west1"), "{}", other.message);
}

#[tokio::test]
async fn b43_cluster_region_missing_from_the_cmek_specs_is_flagged() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    let id = cluster_id("audit-missing-region");
    let c07: Vec<_> = r
        .findings_of("C07")
        .filter(|f| f.resource.contains(id))
        .collect();
    assert_eq!(c07.len(), 1, "{c07:#?}");
    assert!(c07[0].resource.ends_with("/regions/us-west2"));
    assert!(c07[0]
        .evidence
        .iter()
        .any(|e| e.field == "cluster.regions" && e.value == "europe-west4,us-east1,us-west2"));
}

#[tokio::test]
async fn keys_are_linked_to_clusters_and_policies_carry_their_level_and_condition() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    let clean = r
        .keys()
        .find(|k| k.name == crdb_key("clean"))
        .expect("crdb clean key");
    assert_eq!(clean.used_by.len(), 1);
    let u = &clean.used_by[0];
    assert_eq!(
        (
            u.cluster_name.as_str(),
            u.region.as_str(),
            u.current,
            u.auth_principal.as_str()
        ),
        ("audit-clean", "us-east4", true, SA_GOOD)
    );
    let missing = r
        .keys()
        .find(|k| k.name == crdb_key("missing-region"))
        .unwrap();
    assert_eq!(
        missing
            .used_by
            .iter()
            .map(|u| u.region.as_str())
            .collect::<Vec<_>>(),
        vec!["europe-west4", "us-east1"]
    );
    let shared = r.keys().find(|k| k.name == RING_PUBLIC_KEY).unwrap();
    let admin = shared
        .effective_bindings
        .iter()
        .find(|b| b.role == "roles/cloudkms.admin")
        .unwrap();
    assert_eq!(admin.level, PolicyLevel::KeyRing);
    assert_eq!(
        admin.condition.as_ref().and_then(|c| c.title.as_deref()),
        Some("break-glass")
    );
    assert!(shared
        .effective_bindings
        .iter()
        .any(|b| b.level == PolicyLevel::Project && b.role == "roles/viewer"));
    let a09 = r.keys().find(|k| k.name == audit_key("a09-bad")).unwrap();
    assert_eq!(
        a09.versions
            .iter()
            .map(|v| v.state.as_str())
            .collect::<Vec<_>>(),
        vec!["ENABLED", "DESTROY_SCHEDULED"]
    );
    assert!(a09.versions[1].destroy_time.is_some());
    assert_eq!(a09.rotation_period_seconds, Some(2_592_000));
    let sa = r
        .service_accounts
        .iter()
        .find(|s| s.email == SA_HYGIENE)
        .unwrap();
    assert!(sa.exists && !sa.bindings.is_empty());
    assert_eq!(r.schema_version, cmek_audit::SCHEMA_VERSION);
    assert_eq!(r.identity, cmek_sandbox::DEFAULT_GOOGLE_MEMBER);
}
