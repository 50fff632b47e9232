//! Shared harness: a fresh sandbox on 127.0.0.1:0, a revoke context over HTTP, a fresh
//! activity database, and two clusters sharing one service account and one global key.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cmek_activity::ActivityLog;
use cmek_cockroach::CockroachClient;
use cmek_core::cockroach::{CmekKeySpec, CmekRegionSpec};
use cmek_core::iam::{service_account_member, Grant, ROLE_ENCRYPTER_DECRYPTER, ROLE_TOKEN_CREATOR};
use cmek_core::kms::CryptoKey;
use cmek_core::Secret;
use cmek_gcp::{edit_policy, Google, GoogleEndpoints, GoogleHttp, PolicyTarget, StaticToken};
use cmek_revoke::{RevokeContext, RevokeEvent, RevokeTiming};
use cmek_sandbox::{
    crl_kms_principal, seed, Sandbox, SandboxConfig, SandboxHandle, DEFAULT_COCKROACH_KEY,
    DEFAULT_GOOGLE_MEMBER, DEFAULT_GOOGLE_TOKEN,
};

pub const P: &str = seed::DEMO_PROJECT_ID;
pub const SA: &str = "crdb-shared@cmek-demo-project.iam.gserviceaccount.com";
pub const KEY: &str =
    "projects/cmek-demo-project/locations/global/keyRings/shared-ring/cryptoKeys/shared-key";
pub const A: &str = seed::SINGLE_REGION_CLUSTER_ID;
pub const A_NAME: &str = "prod-payments";
pub const B: &str = seed::MULTI_REGION_CLUSTER_ID;

pub struct Env {
    pub sb: SandboxHandle,
    pub ctx: RevokeContext,
    pub log: ActivityLog,
    pub dir: PathBuf,
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmek-revoke-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn context(sb: &SandboxHandle) -> RevokeContext {
    let e = sb.endpoints();
    let endpoints = GoogleEndpoints::single_server(&sb.base_url());
    let tokens = Arc::new(StaticToken::new(
        Secret::new(DEFAULT_GOOGLE_TOKEN),
        DEFAULT_GOOGLE_MEMBER,
    ));
    let google = Google::new(GoogleHttp::new(tokens), &endpoints);
    let cockroach = CockroachClient::new(&e.cockroach, Secret::new(DEFAULT_COCKROACH_KEY));
    RevokeContext::new(google, cockroach, DEFAULT_GOOGLE_MEMBER).with_timing(RevokeTiming::fast())
}

pub async fn env(name: &str) -> Env {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let ctx = context(&sb);
    let dir = temp_dir(name);
    let log = ActivityLog::open_in(&dir).unwrap();
    Env { sb, ctx, log, dir }
}

pub fn principal(cluster: &str) -> String {
    let account = if cluster == A {
        seed::SINGLE_REGION_ACCOUNT_ID
    } else {
        seed::MULTI_REGION_ACCOUNT_ID
    };
    service_account_member(&crl_kms_principal(cluster, account))
}

pub fn sa_resource() -> String {
    format!("projects/{P}/serviceAccounts/{SA}")
}

/// Clusters A (us-east4) and B (three regions) both ENABLED on one global key through one SA.
pub async fn provision_shared(ctx: &RevokeContext) {
    let g = &ctx.google;
    g.iam
        .create_service_account(P, "crdb-shared", "CockroachDB CMEK", "shared")
        .await
        .unwrap();
    g.kms
        .create_key_ring(&format!("projects/{P}/locations/global"), "shared-ring")
        .await
        .unwrap();
    let key = CryptoKey {
        purpose: Some("ENCRYPT_DECRYPT".into()),
        ..Default::default()
    };
    g.kms
        .create_crypto_key(
            &format!("projects/{P}/locations/global/keyRings/shared-ring"),
            "shared-key",
            &key,
        )
        .await
        .unwrap();
    edit_policy(
        g,
        &PolicyTarget::Kms(KEY.into()),
        &[Grant::new(
            ROLE_ENCRYPTER_DECRYPTER,
            service_account_member(SA),
        )],
        &[],
    )
    .await
    .unwrap();
    let sa_target = PolicyTarget::ServiceAccount {
        project: P.into(),
        email: SA.into(),
    };
    edit_policy(
        g,
        &sa_target,
        &[
            Grant::new(ROLE_TOKEN_CREATOR, principal(A)),
            Grant::new(ROLE_TOKEN_CREATOR, principal(B)),
        ],
        &[],
    )
    .await
    .unwrap();
    enable(ctx, A, &["us-east4"], KEY).await;
    enable(ctx, B, seed::MULTI_REGION_REGIONS, KEY).await;
}

pub fn spec(region: &str, key: &str) -> CmekRegionSpec {
    CmekRegionSpec {
        region: region.into(),
        key_spec: CmekKeySpec {
            key_type: "GCP_CLOUD_KMS".into(),
            uri: key.into(),
            auth_principal: SA.into(),
        },
    }
}

pub async fn enable(ctx: &RevokeContext, cluster: &str, regions: &[&str], key: &str) {
    let specs: Vec<CmekRegionSpec> = regions.iter().map(|r| spec(r, key)).collect();
    ctx.cockroach.enable_cmek(cluster, &specs).await.unwrap();
    settle(ctx, cluster, "ENABLED").await;
}

pub async fn settle(ctx: &RevokeContext, cluster: &str, want: &str) {
    for _ in 0..20 {
        let info = ctx.cockroach.get_cmek(cluster).await.unwrap().unwrap();
        if info.status == want {
            return;
        }
    }
    panic!("{cluster} never reached {want}");
}

/// A sink that collects events.
pub fn collector() -> (
    Arc<Mutex<Vec<RevokeEvent>>>,
    impl Fn(RevokeEvent) + Send + Sync,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    (events, move |e: RevokeEvent| e2.lock().unwrap().push(e))
}

/// Grants of a sandbox policy as sorted JSON strings (set comparison).
pub fn grant_set(policy: &serde_json::Value) -> Vec<String> {
    let p: cmek_core::iam::Policy = serde_json::from_value(policy.clone()).unwrap();
    let mut v: Vec<String> = p
        .grants_list()
        .iter()
        .map(|g| serde_json::to_string(g).unwrap())
        .collect();
    v.sort();
    v
}
