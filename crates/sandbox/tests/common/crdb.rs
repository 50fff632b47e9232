//! CockroachDB-side test helpers: provision the GCP side of the CMEK procedure over HTTP.

use reqwest::Method;
use serde_json::{json, Value};

use super::{Api, P};
use cmek_sandbox::crl_kms_principal;
use cmek_sandbox::seed::{SINGLE_REGION_ACCOUNT_ID, SINGLE_REGION_CLUSTER_ID};

/// The customer service account the helpers create.
pub const SA: &str = "crdb-cmek@cmek-demo-project.iam.gserviceaccount.com";

/// Does the GCP side of the procedure through the HTTP API: SA, Token Creator grant, key ring,
/// key, key grant. Returns the key URI.
pub async fn provision(
    api: &Api,
    cluster_id: &str,
    account_id: &str,
    location: &str,
    token_creator: bool,
) -> String {
    let (s, b) = api
        .google(
            Method::POST,
            &format!("iam/v1/projects/{P}/serviceAccounts"),
            Some(json!({"accountId": "crdb-cmek"})),
        )
        .await;
    assert!(s == 200 || s == 409, "{b}");
    if token_creator {
        grant(
            api,
            &format!("iam/v1/projects/{P}/serviceAccounts/{SA}"),
            "roles/iam.serviceAccountTokenCreator",
            &format!(
                "serviceAccount:{}",
                crl_kms_principal(cluster_id, account_id)
            ),
            true,
        )
        .await;
    }
    api.google(
        Method::POST,
        &format!("kms/v1/projects/{P}/locations/{location}/keyRings?keyRingId=crdb"),
        Some(json!({})),
    )
    .await;
    let ring = format!("projects/{P}/locations/{location}/keyRings/crdb");
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/{ring}/cryptoKeys?cryptoKeyId=cmek"),
            Some(json!({"purpose": "ENCRYPT_DECRYPT"})),
        )
        .await;
    assert!(s == 200 || s == 409, "{b}");
    let key = format!("{ring}/cryptoKeys/cmek");
    grant(
        api,
        &format!("kms/v1/{key}"),
        "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        &format!("serviceAccount:{SA}"),
        false,
    )
    .await;
    key
}

pub async fn grant(api: &Api, res: &str, role: &str, member: &str, post_get: bool) {
    let m = if post_get { Method::POST } else { Method::GET };
    let (_, mut p) = api.google(m, &format!("{res}:getIamPolicy"), None).await;
    let mut bs = p["bindings"].as_array().cloned().unwrap_or_default();
    bs.push(json!({"role": role, "members": [member]}));
    p["bindings"] = Value::Array(bs);
    let (s, b) = api
        .google(
            Method::POST,
            &format!("{res}:setIamPolicy"),
            Some(json!({"policy": p})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

pub fn spec(region: &str, key: &str) -> Value {
    json!({"region": region, "key_spec": {"type": "GCP_CLOUD_KMS", "uri": key, "auth_principal": SA}})
}

/// [`provision`] for the single-region demo cluster, with its key in us-east4.
pub async fn provision_single_region(api: &Api, token_creator: bool) -> String {
    provision(
        api,
        SINGLE_REGION_CLUSTER_ID,
        SINGLE_REGION_ACCOUNT_ID,
        "us-east4",
        token_creator,
    )
    .await
}

/// The CMEK endpoint of a cluster (`clusters/{id}/cmek`).
pub fn cmek_url(cluster_id: &str) -> String {
    format!("clusters/{cluster_id}/cmek")
}

/// `POST {url}` with these region specs (enables CMEK).
pub async fn enable(api: &Api, url: &str, specs: &[Value]) -> (u16, Value) {
    api.crdb(Method::POST, url, Some(json!({ "region_specs": specs })))
        .await
}

/// Polls `GET {url}` twice and returns the second answer: with `SandboxConfig::for_tests()` a
/// transition (ENABLING, ROTATING, REVOKING) is still shown once, then resolves.
pub async fn settle(api: &Api, url: &str) -> Value {
    api.crdb(Method::GET, url, None).await;
    api.crdb(Method::GET, url, None).await.1
}
