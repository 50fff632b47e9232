//! Replays one AWS account of the sandbox (keys with their policies, rotation and state,
//! multi-Region replicas, aliases, roles with trust, inline and customer-managed policies) into
//! moto through the AWS API with the official SDK, so the audit can read the same resources
//! from both. moto generates its own key ids: [`Ids`] maps them both ways.
#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_smithy_http_client::Builder;
use cmek_sandbox::aws::Account;

/// Sandbox key id ⇄ moto key id.
#[derive(Debug, Default, Clone)]
pub struct Ids {
    /// sandbox key id → moto key id.
    pub to_moto: BTreeMap<String, String>,
}

impl Ids {
    /// `s` with every sandbox key id replaced by moto's.
    pub fn moto(&self, s: &str) -> String {
        self.to_moto
            .iter()
            .fold(s.to_owned(), |acc, (a, b)| acc.replace(a, b))
    }

    /// `s` with every moto key id replaced by the sandbox's.
    pub fn sandbox(&self, s: &str) -> String {
        self.to_moto
            .iter()
            .fold(s.to_owned(), |acc, (a, b)| acc.replace(b, a))
    }
}

fn creds() -> Credentials {
    Credentials::new("SANDBOX-REPLAY", "replay", None, None, "cmek-audit-tests")
}

fn kms(endpoint: &str, region: &str) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(creds())
        .endpoint_url(endpoint)
        .http_client(Builder::new().build_http())
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

fn iam(endpoint: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(creds())
        .endpoint_url(endpoint)
        .http_client(Builder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// Creates `acct`'s resources on `endpoint` (moto); panics naming the call that failed.
pub async fn replay(acct: &Account, endpoint: &str) -> Ids {
    let mut ids = Ids::default();
    let is_replica = |k: &cmek_sandbox::aws::Key| {
        k.multi_region && k.primary_region.as_deref().is_some_and(|p| p != k.region)
    };
    for k in acct.keys.values().filter(|k| !is_replica(k)) {
        let out = kms(endpoint, &k.region)
            .create_key()
            .description(&k.description)
            .key_spec(KeySpec::from(k.spec.as_str()))
            .key_usage(KeyUsageType::from(k.usage.as_str()))
            .multi_region(k.multi_region)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateKey {}: {e:?}", k.id));
        let meta = out.key_metadata.expect("KeyMetadata");
        ids.to_moto.insert(k.id.clone(), meta.key_id);
    }
    for k in acct.keys.values().filter(|k| is_replica(k)) {
        let primary = k.primary_region.as_deref().unwrap_or_default();
        kms(endpoint, primary)
            .replicate_key()
            .key_id(&ids.to_moto[&k.id])
            .replica_region(&k.region)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ReplicateKey {}: {e:?}", k.id));
    }
    let iam = iam(endpoint);
    for p in acct.policies.values() {
        iam.create_policy()
            .policy_name(&p.name)
            .path(&p.path)
            .policy_document(ids.moto(&p.document))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreatePolicy {}: {e:?}", p.name));
    }
    for r in acct.roles.values() {
        iam.create_role()
            .role_name(&r.name)
            .path(&r.path)
            .assume_role_policy_document(&r.trust)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateRole {}: {e:?}", r.name));
        for (name, doc) in &r.inline {
            iam.put_role_policy()
                .role_name(&r.name)
                .policy_name(name)
                .policy_document(ids.moto(doc))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutRolePolicy {}: {e:?}", r.name));
        }
        for arn in &r.attached {
            iam.attach_role_policy()
                .role_name(&r.name)
                .policy_arn(arn)
                .send()
                .await
                .unwrap_or_else(|e| panic!("AttachRolePolicy {}: {e:?}", r.name));
        }
    }
    for k in acct.keys.values() {
        let c = kms(endpoint, &k.region);
        let id = &ids.to_moto[&k.id];
        c.put_key_policy()
            .key_id(id)
            .policy_name("default")
            .policy(ids.moto(&k.policy))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutKeyPolicy {}: {e:?}", k.id));
        if k.rotation.is_some() {
            c.enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("EnableKeyRotation {}: {e:?}", k.id));
        }
        match k.state.as_str() {
            "Disabled" => {
                c.disable_key()
                    .key_id(id)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("DisableKey {}: {e:?}", k.id));
            }
            "PendingDeletion" => {
                c.schedule_key_deletion()
                    .key_id(id)
                    .pending_window_in_days(k.pending_window.unwrap_or(30) as i32)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("ScheduleKeyDeletion {}: {e:?}", k.id));
            }
            _ => {}
        }
    }
    for ((region, name), a) in &acct.aliases {
        kms(endpoint, region)
            .create_alias()
            .alias_name(name)
            .target_key_id(&ids.to_moto[&a.target])
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateAlias {name}: {e:?}"));
    }
    ids
}
