//! CockroachDB's key access recheck (`SandboxHandle::recheck_key_access`): removing IAM access
//! leaves a running region ENABLED (B42) until CockroachDB needs the key again; then the region
//! is REVOKED with a `user_message` saying why, and restoring access does not bring it back.
mod common;

use cmek_sandbox::seed::*;
use cmek_sandbox::{crl_kms_principal, KEY_ACCESS_FAILING, KEY_ACCESS_RESTORED};
use common::crdb::{cmek_url, enable, provision_single_region, settle, spec, SA};
use common::{start, P};
use reqwest::Method;

#[tokio::test]
async fn a_broken_chain_revokes_the_region_at_the_next_check_and_restoring_access_does_not_heal_it()
{
    let api = start().await;
    let key = provision_single_region(&api, true).await;
    let url = cmek_url(SINGLE_REGION_CLUSTER_ID);
    let (s, b) = enable(&api, &url, &[spec("us-east4", &key)]).await;
    assert_eq!(s, 200, "{b}");
    let info = settle(&api, &url).await;
    assert_eq!(info["status"], "ENABLED");
    assert_eq!(
        api.sb.recheck_key_access(SINGLE_REGION_CLUSTER_ID),
        vec![("us-east4".to_string(), true)]
    );

    let principal = format!(
        "serviceAccount:{}",
        crl_kms_principal(SINGLE_REGION_CLUSTER_ID, SINGLE_REGION_ACCOUNT_ID)
    );
    let sa_res = format!("projects/{P}/serviceAccounts/{SA}");
    api.sb.with_state(|s| {
        s.remove_binding_direct(&sa_res, "roles/iam.serviceAccountTokenCreator", &principal)
    });
    // B42: IAM removal alone changes nothing until CockroachDB checks again.
    let (_, info) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(info["region_infos"][0]["key_infos"][0]["user_message"], "");
    assert_eq!(
        api.sb.recheck_key_access(SINGLE_REGION_CLUSTER_ID),
        vec![("us-east4".to_string(), false)]
    );
    let (_, info) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(info["status"], "REVOKED", "cut off at the next check");
    assert_eq!(info["region_infos"][0]["status"], "REVOKED");
    let msg = info["region_infos"][0]["key_infos"][0]["user_message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.starts_with(KEY_ACCESS_FAILING) && msg.contains("cannot impersonate"),
        "{msg}"
    );

    api.sb.with_state(|s| {
        s.add_binding_direct(&sa_res, "roles/iam.serviceAccountTokenCreator", &principal)
    });
    assert_eq!(
        api.sb.recheck_key_access(SINGLE_REGION_CLUSTER_ID),
        vec![("us-east4".to_string(), true)]
    );
    let (_, info) = api.crdb(Method::GET, &url, None).await;
    assert_eq!(
        info["status"], "REVOKED",
        "nodes do not recover by themselves"
    );
    assert_eq!(
        info["region_infos"][0]["key_infos"][0]["user_message"],
        KEY_ACCESS_RESTORED
    );
}
