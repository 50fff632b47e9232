//! The sandbox clock (`State::advance_clock`): moving it past a key's `nextRotationTime` makes
//! the next KMS request rotate the key as Cloud KMS would (new ENABLED primary, next time
//! advanced by the period); a key whose schedule was cleared with `cryptoKeys.patch` does not
//! rotate; scheduled destruction follows the same clock.
mod common;

use common::{key_ring, start};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const DAY: u64 = 86_400;

#[tokio::test]
async fn advancing_the_clock_rotates_scheduled_keys_only() {
    let api = start().await;
    let ring = key_ring(&api, "us-east4", "clock").await;
    let next = time::OffsetDateTime::now_utc() + time::Duration::days(10);
    let next = next
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for id in ["scheduled", "cleared"] {
        let (s, k) = api
            .google(
                Method::POST,
                &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId={id}"),
                Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "2592000s", "nextRotationTime": next})),
            )
            .await;
        assert_eq!(s, 200, "{k}");
    }
    let (s, k) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{ring}/cryptoKeys/cleared?updateMask=rotationPeriod,nextRotationTime"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{k}");
    assert!(k.get("nextRotationTime").is_none(), "{k}");

    // Not yet due: nothing happens.
    let (_, k) = api
        .google(
            Method::GET,
            &format!("kms/v1/{ring}/cryptoKeys/scheduled"),
            None,
        )
        .await;
    assert!(k["primary"]["name"].as_str().unwrap().ends_with("/1"));

    api.sb
        .with_state(|s| s.advance_clock(Duration::from_secs(11 * DAY)));
    let (_, k) = api
        .google(
            Method::GET,
            &format!("kms/v1/{ring}/cryptoKeys/scheduled"),
            None,
        )
        .await;
    assert!(
        k["primary"]["name"].as_str().unwrap().ends_with("/2"),
        "{k}"
    );
    assert_eq!(k["primary"]["state"], "ENABLED");
    let advanced = k["nextRotationTime"].as_str().unwrap();
    assert!(advanced > next.as_str(), "{advanced} after {next}");
    let (_, k) = api
        .google(
            Method::GET,
            &format!("kms/v1/{ring}/cryptoKeys/cleared"),
            None,
        )
        .await;
    assert!(
        k["primary"]["name"].as_str().unwrap().ends_with("/1"),
        "{k}"
    );
    assert!(k.get("rotationPeriod").is_none() && k.get("nextRotationTime").is_none());
}

#[tokio::test]
async fn scheduled_destruction_follows_the_sandbox_clock() {
    let api = start().await;
    let key = cmek_sandbox::seed::EXISTING_KEY;
    let v1 = format!("{key}/cryptoKeyVersions/1");
    let (s, v) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:destroy"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    api.sb
        .with_state(|s| s.advance_clock(Duration::from_secs(31 * DAY)));
    let (_, v) = api.google(Method::GET, &format!("kms/v1/{v1}"), None).await;
    assert_eq!(v["state"], "DESTROYED", "{v}");
}
