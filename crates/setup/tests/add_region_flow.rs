//! Adding a region to a CMEK cluster end to end, over HTTP against the sandbox: the new
//! region's key is provisioned and granted before one `PATCH /clusters/{id}` that names every
//! region's node count and the new region's CMEK spec only; the region ends ENABLED. A cluster
//! whose one key is `global` reuses it (no key written). The request validates against the spec.

mod changes_common;
mod common;

use changes_common::*;
use cmek_core::change::{AddRegionRequest, PlanChange};
use cmek_core::plan::StepKind;
use cmek_core::ErrorCode;
use cmek_sandbox::seed;
use common::*;
use serde_json::json;

fn add(cluster: &str, region: &str, nodes: Option<i32>) -> AddRegionRequest {
    AddRegionRequest {
        cluster_id: cluster.into(),
        region: region.into(),
        node_count: nodes.map(Into::into),
        project: None,
        key_ring: None,
        crypto_key: None,
    }
}

#[tokio::test]
async fn a_region_added_to_prod_payments_gets_its_own_key_first_then_one_patch_and_ends_enabled() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let (_, before) = prod_payments_enabled(&conn).await;
    let id = seed::SINGLE_REGION_CLUSTER_ID;
    let plan = cmek_setup::plan_add_region(&conn, add(id, "us-west1", Some(5)))
        .await
        .unwrap();
    let PlanChange::AddRegion(change) = &plan.change else {
        panic!("{:?}", plan.change)
    };
    assert!(!change.reuses_key, "a us-east4 key cannot serve us-west1");
    assert_eq!(
        change
            .region_nodes
            .iter()
            .map(|(r, n)| (r.as_str(), *n))
            .collect::<Vec<_>>(),
        vec![("us-east4", 3), ("us-west1", 5)]
    );
    let key = &plan.keys[0];
    assert_eq!((key.location.as_str(), key.exists), ("us-west1", false));
    assert!(
        key.name
            .ends_with("/keyRings/cockroachdb-cmek/cryptoKeys/crdb-5c4d3e2f1a0b-us-west1"),
        "{}",
        key.name
    );
    let kinds: Vec<StepKind> = plan.steps.iter().map(|s| s.kind).collect();
    let at = |k: StepKind| kinds.iter().position(|x| *x == k).unwrap();
    assert!(at(StepKind::GrantEncrypterDecrypter) < at(StepKind::AddRegion));
    assert!(at(StepKind::AddRegion) < at(StepKind::WaitForCmek));
    assert!(plan.commands.last().unwrap().starts_with("curl -X PATCH"));

    sb.clear_requests();
    let (result, events) = apply(&conn, &plan).await;
    let result = result.unwrap_or_else(|e| panic!("add region failed: {e:?}\n{events:#?}"));
    assert!(
        progress_messages(&events)
            .iter()
            .any(|m| m.contains("us-west1 ENABLING")),
        "{events:#?}"
    );
    assert_eq!(result.cmek.status, "ENABLED");
    assert_eq!(result.cmek.region("us-west1").unwrap().status, "ENABLED");
    assert_eq!(uri_of(&result.cmek, "us-west1"), key.name);
    assert_eq!(
        uri_of(&result.cmek, "us-east4"),
        uri_of(&before, "us-east4")
    );

    let written = writes(&sb);
    let ops: Vec<&str> = written.iter().map(|(o, _)| o.as_str()).collect();
    let patch = ops
        .iter()
        .position(|o| *o == "CockroachCloud_UpdateCluster")
        .expect("a PATCH");
    assert_eq!(
        patch,
        ops.len() - 1,
        "the key and grant come first: {ops:#?}"
    );
    assert_eq!(
        ops.iter()
            .filter(|o| o.starts_with("CockroachCloud"))
            .count(),
        1
    );
    let body = &written[patch].1;
    assert_eq!(
        body["dedicated"]["region_nodes"],
        json!({"us-east4": 3, "us-west1": 5})
    );
    let specs = body["dedicated"]["cmek_region_specs"].as_array().unwrap();
    assert_eq!(specs.len(), 1, "the new region only");
    assert_eq!(specs[0]["region"], "us-west1");
    let cluster = conn.cockroach.get_cluster(id).await.unwrap();
    assert_eq!(cluster.region_names(), vec!["us-east4", "us-west1"]);
    assert_eq!(
        cluster
            .regions
            .iter()
            .find(|r| r.name == "us-west1")
            .unwrap()
            .node_count,
        5
    );

    // Re-planning the same request resumes under the same intent and writes nothing.
    let again = cmek_setup::replan(&conn, &plan).await.unwrap();
    assert!(
        again.steps.iter().skip(2).all(|s| s.already_done),
        "{:#?}",
        again.steps
    );
    sb.clear_requests();
    assert_eq!(apply(&conn, &again).await.0.unwrap().write_calls, 0);
    // The region is there now: adding it again with another key is refused.
    let mut other = add(id, "us-west1", None);
    other.crypto_key = Some("another".into());
    let e = cmek_setup::plan_add_region(&conn, other).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("already a region"), "{}", e.message);
}

#[tokio::test]
async fn a_global_key_serves_the_new_region_so_only_the_patch_is_written() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    let req = global_ledger_with_a_global_key(&conn).await;
    let plan = cmek_setup::plan_add_region(
        &conn,
        add(seed::MULTI_REGION_CLUSTER_ID, "asia-east1", None),
    )
    .await
    .unwrap();
    let PlanChange::AddRegion(change) = &plan.change else {
        panic!()
    };
    assert!(change.reuses_key);
    assert_eq!(
        change.region_nodes["asia-east1"], 3,
        "as many nodes as the first region"
    );
    assert!(plan.keys[0].exists && plan.keys[0].location == "global");
    assert!(plan.keys[0]
        .name
        .ends_with(&format!("/cryptoKeys/{}", req.crypto_key)));
    sb.clear_requests();
    let (result, events) = apply(&conn, &plan).await;
    let result = result.unwrap_or_else(|e| panic!("add region failed: {e:?}\n{events:#?}"));
    assert_eq!(result.cmek.region("asia-east1").unwrap().status, "ENABLED");
    let ops: Vec<String> = writes(&sb).into_iter().map(|(o, _)| o).collect();
    assert_eq!(ops, vec!["CockroachCloud_UpdateCluster"]);
}

#[tokio::test]
async fn bad_add_region_requests_are_refused_before_any_call() {
    let sb = sandbox().await;
    let conn = connect(&sb).await;
    for (req, field) in [
        (
            add(seed::SINGLE_REGION_CLUSTER_ID, "europe", None),
            "region",
        ),
        (
            add(seed::SINGLE_REGION_CLUSTER_ID, "us-west1", Some(0)),
            "node_count",
        ),
        (add("25ebef5ed2aa", "us-west1", None), "cluster_id"),
    ] {
        let e = cmek_setup::plan_add_region(&conn, req).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        // The field travels as the error's resource; the message names it by its label.
        assert_eq!(e.resource.as_deref(), Some(field), "{}", e.message);
        let label = cmek_core::setup_fields::label_of(field);
        assert!(
            e.message.starts_with(&format!("{label}: ")),
            "{}",
            e.message
        );
    }
    assert!(sb
        .requests()
        .iter()
        .all(|r| !r.operation.contains("Cluster")));
}
