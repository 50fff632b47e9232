//! Read-only IAM calls the audit needs (audit-checks.md A12): list the account's roles, and read
//! the documents of a role's inline policies (`iam:GetRolePolicy`) and of a managed policy's
//! default version (`iam:GetPolicy` + `iam:GetPolicyVersion`). IAM returns documents
//! URL-encoded; they are decoded by `PolicyDocument::parse`.

use crate::error::map_sdk_error;
use crate::AwsClient;
use cmek_core::aws::model::IamRole;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::{Error, Result};
use cmek_retry::CallKind;
use serde_json::json;

impl AwsClient {
    /// `iam:ListRoles` (all pages): every role of the account with its trust policy.
    pub async fn list_roles(&self) -> Result<Vec<IamRole>> {
        let iam = &self.shared.iam;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let call = self.call("IAM", "ListRoles", "", CallKind::Read, json!({}));
            let m = &marker.clone();
            let (roles, next) = self
                .run(&call, || async move {
                    let o = iam
                        .list_roles()
                        .set_marker(m.clone())
                        .send()
                        .await
                        .map_err(|e| map_sdk_error("IAM", "ListRoles", "", e))?;
                    let roles = o
                        .roles()
                        .iter()
                        .map(crate::iam::role_of)
                        .collect::<Result<Vec<_>>>()?;
                    Ok((
                        roles,
                        o.marker().map(str::to_owned).filter(|_| o.is_truncated()),
                    ))
                })
                .await?;
            out.extend(roles);
            marker = next;
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// `iam:GetRolePolicy`: the document of inline policy `policy` of role `role`.
    pub async fn role_policy_document(&self, role: &str, policy: &str) -> Result<PolicyDocument> {
        let call = self.call(
            "IAM",
            "GetRolePolicy",
            "",
            CallKind::Read,
            json!({"RoleName": role, "PolicyName": policy}),
        );
        let iam = &self.shared.iam;
        let text = self
            .run(&call, || async move {
                let o = iam
                    .get_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("IAM", "GetRolePolicy", role, e))?;
                Ok(o.policy_document().to_owned())
            })
            .await?;
        PolicyDocument::parse(&format!("inline policy {policy} of role {role}"), &text)
    }

    /// `iam:GetPolicy` then `iam:GetPolicyVersion` of its default version: the document of the
    /// managed policy `arn`.
    pub async fn managed_policy_document(&self, arn: &str) -> Result<PolicyDocument> {
        let iam = &self.shared.iam;
        let call = self.call(
            "IAM",
            "GetPolicy",
            "",
            CallKind::Read,
            json!({"PolicyArn": arn}),
        );
        let version = self
            .run(&call, || async move {
                let o = iam
                    .get_policy()
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("IAM", "GetPolicy", arn, e))?;
                o.policy()
                    .and_then(|p| p.default_version_id())
                    .map(str::to_owned)
                    .ok_or_else(|| Error::internal(format!("GetPolicy {arn}: no default version")))
            })
            .await?;
        let call = self.call(
            "IAM",
            "GetPolicyVersion",
            "",
            CallKind::Read,
            json!({"PolicyArn": arn, "VersionId": version}),
        );
        let v = &version;
        let text = self
            .run(&call, || async move {
                let o = iam
                    .get_policy_version()
                    .policy_arn(arn)
                    .version_id(v)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("IAM", "GetPolicyVersion", arn, e))?;
                o.policy_version()
                    .and_then(|p| p.document())
                    .map(str::to_owned)
                    .ok_or_else(|| Error::internal(format!("GetPolicyVersion {arn}: no document")))
            })
            .await?;
        PolicyDocument::parse(&format!("managed policy {arn}"), &text)
    }
}
