//! Cloud KMS over HTTP: the version state machine and primary promotion, integer enum
//! encoding as in the recordings, and routing headers (B17).
mod common;

use common::{key_ring, start, P};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn version_state_machine_and_primary() {
    let api = start().await;
    let ring = key_ring(&api, "us-east4", "sm").await;
    api.google(
        Method::POST,
        &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k"),
        Some(json!({"purpose": "ENCRYPT_DECRYPT"})),
    )
    .await;
    let key = format!("{ring}/cryptoKeys/k");
    let v1 = format!("{key}/cryptoKeyVersions/1");
    // rotate now: create v2 (not primary), then promote
    let (s, v2) = api
        .google(
            Method::POST,
            &format!("kms/v1/{key}/cryptoKeyVersions"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, v2["name"].as_str().unwrap()),
        (200, format!("{key}/cryptoKeyVersions/2").as_str())
    );
    assert_eq!(api.sb.crypto_key(&key).unwrap()["primary"]["name"], v1);
    let (s, k) = api
        .google(
            Method::POST,
            &format!("kms/v1/{key}:updatePrimaryVersion"),
            Some(json!({"cryptoKeyVersionId": "2"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(k["primary"]["name"], format!("{key}/cryptoKeyVersions/2"));
    // disable v1, re-enable, disable again
    let (s, v) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{v1}?updateMask=state"),
            Some(json!({"state": "DISABLED"})),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("DISABLED")));
    // cannot promote a disabled version
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{key}:updatePrimaryVersion"),
            Some(json!({"cryptoKeyVersionId": "1"})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["status"], "FAILED_PRECONDITION");
    // destroy -> DESTROY_SCHEDULED with destroyTime ~30 days ahead
    let (s, v) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:destroy"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["state"], "DESTROY_SCHEDULED");
    assert!(v["destroyTime"].is_string());
    // patch while DESTROY_SCHEDULED -> FAILED_PRECONDITION with the real message shape
    let (s, b) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{v1}?updateMask=state"),
            Some(json!({"state": "ENABLED"})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["status"], "FAILED_PRECONDITION");
    assert_eq!(
        b["error"]["message"],
        format!("The request cannot be fulfilled. Resource {v1} has value DESTROY_SCHEDULED in field crypto_key_version.state.")
    );
    // destroy twice -> FAILED_PRECONDITION
    let (s, _) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:destroy"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400);
    // restore -> DISABLED (not ENABLED), destroyTime cleared
    let (s, v) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:restore"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["state"], "DISABLED");
    assert!(v.get("destroyTime").is_none());
    // restore again -> FAILED_PRECONDITION
    let (s, _) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:restore"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400);
    // patch to DESTROYED is INVALID_ARGUMENT
    let (s, b) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{v1}?updateMask=state"),
            Some(json!({"state": "DESTROYED"})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (400, Some("INVALID_ARGUMENT"))
    );
    // then re-enable
    let (s, v) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{v1}?updateMask=state"),
            Some(json!({"state": "ENABLED"})),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("ENABLED")));
    let (s, b) = api
        .google(
            Method::GET,
            &format!("kms/v1/{key}/cryptoKeyVersions"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["totalSize"], 2);
    let (s, _) = api
        .google(
            Method::GET,
            &format!("kms/v1/{key}/cryptoKeyVersions/9"),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn int_enum_encoding_like_the_recordings() {
    let api = start().await;
    let ring = key_ring(&api, "us-central1", "ints").await;
    let (s, k) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?%24alt=json%3Benum-encoding%3Dint&cryptoKeyId=k"),
            Some(json!({"purpose": 1, "versionTemplate": {"algorithm": 1, "protectionLevel": 1}})),
        )
        .await;
    assert_eq!(s, 200, "{k}");
    assert_eq!(k["purpose"], 1);
    assert_eq!(
        k["primary"]["state"], 1,
        "ENABLED is proto number 1 (as in the recording), not discovery index 2"
    );
    let (_, k) = api
        .google(Method::GET, &format!("kms/v1/{ring}/cryptoKeys/k"), None)
        .await;
    assert_eq!(k["purpose"], "ENCRYPT_DECRYPT");
    assert_eq!(k["primary"]["state"], "ENABLED");
}

#[tokio::test]
async fn routing_header_must_match_location_b17() {
    let api = start().await;
    let ring = key_ring(&api, "europe-west4", "routed").await;
    let url = format!("{}/kms/v1/{ring}", api.sb.base_url());
    let send = |hdr: String| {
        api.http
            .get(url.clone())
            .bearer_auth(&api.token)
            .header("x-goog-request-params", hdr)
            .send()
    };
    let ok = send(format!("name={}", ring.replace('/', "%2F")))
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let wrong = send(format!(
        "name=projects%2F{P}%2Flocations%2Fglobal%2FkeyRings%2Frouted"
    ))
    .await
    .unwrap();
    assert_eq!(wrong.status().as_u16(), 400);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("global"));
}

#[tokio::test]
async fn scheduled_destruction_ends_in_destroyed() {
    let api = start().await;
    let key = cmek_sandbox::seed::EXISTING_KEY;
    let v1 = format!("{key}/cryptoKeyVersions/1");
    let (s, _) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:destroy"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);
    api.sb.with_state(|st| st.expire_scheduled_destruction());
    let (_, v) = api.google(Method::GET, &format!("kms/v1/{v1}"), None).await;
    assert_eq!(v["state"], "DESTROYED", "{v}");
    assert!(v["destroyEventTime"].is_string() && v.get("destroyTime").is_none());
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{v1}:restore"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400);
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("has value DESTROYED"));
}

#[tokio::test]
async fn automatic_rotation_at_next_rotation_time() {
    let api = start().await;
    let ring = key_ring(&api, "us-east4", "auto").await;
    let next = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(600);
    let next = next
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (s, k) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "86400s", "nextRotationTime": next})),
        )
        .await;
    assert_eq!(s, 200, "{k}");
    assert!(k["primary"]["name"].as_str().unwrap().ends_with("/1"));
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let (_, k) = api
        .google(Method::GET, &format!("kms/v1/{ring}/cryptoKeys/k"), None)
        .await;
    assert!(
        k["primary"]["name"].as_str().unwrap().ends_with("/2"),
        "{k}"
    );
    assert_ne!(
        k["nextRotationTime"].as_str().unwrap(),
        next,
        "advanced by rotationPeriod"
    );
    // destroyScheduledDuration must be within 24 h .. 120 days
    let (s, _) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=short"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT", "destroyScheduledDuration": "60s"})),
        )
        .await;
    assert_eq!(s, 400);
}
