//! STS `GetCallerIdentity` and the IAM calls on roles and users: read a role with its trust
//! policy, create a role, replace its trust policy, list its permission policies, and check
//! that a principal exists (field report B27).

use crate::error::map_sdk_error;
use crate::AwsClient;
use cmek_core::aws::model::{CallerIdentity, IamRole, RolePolicies};
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::{ErrorCode, Result};
use cmek_retry::CallKind;
use serde_json::json;

/// `Ok(None)` for a `NotFound` answer.
fn found<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn role_of(r: &aws_sdk_iam::types::Role) -> Result<IamRole> {
    let trust = PolicyDocument::parse(
        &format!("the trust policy of role {}", r.role_name()),
        r.assume_role_policy_document().unwrap_or("{}"),
    )?;
    Ok(IamRole {
        name: r.role_name().to_owned(),
        arn: r.arn().to_owned(),
        role_id: r.role_id().to_owned(),
        path: r.path().to_owned(),
        trust_policy: trust,
        description: r.description().map(str::to_owned),
        create_date: r
            .create_date()
            .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
            .ok(),
    })
}

impl AwsClient {
    /// `sts:GetCallerIdentity`: the account and ARN the credentials belong to. Proves the
    /// credentials (an unusable credential is `UNAUTHENTICATED`).
    pub async fn caller_identity(&self) -> Result<CallerIdentity> {
        let call = self.call("STS", "GetCallerIdentity", "", CallKind::Read, json!({}));
        let sts = &self.shared.sts;
        self.run(&call, || async move {
            let out = sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| map_sdk_error("STS", "GetCallerIdentity", "", e))?;
            Ok(CallerIdentity {
                account: out.account().unwrap_or_default().to_owned(),
                arn: out.arn().unwrap_or_default().to_owned(),
                user_id: out.user_id().unwrap_or_default().to_owned(),
            })
        })
        .await
    }

    /// `iam:GetRole`: the role with its (decoded) trust policy, or `None` when it does not exist.
    pub async fn get_role(&self, name: &str) -> Result<Option<IamRole>> {
        let call = self.call(
            "IAM",
            "GetRole",
            "",
            CallKind::Read,
            json!({"RoleName": name}),
        );
        let iam = &self.shared.iam;
        found(
            self.run(&call, || async move {
                let out = iam
                    .get_role()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("IAM", "GetRole", name, e))?;
                match out.role() {
                    Some(r) => role_of(r),
                    None => Err(cmek_core::Error::internal(
                        "GetRole answered without a role",
                    )),
                }
            })
            .await,
        )
    }

    /// `iam:CreateRole` with `trust` and no permission policy. Errors: `ALREADY_EXISTS` when a
    /// role of that name exists (the caller adopts it instead).
    pub async fn create_role(
        &self,
        name: &str,
        trust: &PolicyDocument,
        description: &str,
    ) -> Result<IamRole> {
        let text = &trust.to_json();
        let call = self.call(
            "IAM",
            "CreateRole",
            "",
            CallKind::Write,
            json!({"RoleName": name, "AssumeRolePolicyDocument": trust, "Description": description}),
        );
        let iam = &self.shared.iam;
        self.run(&call, || async move {
            let out = iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(text)
                .description(description)
                .send()
                .await
                .map_err(|e| map_sdk_error("IAM", "CreateRole", name, e))?;
            match out.role() {
                Some(r) => role_of(r),
                None => Err(cmek_core::Error::internal(
                    "CreateRole answered without a role",
                )),
            }
        })
        .await
    }

    /// `iam:UpdateAssumeRolePolicy`: replaces the role's trust policy with `trust` (the caller
    /// made it read-modify-write).
    pub async fn update_trust_policy(&self, name: &str, trust: &PolicyDocument) -> Result<()> {
        let text = &trust.to_json();
        let call = self.call(
            "IAM",
            "UpdateAssumeRolePolicy",
            "",
            CallKind::IdempotentWrite,
            json!({"RoleName": name, "PolicyDocument": trust}),
        );
        let iam = &self.shared.iam;
        self.run(&call, || async move {
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(text)
                .send()
                .await
                .map_err(|e| map_sdk_error("IAM", "UpdateAssumeRolePolicy", name, e))?;
            Ok(())
        })
        .await
    }

    /// `iam:ListAttachedRolePolicies` and `iam:ListRolePolicies` (all pages).
    pub async fn role_policies(&self, name: &str) -> Result<RolePolicies> {
        let iam = &self.shared.iam;
        let mut out = RolePolicies::default();
        let mut marker: Option<String> = None;
        loop {
            let call = self.call(
                "IAM",
                "ListAttachedRolePolicies",
                "",
                CallKind::Read,
                json!({"RoleName": name}),
            );
            let m = &marker.clone();
            let page = self
                .run(&call, || async move {
                    let o = iam
                        .list_attached_role_policies()
                        .role_name(name)
                        .set_marker(m.clone())
                        .send()
                        .await
                        .map_err(|e| map_sdk_error("IAM", "ListAttachedRolePolicies", name, e))?;
                    let arns: Vec<String> = o
                        .attached_policies()
                        .iter()
                        .filter_map(|p| p.policy_arn().map(str::to_owned))
                        .collect();
                    Ok((
                        arns,
                        o.marker().map(str::to_owned).filter(|_| o.is_truncated()),
                    ))
                })
                .await?;
            out.attached.extend(page.0);
            marker = page.1;
            if marker.is_none() {
                break;
            }
        }
        loop {
            let call = self.call(
                "IAM",
                "ListRolePolicies",
                "",
                CallKind::Read,
                json!({"RoleName": name}),
            );
            let m = &marker.clone();
            let page = self
                .run(&call, || async move {
                    let o = iam
                        .list_role_policies()
                        .role_name(name)
                        .set_marker(m.clone())
                        .send()
                        .await
                        .map_err(|e| map_sdk_error("IAM", "ListRolePolicies", name, e))?;
                    Ok((
                        o.policy_names().to_vec(),
                        o.marker().map(str::to_owned).filter(|_| o.is_truncated()),
                    ))
                })
                .await?;
            out.inline.extend(page.0);
            marker = page.1;
            if marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// `iam:GetUser`: true when the user exists.
    pub async fn user_exists(&self, name: &str) -> Result<bool> {
        let call = self.call(
            "IAM",
            "GetUser",
            "",
            CallKind::Read,
            json!({"UserName": name}),
        );
        let iam = &self.shared.iam;
        Ok(found(
            self.run(&call, || async move {
                iam.get_user()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("IAM", "GetUser", name, e))?;
                Ok(())
            })
            .await,
        )?
        .is_some())
    }
}
