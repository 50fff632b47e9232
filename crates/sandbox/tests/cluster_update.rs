//! `PATCH /api/v1/clusters/{id}` over HTTP: a region added to a CMEK cluster with its spec
//! joins the cluster and starts ENABLING, which ends ENABLED only when the IAM chain holds
//! (ENABLE_FAILED with CockroachDB's message otherwise); a spec for an existing region, a new
//! region without a spec, or a spec on a cluster without CMEK are refused; every body is
//! checked against the OpenAPI spec.

mod common;

use common::crdb::{cmek_url, enable, provision, provision_single_region, settle, spec};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

use cmek_sandbox::seed::{MULTI_REGION_CLUSTER_ID, SINGLE_REGION_CLUSTER_ID};

const ID: &str = SINGLE_REGION_CLUSTER_ID;

fn path() -> String {
    format!("clusters/{ID}")
}

fn body(nodes: Value, specs: Vec<Value>) -> Value {
    json!({"dedicated": {"region_nodes": nodes, "cmek_region_specs": specs}})
}

/// prod-payments with CMEK ENABLED on a us-east4 key; returns that key.
async fn enabled(api: &Api) -> String {
    let key = provision_single_region(api, true).await;
    let (s, b) = enable(api, &cmek_url(ID), &[spec("us-east4", &key)]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(settle(api, &cmek_url(ID)).await["status"], "ENABLED");
    key
}

fn no_contract_breaks(api: &Api) {
    assert!(
        api.sb.spec_violations().is_empty(),
        "{:?}",
        api.sb.spec_violations()
    );
    assert!(
        api.sb.spec_rejections().is_empty(),
        "{:?}",
        api.sb.spec_rejections()
    );
}

#[tokio::test]
async fn a_new_region_with_its_key_joins_the_cluster_and_becomes_enabled() {
    let api = start().await;
    enabled(&api).await;
    // us-west1's own key, granted to the same service account.
    let key = provision(&api, ID, "crl-prod-abc", "us-west1", false).await;
    let (s, cluster) = api
        .crdb(
            Method::PATCH,
            &path(),
            Some(body(
                json!({"us-east4": 3, "us-west1": 4}),
                vec![spec("us-west1", &key)],
            )),
        )
        .await;
    assert_eq!(s, 200, "{cluster}");
    let regions: Vec<(&str, i64)> = cluster["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["node_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(regions, vec![("us-east4", 3), ("us-west1", 4)]);
    assert_eq!(cluster["operation_status"], "CRDB_CMEK_OPERATION_RUNNING");
    let (_, info) = api.crdb(Method::GET, &cmek_url(ID), None).await;
    let west = |i: &Value| {
        i["region_infos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == "us-west1")
            .cloned()
            .unwrap()
    };
    assert_eq!(west(&info)["status"], "ENABLING");
    let info = api.crdb(Method::GET, &cmek_url(ID), None).await.1;
    assert_eq!(west(&info)["status"], "ENABLED");
    assert_eq!(west(&info)["key_infos"][0]["spec"]["uri"], json!(key));
    assert_eq!(info["status"], "ENABLED");
    no_contract_breaks(&api);
}

#[tokio::test]
async fn a_region_whose_key_cockroachdb_cannot_use_is_refused_or_ends_enable_failed() {
    let api = start().await;
    let key = enabled(&api).await;
    // A key nobody granted: refused at once, as enable is (400 while IAM propagates).
    let (s, b) = api
        .google(
            Method::POST,
            &format!("kms/v1/projects/{P}/locations/us-west1/keyRings?keyRingId=bare"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let bare = format!("projects/{P}/locations/us-west1/keyRings/bare/cryptoKeys/k");
    api.google(
        Method::POST,
        &format!("kms/v1/projects/{P}/locations/us-west1/keyRings/bare/cryptoKeys?cryptoKeyId=k"),
        Some(json!({"purpose": "ENCRYPT_DECRYPT"})),
    )
    .await;
    let nodes = json!({"us-east4": 3, "us-west1": 3});
    let (s, b) = api
        .crdb(
            Method::PATCH,
            &path(),
            Some(body(nodes.clone(), vec![spec("us-west1", &bare)])),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("Insufficient permissions"),
        "{b}"
    );
    // A key whose location cannot serve the region: refused like enable.
    let (s, b) = api
        .crdb(
            Method::PATCH,
            &path(),
            Some(body(nodes, vec![spec("us-west1", &key)])),
        )
        .await;
    assert_eq!(s, 400, "us-east4's key cannot serve us-west1: {b}");
    // Granted when sent, revoked before CockroachDB finishes: ENABLE_FAILED with the reason.
    let global = provision(&api, ID, "crl-prod-abc", "global", false).await;
    let (s, b) = api
        .crdb(
            Method::PATCH,
            &path(),
            Some(body(
                json!({"us-east4": 3, "us-west1": 3}),
                vec![spec("us-west1", &global)],
            )),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    api.sb.with_state(|st| {
        st.remove_binding_direct(
            &global,
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            &format!("serviceAccount:{}", common::crdb::SA),
        )
    });
    let info = settle(&api, &cmek_url(ID)).await;
    let west = info["region_infos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "us-west1")
        .cloned()
        .unwrap();
    assert_eq!(west["status"], "ENABLE_FAILED", "{info}");
    assert!(west["key_infos"][0]["user_message"]
        .as_str()
        .unwrap()
        .contains("lacks roles/cloudkms.cryptoKeyEncrypterDecrypter"));
    no_contract_breaks(&api);
}

#[tokio::test]
async fn specs_for_existing_regions_missing_specs_and_specs_without_cmek_are_invalid() {
    let api = start().await;
    // No CMEK yet: a CMEK spec is refused.
    let key = provision_single_region(&api, true).await;
    let (s, b) = api
        .crdb(
            Method::PATCH,
            &format!("clusters/{MULTI_REGION_CLUSTER_ID}"),
            Some(body(
                json!({"europe-west4": 3, "us-east1": 3, "us-west2": 3, "us-east4": 3}),
                vec![spec("us-east4", &key)],
            )),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("CMEK is not enabled"),
        "{b}"
    );
    enabled(&api).await;
    let before = api.sb.with_state(|s| s.cluster(ID)).unwrap();
    for (nodes, specs, says) in [
        (
            json!({"us-east4": 3}),
            vec![spec("us-east4", &key)],
            "existing region us-east4",
        ),
        (
            json!({"us-east4": 3, "us-west1": 3}),
            vec![],
            "missing CMEK region spec for new region us-west1",
        ),
        (json!({"us-west1": 3}), vec![], "missing us-east4"),
        (json!({"us-east4": 0}), vec![], "node count from 1"),
    ] {
        let (s, b) = api
            .crdb(Method::PATCH, &path(), Some(body(nodes, specs)))
            .await;
        assert_eq!(s, 400, "{says}: {b}");
        assert!(b["message"].as_str().unwrap().contains(says), "{says}: {b}");
    }
    let (s, b) = api
        .crdb(
            Method::PATCH,
            &path(),
            Some(json!({"cockroach_version": "v25.3"})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("not simulated"));
    assert_eq!(
        api.sb.with_state(|s| s.cluster(ID)).unwrap()["regions"],
        before["regions"],
        "nothing changed"
    );
    // A body the spec rejects is refused before the handler and recorded.
    let (s, _) = api
        .crdb(
            Method::PATCH,
            &path(),
            Some(json!({"dedicated": {"region_nodes": {"us-west1": "three"}}})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        api.sb.spec_rejections().len(),
        1,
        "{:?}",
        api.sb.spec_rejections()
    );
}
