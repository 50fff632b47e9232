//! The KMS calls on a key's settings, per region: automatic rotation, the key policy, tags.

use crate::error::map_sdk_error;
use crate::AwsClient;
use cmek_core::aws::policy::PolicyDocument;
use cmek_core::Result;
use cmek_retry::CallKind;
use serde_json::json;

/// The only key policy name KMS has.
pub const POLICY_NAME: &str = "default";

impl AwsClient {
    /// `kms:GetKeyRotationStatus`.
    pub async fn key_rotation_enabled(&self, region: &str, key_id: &str) -> Result<bool> {
        let call = self.call(
            "KMS",
            "GetKeyRotationStatus",
            region,
            CallKind::Read,
            json!({"KeyId": key_id}),
        );
        let kms = &self.kms(region);
        self.run(&call, || async move {
            let o = kms
                .get_key_rotation_status()
                .key_id(key_id)
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "GetKeyRotationStatus", key_id, e))?;
            Ok(o.key_rotation_enabled())
        })
        .await
    }

    /// `kms:EnableKeyRotation` (yearly; sets a value, so it is retried like a read).
    pub async fn enable_key_rotation(&self, region: &str, key_id: &str) -> Result<()> {
        let call = self.call(
            "KMS",
            "EnableKeyRotation",
            region,
            CallKind::IdempotentWrite,
            json!({"KeyId": key_id}),
        );
        let kms = &self.kms(region);
        self.run(&call, || async move {
            kms.enable_key_rotation()
                .key_id(key_id)
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "EnableKeyRotation", key_id, e))?;
            Ok(())
        })
        .await
    }

    /// `kms:GetKeyPolicy` (`default`), parsed.
    pub async fn get_key_policy(&self, region: &str, key_id: &str) -> Result<PolicyDocument> {
        let call = self.call(
            "KMS",
            "GetKeyPolicy",
            region,
            CallKind::Read,
            json!({"KeyId": key_id, "PolicyName": POLICY_NAME}),
        );
        let kms = &self.kms(region);
        let text = self
            .run(&call, || async move {
                let o = kms
                    .get_key_policy()
                    .key_id(key_id)
                    .policy_name(POLICY_NAME)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("KMS", "GetKeyPolicy", key_id, e))?;
                Ok(o.policy().unwrap_or("{}").to_owned())
            })
            .await?;
        PolicyDocument::parse(&format!("the key policy of {key_id}"), &text)
    }

    /// `kms:PutKeyPolicy` (`default`): replaces the key policy with `policy` (the caller made it
    /// read-modify-write). KMS checks every principal: a role it cannot see answers
    /// `MalformedPolicyDocumentException` (`INVALID_ARGUMENT`, AWS's message kept).
    pub async fn put_key_policy(
        &self,
        region: &str,
        key_id: &str,
        policy: &PolicyDocument,
    ) -> Result<()> {
        let text = &policy.to_json();
        let call = self.call(
            "KMS",
            "PutKeyPolicy",
            region,
            CallKind::IdempotentWrite,
            json!({"KeyId": key_id, "PolicyName": POLICY_NAME, "Policy": policy}),
        );
        let kms = &self.kms(region);
        self.run(&call, || async move {
            kms.put_key_policy()
                .key_id(key_id)
                .policy_name(POLICY_NAME)
                .policy(text)
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "PutKeyPolicy", key_id, e))?;
            Ok(())
        })
        .await
    }

    /// `kms:ListResourceTags` (first 50 tags; CMEK Desk's keys carry one).
    pub async fn key_tags(&self, region: &str, key_id: &str) -> Result<Vec<(String, String)>> {
        let call = self.call(
            "KMS",
            "ListResourceTags",
            region,
            CallKind::Read,
            json!({"KeyId": key_id}),
        );
        let kms = &self.kms(region);
        self.run(&call, || async move {
            let o = kms
                .list_resource_tags()
                .key_id(key_id)
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "ListResourceTags", key_id, e))?;
            Ok(o.tags()
                .iter()
                .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
                .collect())
        })
        .await
    }
}
