//! Test switches of the AWS side on [`SandboxHandle`] used to run the app's AWS flows against
//! moto (the reference) with the CockroachDB part from the sandbox: read an account's
//! resources to replay them into moto through the AWS API, and point the CockroachDB CMEK
//! state of AWS clusters at keys and roles that live in moto (whose chain the sandbox cannot
//! check, so the state is set, not enabled).

use serde_json::{json, Value};

use super::Account;
use crate::state::CmekRegion;
use crate::SandboxHandle;

impl SandboxHandle {
    /// A copy of everything the sandbox holds for AWS account `account` (roles, managed
    /// policies, keys by (region, id), aliases by (region, name)); `None` if unknown.
    pub fn aws_account(&self, account: &str) -> Option<Account> {
        self.with_state(|s| s.aws.accounts.get(account).cloned())
    }

    /// Rewrites the `uri` and `auth_principal` of every `AWS_KMS` key info of every cluster
    /// through `f` (unchanged when it answers `None`); returns how many values changed.
    pub fn map_aws_cmek_specs(&self, f: impl Fn(&str) -> Option<String>) -> usize {
        self.with_state(|s| {
            let mut n = 0;
            for region in s.cmek.values_mut().flatten() {
                for info in &mut region.key_infos {
                    let spec = &mut info["spec"];
                    if spec["type"] != "AWS_KMS" {
                        continue;
                    }
                    for field in ["uri", "auth_principal"] {
                        let new = spec[field].as_str().and_then(&f);
                        if let Some(new) = new {
                            spec[field] = Value::String(new);
                            n += 1;
                        }
                    }
                }
            }
            n
        })
    }

    /// Sets cluster `cluster_id`'s CMEK to `ENABLED` in `region` with key `key_arn` and role
    /// `role_arn` (`AWS_KMS`), without checking the chain: for keys and roles that live
    /// outside the sandbox (moto). The region's earlier state is replaced.
    pub fn set_aws_cmek_enabled(
        &self,
        cluster_id: &str,
        region: &str,
        key_arn: &str,
        role_arn: &str,
    ) {
        self.with_state(|s| {
            let at = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let spec = json!({"type": "AWS_KMS", "uri": key_arn, "auth_principal": role_arn});
            let info = json!({"spec": spec, "status": "ENABLED", "user_message": "", "created_at": at, "updated_at": at});
            let regions = s.cmek.entry(cluster_id.to_owned()).or_default();
            regions.retain(|r| r.region != region);
            regions.push(CmekRegion {
                region: region.to_owned(),
                status: "ENABLED".into(),
                key_infos: vec![info],
                pending: None,
            });
        });
    }

    /// Test switch: rewrites the STORED trust policy of role `name` in account `account` as
    /// another writer would (e.g. the platform team adding its own statement). `f` gets the
    /// parsed document; the result is stored as compact JSON. Returns false if no such role
    /// or its trust is not JSON.
    pub fn tamper_role_trust(&self, account: &str, name: &str, f: impl FnOnce(&mut Value)) -> bool {
        self.with_state(|s| {
            let Some(role) = s
                .aws
                .accounts
                .get_mut(account)
                .and_then(|a| a.roles.get_mut(name))
            else {
                return false;
            };
            let Ok(mut doc) = serde_json::from_str::<Value>(&role.trust) else {
                return false;
            };
            f(&mut doc);
            role.trust = doc.to_string();
            true
        })
    }
}
