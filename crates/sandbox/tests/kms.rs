//! Cloud KMS over HTTP: key rings, keys, rotation validation (B19/B20) and authentication.
mod common;

use common::{key_ring, kr, start, P};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn key_ring_create_get_and_409() {
    let api = start().await;
    let name = kr("europe-west4", "crdb");
    let (s, b) = api
        .google(
            Method::GET,
            &format!("kms/v1/{name}?alt=json&prettyPrint=false"),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["message"], format!("KeyRing {name} not found."));
    assert_eq!(b["error"]["status"], "NOT_FOUND");
    assert!(
        b["error"].get("errors").is_none(),
        "KMS has no legacy errors array"
    );

    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/projects/{P}/locations/europe-west4/keyRings?keyRingId=crdb"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["name"], name);
    assert!(b["createTime"].as_str().unwrap().ends_with('Z'));

    let (s, b2) = api
        .google(Method::GET, &format!("kms/v1/{name}"), None)
        .await;
    assert_eq!((s, &b2), (200, &b));

    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/projects/{P}/locations/europe-west4/keyRings?keyRingId=crdb"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(b["error"]["status"], "ALREADY_EXISTS");
    assert_eq!(
        b["error"]["message"],
        format!("KeyRing {name} already exists.")
    );

    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/projects/{P}/locations/europe-west4/keyRings?keyRingId=bad.id"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400, "{b}");

    let (s, b) = api
        .google(
            Method::GET,
            &format!("kms/v1/projects/{P}/locations/europe-west4/keyRings"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["totalSize"], 1);
    assert_eq!(b["keyRings"][0]["name"], name);
}

#[tokio::test]
async fn key_gets_auto_primary_and_defaults() {
    let api = start().await;
    let ring = key_ring(&api, "us-east4", "r1").await;
    let (s, k) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k1"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT"})),
        )
        .await;
    assert_eq!(s, 200, "{k}");
    assert_eq!(
        k["primary"]["name"],
        format!("{ring}/cryptoKeys/k1/cryptoKeyVersions/1")
    );
    assert_eq!(k["primary"]["state"], "ENABLED");
    assert_eq!(k["destroyScheduledDuration"], "2592000s");
    assert_eq!(
        k["versionTemplate"],
        json!({"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "SOFTWARE"})
    );
    assert!(
        k.get("labels").is_none() && k.get("rotationPeriod").is_none(),
        "defaults omitted: {k}"
    );

    // skipInitialVersionCreation -> no primary (B23)
    let (s, k) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k2&skipInitialVersionCreation=true"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT"})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(k.get("primary").is_none());
    // purpose required
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k3"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["status"], "INVALID_ARGUMENT");
    // duplicate
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=k1"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT"})),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        b["error"]["message"],
        format!("CryptoKey {ring}/cryptoKeys/k1 already exists.")
    );
    // list with versionView=FULL shows the primary
    let (s, b) = api
        .google(
            Method::GET,
            &format!("kms/v1/{ring}/cryptoKeys?versionView=FULL"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["totalSize"], 2);
    assert_eq!(b["cryptoKeys"][0]["primary"]["state"], "ENABLED");
}

#[tokio::test]
async fn rotation_validation_b19_b20() {
    let api = start().await;
    let ring = key_ring(&api, "us-east4", "rot").await;
    let url = |id: &str| format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId={id}");
    // B20: duration encoded as a number
    let (s, b) = api.google(Method::POST, &url("a"), Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": 7776000, "nextRotationTime": "2030-01-01T00:00:00Z"}))).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("crypto_key.rotation_period"),
        "{b}"
    );
    assert_eq!(
        b["error"]["details"][0]["fieldViolations"][0]["field"],
        "crypto_key.rotation_period"
    );
    // B19: below one day
    let (s, b) = api.google(Method::POST, &url("b"), Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "3600s", "nextRotationTime": "2030-01-01T00:00:00Z"}))).await;
    assert_eq!(s, 400);
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("crypto_key.rotation_period"));
    // above 876000 h
    let (s, _) = api.google(Method::POST, &url("c"), Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "3153600001s", "nextRotationTime": "2030-01-01T00:00:00Z"}))).await;
    assert_eq!(s, 400);
    // without nextRotationTime: accepted, none filled in (recording kms-cryptokey #4)
    let (s, b) = api
        .google(
            Method::POST,
            &url("d"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7776000s"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["rotationPeriod"], "7776000s");
    assert!(b.get("nextRotationTime").is_none(), "{b}");
    // valid
    let (s, k) = api.google(Method::POST, &url("e"), Some(json!({"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7776000s", "nextRotationTime": "2030-01-01T00:00:00Z"}))).await;
    assert_eq!(s, 200, "{k}");
    assert_eq!(k["rotationPeriod"], "7776000s");
    // clearing rotation with updateMask and omitted fields
    let (s, k) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{ring}/cryptoKeys/e?updateMask=rotationPeriod,nextRotationTime"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{k}");
    assert!(k.get("rotationPeriod").is_none() && k.get("nextRotationTime").is_none());
    // immutable field
    let (s, _) = api
        .google(
            Method::PATCH,
            &format!("kms/v1/{ring}/cryptoKeys/e?updateMask=purpose"),
            Some(json!({"purpose": "MAC"})),
        )
        .await;
    assert_eq!(s, 400);
    // the sandbox recorded the request body for client-side assertions (B20)
    let reqs = api.sb.requests();
    assert_eq!(reqs[1].body["rotationPeriod"], 7776000);
    // The number-typed rotationPeriod broke the spec on purpose (the spec guard is told so).
    let rejected = api.sb.spec_rejections();
    assert!(
        rejected.iter().any(|r| r.contains("rotation_period")),
        "{rejected:?}"
    );
}

#[tokio::test]
async fn auth_and_permissions() {
    let api = start_with_stranger().await;
    let (s, b) = api
        .google_as(
            "nope",
            Method::GET,
            &format!("kms/v1/projects/{P}/locations"),
            None,
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(b["error"]["status"], "UNAUTHENTICATED");
    let (s, b) = api
        .google_as(
            "stranger-token",
            Method::GET,
            &format!("kms/v1/{}", cmek_sandbox::seed::EXISTING_KEY),
            None,
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["details"][0]["reason"], "IAM_PERMISSION_DENIED");
    assert_eq!(
        b["error"]["details"][0]["metadata"]["permission"],
        "cloudkms.cryptoKeys.get"
    );
    assert_eq!(
        b["error"]["message"],
        format!(
            "Permission 'cloudkms.cryptoKeys.get' denied on resource '{}' (or it may not exist).",
            cmek_sandbox::seed::EXISTING_KEY
        )
    );
    // testIamPermissions returns the held subset (empty -> {})
    let (s, b) = api
        .google_as(
            "stranger-token",
            Method::POST,
            &format!(
                "kms/v1/{}:testIamPermissions",
                cmek_sandbox::seed::EXISTING_KEY
            ),
            Some(json!({"permissions": ["cloudkms.cryptoKeys.get"]})),
        )
        .await;
    assert_eq!((s, b), (200, json!({})));
    let (s, b) = api
        .google(Method::POST, &format!("kms/v1/{}:testIamPermissions", cmek_sandbox::seed::EXISTING_KEY), Some(json!({"permissions": ["cloudkms.cryptoKeys.get", "cloudkms.cryptoKeys.setIamPolicy"]})))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["permissions"].as_array().unwrap().len(), 2);
}

async fn start_with_stranger() -> common::Api {
    common::start_with(
        cmek_sandbox::SandboxConfig::for_tests()
            .with_google_token("stranger-token", "user:stranger@example.com"),
    )
    .await
}
