//! Day-two checks on the audit seed (issue #10): C14 fires on a frozen key whose rotation is
//! still scheduled and stays silent on its twin; drift (C15 extra, C16 missing) is reported
//! with who/what/where/level on the seeded case and not on the clean twin; a binding added out
//! of band on a CockroachDB key, and one on its service account, each produce a drift finding;
//! the fresh targeted read (`scan_drift`) agrees with the audit; revoked regions and
//! conditional copies of expected grants are judged as documented.

mod common;

use cmek_audit::drift::scan::scan_drift;
use cmek_audit::drift::{compute, expectations, DriftKind, Observed};
use cmek_audit::{AuditReport, ClusterRow, EffectiveBinding, PolicyLevel};
use cmek_core::cockroach::{CmekClusterInfo, CmekKeyInfo, CmekKeySpec, CmekRegionInfo};
use cmek_core::iam::Expr;
use cmek_sandbox::seed_audit::*;
use common::*;

const ENC: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
const TOKEN: &str = "roles/iam.serviceAccountTokenCreator";

fn sa_res(email: &str) -> String {
    cmek_audit::drift::sa_resource(email)
}

fn findings_on<'a>(r: &'a AuditReport, resource: &str) -> Vec<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.resource == resource)
        .map(|f| f.check_id.as_str())
        .collect()
}

#[tokio::test]
async fn c14_fires_on_a_frozen_key_whose_rotation_is_scheduled_and_not_on_its_twin() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    assert!(fires(&r, "C14", FREEZE_BAD_KEY));
    assert!(!fires(&r, "C14", FREEZE_CLEAN_KEY));
    // An ENABLED primary with an older DISABLED version is a normal rotation, not a freeze.
    assert!(!fires(&r, "C14", &audit_key("a09-clean")));
    let f = r
        .findings_of("C14")
        .find(|f| f.resource == FREEZE_BAD_KEY)
        .unwrap();
    let ev = |field: &str| {
        f.evidence
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.value.as_str())
    };
    assert!(ev("nextRotationTime").is_some());
    assert_eq!(ev("rotationPeriod"), Some("2592000s"));
    assert_eq!(ev("version 1"), Some("DISABLED"));
    assert_eq!(ev("version 2"), Some("DESTROY_SCHEDULED"));
    assert!(f.sources.other.iter().any(|s| s.contains("gcp-apis")));
    assert!(f.remediation.contains("--remove-rotation-schedule"));
}

#[tokio::test]
async fn seeded_drift_is_reported_with_evidence_and_the_clean_twin_has_none() {
    let sb = audit_sandbox().await;
    let r = full_report(&sb).await;
    let key = r
        .drift
        .iter()
        .find(|d| d.resource == DRIFT_KEY)
        .expect("drift on the key");
    assert_eq!(
        (key.kind, key.level, key.role.as_str(), key.member.as_str()),
        (
            DriftKind::Extra,
            PolicyLevel::Key,
            "roles/cloudkms.cryptoKeyDecrypter",
            DRIFT_COLLEAGUE
        )
    );
    assert_eq!(key.confirm_text, "drift");
    assert_eq!(key.used_by[0].name, "audit-drift");
    let sa = r
        .drift
        .iter()
        .find(|d| d.resource == sa_res(SA_DRIFT))
        .expect("drift on the service account");
    assert_eq!(
        (sa.kind, sa.level, sa.role.as_str(), sa.member.as_str()),
        (
            DriftKind::Extra,
            PolicyLevel::ServiceAccount,
            TOKEN,
            DRIFT_DEVELOPER
        )
    );
    assert_eq!(sa.confirm_text, SA_DRIFT);
    assert_eq!(
        r.drift
            .iter()
            .filter(|d| d.resource == DRIFT_KEY || d.resource == sa_res(SA_DRIFT))
            .count(),
        2
    );
    // The same as generic findings, with the drift id as evidence.
    assert!(fires(&r, "C15", DRIFT_KEY));
    assert!(fires(&r, "C15", SA_DRIFT));
    let c15 = r
        .findings_of("C15")
        .find(|f| f.resource == DRIFT_KEY)
        .unwrap();
    assert!(c15
        .evidence
        .iter()
        .any(|e| e.field == "driftId" && e.value == key.id));
    assert!(c15.message.contains(&key.id));
    for (field, value) in [
        ("member", DRIFT_COLLEAGUE),
        ("role", "roles/cloudkms.cryptoKeyDecrypter"),
        ("level", "key"),
        ("policy", DRIFT_KEY),
    ] {
        assert!(
            c15.evidence
                .iter()
                .any(|e| e.field == field && e.value == value),
            "{field}"
        );
    }
    // Missing grants (C16) on the seeded C03/C04 cases.
    assert!(fires(&r, "C16", &crdb_key("noperm")));
    assert!(fires(&r, "C16", SA_NO_IMPERSONATION));
    // The twins: nothing at all.
    for twin in [DRIFT_CLEAN_KEY, SA_DRIFT_CLEAN, &crdb_key("clean")] {
        assert_eq!(findings_on(&r, twin), Vec::<&str>::new(), "{twin}");
    }
    for twin in [SA_GOOD, SA_DRIFT_CLEAN] {
        assert!(
            !r.drift.iter().any(|d| d.resource == sa_res(twin)),
            "{twin}"
        );
    }
}

#[tokio::test]
async fn bindings_added_out_of_band_on_a_key_and_its_service_account_each_produce_drift() {
    let sb = audit_sandbox().await;
    let before = full_report(&sb).await;
    let outsider = "user:outsider@example.com";
    sb.with_state(|s| {
        s.add_binding_direct(DRIFT_CLEAN_KEY, ENC, outsider);
        s.add_binding_direct(&sa_res(SA_DRIFT_CLEAN), TOKEN, outsider);
    });
    let after = full_report(&sb).await;
    let new: Vec<_> = after
        .drift
        .iter()
        .filter(|d| !before.drift.contains(d))
        .collect();
    assert_eq!(new.len(), 2, "{new:#?}");
    let levels: Vec<_> = new
        .iter()
        .map(|d| (d.kind, d.level, d.member.as_str()))
        .collect();
    assert!(levels.contains(&(DriftKind::Extra, PolicyLevel::Key, outsider)));
    assert!(levels.contains(&(DriftKind::Extra, PolicyLevel::ServiceAccount, outsider)));
    assert!(fires(&after, "C15", DRIFT_CLEAN_KEY));
    assert!(fires(&after, "C15", SA_DRIFT_CLEAN));
    // Nothing else changed: the other findings are as they were.
    let others = |r: &AuditReport| {
        let mut v: Vec<(String, String, String)> = r
            .findings
            .iter()
            .filter(|f| f.check_id != "C15")
            .map(|f| (f.check_id.clone(), f.resource.clone(), f.message.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(others(&before), others(&after));

    // The fresh targeted read the one-click fix uses agrees with the audit, id for id.
    let c = clients(&sb);
    let scan = scan_drift(&c.google, &c.cockroach).await.unwrap();
    assert!(scan.unread.is_empty(), "{:#?}", scan.unread);
    assert_eq!(scan.findings, after.drift);
    assert!(scan.finding(&new[0].id).is_some());
}

fn cluster(id: &str, status: &str, key: &str, sa: &str) -> ClusterRow {
    let spec = CmekKeySpec {
        key_type: "GCP_CLOUD_KMS".into(),
        uri: key.into(),
        auth_principal: sa.into(),
    };
    ClusterRow {
        id: id.into(),
        name: format!("c-{status}"),
        account_id: "crl-acct".into(),
        cmek: Some(CmekClusterInfo {
            status: status.into(),
            region_infos: vec![CmekRegionInfo {
                region: "us-east4".into(),
                status: status.into(),
                key_infos: vec![CmekKeyInfo {
                    spec,
                    status: status.into(),
                    ..Default::default()
                }],
            }],
        }),
        ..Default::default()
    }
}

fn binding(role: &str, member: &str, condition: Option<Expr>) -> EffectiveBinding {
    EffectiveBinding {
        role: role.into(),
        member: member.into(),
        level: PolicyLevel::Key,
        resource: "k".into(),
        condition,
    }
}

#[test]
fn revoked_regions_need_nothing_and_tolerate_their_grants() {
    let key = "projects/p/locations/l/keyRings/r/cryptoKeys/k";
    let sa = "s@p.iam.gserviceaccount.com";
    let e = expectations(&[cluster("000000000000abcdef", "REVOKED", key, sa)]);
    // Access removed by the revocation: not missing.
    let none = compute(&e, |_, _| Some(Observed::default()));
    assert!(none.is_empty(), "{none:#?}");
    // Access restored before support re-authorised: not extra either.
    let restored = compute(&e, |res, _| {
        (res == key).then(|| Observed {
            own: vec![binding(ENC, &format!("serviceAccount:{sa}"), None)],
            inherited: vec![],
        })
    });
    assert!(restored.is_empty(), "{restored:#?}");
}

#[test]
fn a_conditional_copy_of_the_expected_grant_is_extra_and_the_grant_is_missing() {
    let key = "projects/p/locations/l/keyRings/r/cryptoKeys/k";
    let sa = "s@p.iam.gserviceaccount.com";
    let member = format!("serviceAccount:{sa}");
    let e = expectations(&[cluster("000000000000abcdef", "ENABLED", key, sa)]);
    let cond = Expr {
        expression: "request.time < timestamp('2030-01-01T00:00:00Z')".into(),
        title: Some("until 2030".into()),
        ..Default::default()
    };
    let observed = |own: Vec<EffectiveBinding>, inherited: Vec<EffectiveBinding>| {
        move |res: &str, _: PolicyLevel| {
            (res == key).then(|| Observed {
                own: own.clone(),
                inherited: inherited.clone(),
            })
        }
    };
    let d = compute(
        &e,
        observed(vec![binding(ENC, &member, Some(cond.clone()))], vec![]),
    );
    let kinds: Vec<_> = d.iter().map(|x| (x.kind, x.condition.is_some())).collect();
    assert_eq!(
        kinds,
        vec![(DriftKind::Extra, true), (DriftKind::Missing, false)]
    );
    assert_ne!(d[0].id, d[1].id);
    // Granted on the key ring instead: satisfied, nothing missing.
    let ring = compute(&e, observed(vec![], vec![binding(ENC, &member, None)]));
    assert!(ring.is_empty(), "{ring:#?}");
}
