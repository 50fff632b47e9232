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

/// At scale (2,000 keys): reads cost no walk of every key while nothing is due (the cached next
/// due time), and each move of the clock past a due time applies exactly what became due, in
/// one walk: the key due after one day rotates then, the key due after two days rotates a day
/// later, a scheduled destruction happens when its time passes, every other key rotates when
/// its own `nextRotationTime` (10 days) passes, never twice.
#[tokio::test]
async fn time_driven_changes_at_scale_walk_only_when_due() {
    let api = start().await;
    let ring = "projects/bench-p0/locations/us-east4/keyRings/ring-0";
    let due_a = format!("{ring}/cryptoKeys/due-a");
    let due_b = format!("{ring}/cryptoKeys/due-b");
    let at = |days: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::days(days))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    api.sb.with_state(|s| {
        cmek_sandbox::seed_audit::seed_audit_scale(s, 2, 1_000);
        cmek_sandbox::seed_audit::add_key(s, &due_a, json!({"nextRotationTime": at(1)}));
        cmek_sandbox::seed_audit::add_key(s, &due_b, json!({"nextRotationTime": at(2)}));
        s.add_binding_direct(
            "projects/bench-p0",
            "roles/cloudkms.admin",
            cmek_sandbox::DEFAULT_GOOGLE_MEMBER,
        );
    });
    let primary = |k: &serde_json::Value| {
        k["primary"]["name"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    };
    let get = |name: String| {
        let api = &api;
        async move {
            let (s, v) = api
                .google(Method::GET, &format!("kms/v1/{name}"), None)
                .await;
            assert_eq!(s, 200, "{v}");
            v
        }
    };
    // A scheduled destruction (a write), due after the default 30 days.
    let other = format!("{ring}/cryptoKeys/key-5");
    let (s, v) = api
        .google(
            Method::POST,
            &format!("kms/v1/{other}/cryptoKeyVersions/1:destroy"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "DESTROY_SCHEDULED");

    let before = api.sb.kms_due_walks();
    for k in 0..200 {
        let key = get(format!("{ring}/cryptoKeys/key-{}", k * 5)).await;
        assert_eq!(primary(&key), "1", "{key}");
    }
    let (s, list) = api
        .google(
            Method::GET,
            &format!("kms/v1/{ring}/cryptoKeys?pageSize=1000"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["cryptoKeys"].as_array().unwrap().len(), 202);
    assert!(
        api.sb.kms_due_walks() <= before + 1,
        "201 reads with nothing due walked every key {} times",
        api.sb.kms_due_walks() - before
    );

    let day = Duration::from_secs(DAY);
    let walks = api.sb.kms_due_walks();
    api.sb.advance_clock(day + Duration::from_secs(3_600));
    assert_eq!(primary(&get(due_a.clone()).await), "2");
    assert_eq!(primary(&get(due_b.clone()).await), "1");
    assert_eq!(primary(&get(other.clone()).await), "1");
    assert_eq!(
        api.sb.kms_due_walks(),
        walks + 1,
        "one walk when the clock passed one due time"
    );

    api.sb.advance_clock(day);
    assert_eq!(primary(&get(due_b.clone()).await), "2");
    assert_eq!(primary(&get(due_a.clone()).await), "2", "rotated once only");
    assert_eq!(api.sb.kms_due_walks(), walks + 2);

    // The default destroyScheduledDuration is 30 days: past it the version is DESTROYED, and
    // on the way every key's 10-day rotation happened exactly once (next one at day 40).
    api.sb.advance_clock(30 * day);
    let (_, v) = api
        .google(
            Method::GET,
            &format!("kms/v1/{other}/cryptoKeyVersions/1"),
            None,
        )
        .await;
    assert_eq!(v["state"], "DESTROYED", "{v}");
    let (_, list) = api
        .google(
            Method::GET,
            &format!("kms/v1/{ring}/cryptoKeys?pageSize=1000"),
            None,
        )
        .await;
    for k in list["cryptoKeys"].as_array().unwrap() {
        let name = k["name"].as_str().unwrap();
        // due-a and due-b (30-day period) were due again at days 31 and 32.
        let want = if name.ends_with("/due-a") || name.ends_with("/due-b") {
            "3"
        } else {
            "2"
        };
        assert_eq!(primary(k), want, "{name}");
    }
    let (_, k) = api
        .google(
            Method::GET,
            "kms/v1/projects/bench-p1/locations/us-east4/keyRings/ring-4/cryptoKeys/key-999",
            None,
        )
        .await;
    assert_eq!(primary(&k), "2", "{k}");
}
