//! The AWS side of the crash harness: the sandbox's AWS cluster set up with a new role and a
//! new key (by alias), and its watched state: the role's trust policy, the policy and settings
//! of the key CockroachDB uses and CockroachDB's CMEK status. AWS key ids are random, so the
//! key's id and ARN are replaced by `KEY_ID` / `KEY_ARN` before comparing, and the statements
//! of both policies are compared as a set (`aws_revoke::sorted`).

use super::{normalize_cmek, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const AWS_CLUSTER: &str = "aws-analytics";
pub const AWS_CLUSTER_ID: &str = cmek_sandbox::seed::AWS_CLUSTER_ID;
/// The role `aws_setup_args` creates (the sandbox's officer account).
pub const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/crdb-cmek-crash";

pub fn aws_setup_args() -> Vec<&'static str> {
    vec![
        "apply",
        AWS_CLUSTER,
        "--role-name",
        "crdb-cmek-crash",
        "--key-alias",
        "crdb-crash",
        "--yes",
    ]
}

impl World {
    /// The AWS watched state (see the module doc).
    pub fn aws_snapshot(&self) -> BTreeMap<String, Value> {
        let info = self.sb.cmek_info(AWS_CLUSTER_ID).unwrap_or(Value::Null);
        let key = self.aws_cluster_key_arn().and_then(|a| self.sb.aws_key(&a));
        let anonymous = |text: String| -> Value {
            let text = match &key {
                Some(k) => text.replace(&k.arn, "KEY_ARN").replace(&k.id, "KEY_ID"),
                None => text,
            };
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        let mut out = BTreeMap::new();
        let trust = self
            .sb
            .aws_role(ROLE_ARN)
            .map(|r| serde_json::from_str::<Value>(&r.trust).unwrap_or(Value::String(r.trust)));
        out.insert("role trust policy".into(), json!(trust));
        out.insert(
            "key policy".into(),
            key.as_ref()
                .map_or(Value::Null, |k| anonymous(k.policy.clone())),
        );
        out.insert(
            "key".into(),
            key.as_ref().map_or(Value::Null, |k| {
                json!({ "state": k.state, "spec": k.spec, "usage": k.usage, "rotation": k.rotation })
            }),
        );
        out.insert("cmek".into(), normalize_cmek(anonymous(info.to_string())));
        super::sorted(out)
    }

    /// The ARN of the key the AWS cluster uses: its `ENABLED` key, else (revoked) its first.
    pub fn aws_cluster_key_arn(&self) -> Option<String> {
        let info = self.sb.cmek_info(AWS_CLUSTER_ID)?;
        let keys = info["region_infos"][0]["key_infos"].as_array()?.clone();
        keys.iter()
            .find(|k| k["status"] == "ENABLED")
            .or_else(|| keys.first())
            .and_then(|k| k["spec"]["uri"].as_str())
            .map(str::to_owned)
    }

    /// How many keys KMS created (`CreateKey` answered with success).
    pub fn keys_created(&self) -> usize {
        self.sb
            .requests()
            .iter()
            .filter(|r| r.operation == "CreateKey" && (200..300).contains(&r.status))
            .count()
    }
}
