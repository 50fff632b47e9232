//! Per-key Cloud KMS checks over one [`KeyRow`] (its fields, versions and effective policy):
//! A01 public, A03/A04 rotation, A08 key users, A09 destruction, A10 enabled, A14 deleted
//! principals, A16 destruction delay. Unknown purposes, protection levels and states never
//! panic: they make a check not applicable or are reported as they came.

use super::{ev, fail, opt};
use crate::effective::{describe, members_with, MemberKind, KEY_USE_ROLES};
use crate::model::{Finding, KeyRow};
use crate::time_util::{duration_nanos, nanos_between, parse_time, NANOS_PER_SEC};
use time::OffsetDateTime;

/// 90 days in seconds (CIS GCP 1.10: `7776000s`).
pub const NINETY_DAYS_SECS: i128 = 7_776_000;
/// 7 days in seconds (A16 minimum destruction delay).
pub const SEVEN_DAYS_SECS: i128 = 604_800;

/// All per-key checks.
pub fn check_key(key: &KeyRow, now: OffsetDateTime) -> Vec<Finding> {
    [
        a01_public(key),
        a03_rotation_configured(key),
        a04_rotation_90_days(key, now),
        a08_key_users(key),
        a09_destruction(key),
        a10_enabled(key),
        a14_deleted_principals(key),
        a16_destroy_delay(key),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn proj(key: &KeyRow) -> Option<&str> {
    Some(key.project.as_str())
}

/// A01 — CIS GCP 1.9 / 5.0 1.10; Prowler `kms_key_not_publicly_accessible`; ScoutSuite
/// `kms-cryptokeys-anonymously-publicly-accessible`; SCC `KMS_PUBLIC_KEY`.
/// FAIL if any binding of the effective policy (key ∪ key ring ∪ project) has member `allUsers`
/// or `allAuthenticatedUsers`, any role, conditional or not.
pub fn a01_public(key: &KeyRow) -> Option<Finding> {
    let public: Vec<_> = key
        .effective_bindings
        .iter()
        .filter(|b| MemberKind::of(&b.member).is_public())
        .collect();
    (!public.is_empty()).then(|| {
        let evidence = public.iter().map(|b| ev("binding", describe(b))).collect();
        fail(
            "A01",
            &key.name,
            proj(key),
            format!("{} public binding(s) reach this key.", public.len()),
            evidence,
        )
    })
}

/// Where automatic rotation is possible: purpose `ENCRYPT_DECRYPT`, primary `ENABLED`,
/// protection level not `EXTERNAL`/`EXTERNAL_VPC`, not import-only.
pub fn rotation_applies(key: &KeyRow) -> bool {
    key.purpose.as_deref() == Some(cmek_core::kms::PURPOSE_ENCRYPT_DECRYPT)
        && key.primary_state.as_deref() == Some("ENABLED")
        && !matches!(
            key.protection_level.as_deref(),
            Some("EXTERNAL" | "EXTERNAL_VPC")
        )
        && !key.import_only
}

/// A03 — Prowler `kms_key_rotation_enabled`; SCC `KMS_KEY_NOT_ROTATED`; CIS GCP 1.10.
/// Applies where [`rotation_applies`]. FAIL if `rotationPeriod` is absent.
pub fn a03_rotation_configured(key: &KeyRow) -> Option<Finding> {
    (rotation_applies(key) && key.rotation_period.is_none()).then(|| {
        fail(
            "A03",
            &key.name,
            proj(key),
            "No automatic rotation is configured.",
            vec![
                ev("rotationPeriod", "<absent>"),
                ev("purpose", opt(key.purpose.as_deref())),
                ev("primary.state", opt(key.primary_state.as_deref())),
            ],
        )
    })
}

/// A04 — CIS GCP 1.10 / 5.0 1.11; Prowler `kms_key_rotation_max_90_days`; ScoutSuite
/// `kms-encryption-keys-not-rotated`; Trivy AVD-GCP-0065; Checkov CKV_GCP_43.
/// Applies where [`rotation_applies`] and `rotationPeriod` is present. FAIL if the period is
/// more than 7776000 s (exact nanoseconds), or `nextRotationTime` is absent, unparseable, in the
/// past, or more than 7776000 s after `now`.
pub fn a04_rotation_90_days(key: &KeyRow, now: OffsetDateTime) -> Option<Finding> {
    let period = key
        .rotation_period
        .as_deref()
        .filter(|_| rotation_applies(key))?;
    let mut why = Vec::new();
    match duration_nanos(period) {
        Some(n) if n > NINETY_DAYS_SECS * NANOS_PER_SEC => {
            why.push(format!("rotationPeriod {period} exceeds 7776000s"))
        }
        Some(_) => {}
        None => why.push(format!("rotationPeriod {period} is not a valid duration")),
    }
    match key
        .next_rotation_time
        .as_deref()
        .map(|t| (t, parse_time(t)))
    {
        None => why.push("nextRotationTime is absent".to_owned()),
        Some((t, None)) => why.push(format!("nextRotationTime {t} is not a valid time")),
        Some((t, Some(next))) => {
            let until = nanos_between(now, next);
            if until < 0 {
                why.push(format!("nextRotationTime {t} is in the past"));
            } else if until > NINETY_DAYS_SECS * NANOS_PER_SEC {
                why.push(format!("nextRotationTime {t} is more than 90 days away"));
            }
        }
    }
    (!why.is_empty()).then(|| {
        fail(
            "A04",
            &key.name,
            proj(key),
            why.join("; "),
            vec![
                ev("rotationPeriod", period),
                ev("nextRotationTime", opt(key.next_rotation_time.as_deref())),
                ev("scanTime", crate::time_util::rfc3339(now)),
            ],
        )
    })
}

/// A08 — SCC `TOO_MANY_KMS_USERS`; Steampipe `kms_key_users_limited_to_3`.
/// FAIL if more than 3 distinct members hold a key-use role ([`KEY_USE_ROLES`], owner
/// included) across all levels and bindings, or a public member holds one.
pub fn a08_key_users(key: &KeyRow) -> Option<Finding> {
    let users = members_with(&key.effective_bindings, KEY_USE_ROLES);
    let public = users.iter().any(|m| MemberKind::of(m).is_public());
    (users.len() > 3 || public).then(|| {
        let evidence = users.iter().map(|m| ev("keyUser", m)).collect();
        fail(
            "A08",
            &key.name,
            proj(key),
            format!(
                "{} distinct members can use this key{}.",
                users.len(),
                if public {
                    ", including a public member"
                } else {
                    ""
                }
            ),
            evidence,
        )
    })
}

/// A09 — Prowler `kms_cmk_not_deleted_unintentionally` (AWS analogue); Security Hub KMS.3.
/// FAIL if any version is `DESTROY_SCHEDULED` (evidence: `destroyTime`, the restore deadline)
/// or the primary version is `DESTROYED`.
pub fn a09_destruction(key: &KeyRow) -> Option<Finding> {
    let mut evidence: Vec<_> = key
        .versions
        .iter()
        .filter(|v| v.state == "DESTROY_SCHEDULED")
        .map(|v| {
            ev(
                &format!("version {} destroyTime", v.id),
                opt(v.destroy_time.as_deref()),
            )
        })
        .collect();
    if key.primary_state.as_deref() == Some("DESTROYED") {
        evidence.push(ev("primary.state", "DESTROYED"));
    }
    (!evidence.is_empty()).then(|| {
        fail(
            "A09",
            &key.name,
            proj(key),
            "Key material is scheduled for destruction or destroyed.",
            evidence,
        )
    })
}

/// A10 — Prowler `kms_cmk_are_used` (AWS analogue); ScoutSuite/Steampipe primary-state filters.
/// `ENCRYPT_DECRYPT`: FAIL if no primary or `primary.state ≠ ENABLED`. Other purposes (no
/// primary by design, unknown purposes included): FAIL if no version is `ENABLED`.
pub fn a10_enabled(key: &KeyRow) -> Option<Finding> {
    if key.purpose.as_deref() == Some(cmek_core::kms::PURPOSE_ENCRYPT_DECRYPT) {
        return (key.primary_state.as_deref() != Some("ENABLED")).then(|| {
            fail(
                "A10",
                &key.name,
                proj(key),
                "The primary version is missing or not ENABLED.",
                vec![
                    ev("primary", opt(key.primary_id.as_deref())),
                    ev("primary.state", opt(key.primary_state.as_deref())),
                ],
            )
        });
    }
    (!key.versions.iter().any(|v| v.state == "ENABLED")).then(|| {
        fail(
            "A10",
            &key.name,
            proj(key),
            "No version of this key is ENABLED.",
            vec![
                ev("purpose", opt(key.purpose.as_deref())),
                ev("versions", key.versions.len()),
            ],
        )
    })
}

/// A14 — GCP IAM `deleted:` member syntax (no scanner has it).
/// FAIL if any member of the effective policy starts with `deleted:`.
pub fn a14_deleted_principals(key: &KeyRow) -> Option<Finding> {
    let dead: Vec<_> = key
        .effective_bindings
        .iter()
        .filter(|b| MemberKind::of(&b.member) == MemberKind::Deleted)
        .collect();
    (!dead.is_empty()).then(|| {
        fail(
            "A14",
            &key.name,
            proj(key),
            "Deleted principals remain in the key's policies.",
            dead.iter().map(|b| ev("binding", describe(b))).collect(),
        )
    })
}

/// A16 — Checkov CKV_GCP_82 (live-state analogue).
/// FAIL if `destroyScheduledDuration` is set and shorter than 604800 s (7 days).
pub fn a16_destroy_delay(key: &KeyRow) -> Option<Finding> {
    let d = key.destroy_scheduled_duration.as_deref()?;
    let short = duration_nanos(d).is_some_and(|n| n < SEVEN_DAYS_SECS * NANOS_PER_SEC);
    short.then(|| {
        fail(
            "A16",
            &key.name,
            proj(key),
            format!("Destruction happens only {d} after it is scheduled."),
            vec![ev("destroyScheduledDuration", d)],
        )
    })
}
