//! Shared by the key-hold tests: KEY with versions 1 ENABLED, 2 DISABLED, 3 ENABLED and an
//! automatic rotation schedule, and the freeze / restore calls with the typed confirmation.
#![allow(dead_code)]

use super::common::*;
use cmek_revoke::{
    disable_all_versions, unfreeze_key, KeyActionReport, RevokeControl, RotationSchedule,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const PERIOD: &str = "2592000s";
pub const DAY: u64 = 86_400;

pub fn in_days(d: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::days(d))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

pub fn version(n: u32) -> String {
    format!("{KEY}/cryptoKeyVersions/{n}")
}

/// KEY with versions 1 ENABLED, 2 DISABLED, 3 ENABLED and rotation every 30 days, next in 10.
pub async fn scheduled_key(env: &Env) -> RotationSchedule {
    provision_shared(&env.ctx).await;
    let kms = &env.ctx.google.kms;
    for _ in 0..2 {
        kms.create_version(KEY).await.unwrap();
    }
    kms.set_version_state(&version(2), "DISABLED")
        .await
        .unwrap();
    let next = in_days(10);
    let k = kms
        .set_rotation_schedule(KEY, Some(PERIOD), Some(&next))
        .await
        .unwrap();
    let s = RotationSchedule::of(&k);
    assert_eq!(s.rotation_period.as_deref(), Some(PERIOD));
    assert_eq!(s.next_rotation_time.as_deref(), Some(next.as_str()));
    s
}

pub fn states(env: &Env) -> Vec<String> {
    env.sb
        .with_state(|s| s.crypto_key_versions(KEY))
        .iter()
        .map(|v| v["state"].as_str().unwrap().to_owned())
        .collect()
}

pub fn key_json(env: &Env) -> serde_json::Value {
    env.sb.crypto_key(KEY).unwrap()
}

pub async fn freeze(env: &Env) -> KeyActionReport {
    disable_all_versions(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap()
}

pub async fn unfreeze(env: &Env) -> KeyActionReport {
    unfreeze_key(
        &env.ctx,
        &env.log,
        KEY,
        "shared-key",
        &RevokeControl::default(),
        &|_| {},
    )
    .await
    .unwrap()
}
