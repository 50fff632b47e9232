//! Service accounts (409, eventual consistency B07), Service Usage (SERVICE_DISABLED + enable
//! LRO, B19) and Resource Manager (403 for unknown projects) over HTTP.
mod common;

use cmek_sandbox::seed::{DEMO_PROJECT_NUMBER, FRESH_PROJECT_ID, FRESH_PROJECT_NUMBER};
use cmek_sandbox::SandboxConfig;
use common::{start, start_with, P};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn service_accounts_crud_and_409() {
    let api = start().await;
    let url = format!("iam/v1/projects/{P}/serviceAccounts");
    let (s, sa) = api
        .google(
            Method::POST,
            &url,
            Some(json!({"accountId": "crdb-cmek", "serviceAccount": {"displayName": "CRDB CMEK"}})),
        )
        .await;
    assert_eq!(s, 200, "{sa}");
    let email = format!("crdb-cmek@{P}.iam.gserviceaccount.com");
    assert_eq!(sa["email"], email);
    assert!(sa["uniqueId"]
        .as_str()
        .unwrap()
        .chars()
        .all(|c| c.is_ascii_digit()));
    let (s, b) = api
        .google(Method::POST, &url, Some(json!({"accountId": "crdb-cmek"})))
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        b["error"]["message"],
        format!("Service account crdb-cmek already exists within project projects/{P}.")
    );
    assert_eq!(
        b["error"]["details"][0]["resourceName"],
        format!("projects/{P}/serviceAccounts/{email}")
    );
    assert_eq!(b["error"]["errors"][0]["reason"], "alreadyExists");
    let (s, _) = api
        .google(Method::POST, &url, Some(json!({"accountId": "Bad_Id"})))
        .await;
    assert_eq!(s, 400);
    let (s, b) = api
        .google(
            Method::GET,
            &format!("{url}/nobody@{P}.iam.gserviceaccount.com"),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["message"], "Unknown service account");
    assert_eq!(b["error"]["errors"][0]["reason"], "notFound");
    // patch answers with name + the masked fields only (recording)
    let (s, b) = api
        .google(
            Method::PATCH,
            &format!("{url}/{email}"),
            Some(json!({"serviceAccount": {"description": "d"}, "updateMask": "description"})),
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"name": format!("projects/{P}/serviceAccounts/{email}"), "description": "d"})
        )
    );
    assert_eq!(
        api.sb.service_account(&email).unwrap()["displayName"],
        "CRDB CMEK"
    );
    // disable / enable / getIamPolicy (POST) / list
    let (s, b) = api
        .google(
            Method::POST,
            &format!("{url}/{email}:disable"),
            Some(json!({})),
        )
        .await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(api.sb.service_account(&email).unwrap()["disabled"], true);
    api.google(
        Method::POST,
        &format!("{url}/{email}:enable"),
        Some(json!({})),
    )
    .await;
    assert!(api
        .sb
        .service_account(&email)
        .unwrap()
        .get("disabled")
        .is_none());
    let (s, p) = api
        .google(Method::POST, &format!("{url}/{email}:getIamPolicy"), None)
        .await;
    assert_eq!((s, p), (200, json!({"etag": "ACAB"})));
    let (_, l) = api.google(Method::GET, &url, None).await;
    assert_eq!(l["accounts"].as_array().unwrap().len(), 1);
    let key = cmek_sandbox::seed::EXISTING_KEY;
    api.sb.with_state(|st| {
        st.add_binding_direct(
            key,
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            &format!("serviceAccount:{email}"),
        );
    });
    let (s, _) = api
        .google(Method::DELETE, &format!("{url}/{email}"), None)
        .await;
    assert_eq!(s, 200);
    assert!(api.sb.service_account(&email).is_none());
    let uid = sa["uniqueId"].as_str().unwrap();
    assert_eq!(
        api.sb.iam_policy(key)["bindings"][0]["members"][0],
        format!("deleted:serviceAccount:{email}?uid={uid}"),
        "policies show the deleted member form"
    );
}

#[tokio::test]
async fn service_account_eventual_consistency_b07() {
    let api = start_with(SandboxConfig::for_tests().with_sa_get_not_found_after_create(2)).await;
    let url = format!("iam/v1/projects/{P}/serviceAccounts");
    api.google(Method::POST, &url, Some(json!({"accountId": "slow-sa"})))
        .await;
    let get = format!("{url}/slow-sa@{P}.iam.gserviceaccount.com");
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(api.google(Method::GET, &get, None).await.0);
        }
        v
    };
    assert_eq!(statuses, vec![404, 404, 200]);
}

#[tokio::test]
async fn service_disabled_then_enable_lro_b19() {
    let api = start().await;
    let kms = format!("kms/v1/projects/{FRESH_PROJECT_ID}/locations/us-east4/keyRings");
    let (s, b) = api.google(Method::GET, &kms, None).await;
    assert_eq!(s, 403);
    let d = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reason"] == "SERVICE_DISABLED")
        .cloned()
        .unwrap();
    assert_eq!(d["metadata"]["service"], "cloudkms.googleapis.com");
    assert_eq!(
        d["metadata"]["consumer"],
        format!("projects/{FRESH_PROJECT_NUMBER}")
    );
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("has not been used in project"));

    let su = format!("serviceusage/v1/projects/{FRESH_PROJECT_ID}/services");
    let (_, svc) = api
        .google(Method::GET, &format!("{su}/cloudkms.googleapis.com"), None)
        .await;
    assert_eq!(svc["state"], "DISABLED");
    let (s, op) = api
        .google(
            Method::POST,
            &format!("{su}/cloudkms.googleapis.com:enable"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200);
    let name = op["name"].as_str().unwrap().to_string();
    assert!(
        name.starts_with(&format!("operations/acat.p2-{FRESH_PROJECT_NUMBER}-")),
        "{name}"
    );
    let (s, done) = api
        .google(Method::GET, &format!("serviceusage/v1/{name}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(done["done"], true);
    assert_eq!(done["response"]["service"]["state"], "ENABLED");
    let (s, _) = api.google(Method::GET, &kms, None).await;
    assert_eq!(s, 200);
    // already enabled -> noop operation
    let (_, op) = api
        .google(
            Method::POST,
            &format!("{su}/cloudkms.googleapis.com:enable"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        op,
        json!({"name": "operations/noop.DONE_OPERATION", "done": true})
    );
    // batchGet
    let (s, b) = api
        .google(Method::GET, &format!("serviceusage/v1/projects/{DEMO_PROJECT_NUMBER}/services:batchGet?names=projects/{DEMO_PROJECT_NUMBER}/services/iam.googleapis.com&names=projects/{DEMO_PROJECT_NUMBER}/services/cloudkms.googleapis.com"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["services"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["state"] == "ENABLED"));
    // IAM disabled via the hook -> SA calls fail
    api.sb.set_service_enabled(P, "iam.googleapis.com", false);
    let (s, b) = api
        .google(
            Method::GET,
            &format!("iam/v1/projects/{P}/serviceAccounts"),
            None,
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        b["error"]["details"][0]["metadata"]["service"],
        "iam.googleapis.com"
    );
}

#[tokio::test]
async fn resource_manager_never_confirms_unknown_projects() {
    let api = start().await;
    for path in [
        "crm/v3/projects/no-such-project",
        "crm/v1/projects/no-such-project",
    ] {
        let (s, b) = api.google(Method::GET, path, None).await;
        assert_eq!(s, 403, "{path}");
        assert_eq!(b["error"]["message"], "The caller does not have permission");
        assert!(
            b["error"].get("errors").is_none(),
            "no legacy errors array: {b}"
        );
    }
    let (s, b) = api
        .google(Method::GET, &format!("crm/v3/projects/{P}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["name"], format!("projects/{DEMO_PROJECT_NUMBER}"));
    let (_, b) = api
        .google(Method::GET, &format!("crm/v1/projects/{P}"), None)
        .await;
    assert_eq!(b["projectNumber"], DEMO_PROJECT_NUMBER);
    let (_, b) = api
        .google(
            Method::GET,
            "crm/v3/projects:search?query=id:cmek-demo*",
            None,
        )
        .await;
    assert_eq!(b["projects"].as_array().unwrap().len(), 1);
    let (s, p) = api
        .google(
            Method::POST,
            &format!("crm/v3/projects/{P}:getIamPolicy"),
            Some(json!({"options": {"requestedPolicyVersion": 3}})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(p["bindings"][0]["role"], "roles/owner");
    let (_, t) = api
        .google(
            Method::POST,
            &format!("crm/v1/projects/{P}:testIamPermissions"),
            Some(json!({"permissions": ["resourcemanager.projects.setIamPolicy"]})),
        )
        .await;
    assert_eq!(t["permissions"][0], "resourcemanager.projects.setIamPolicy");
    let _: Value = t;
}
