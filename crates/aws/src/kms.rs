//! The KMS calls on keys and aliases, per region: describe, list, create, replicate, alias.
//! Rotation, key policies and tags are in `kms_policy`.

use crate::error::map_sdk_error;
use crate::AwsClient;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use cmek_core::aws::model::{KeyMetadata, KmsAlias, NewKey};
use cmek_core::{Error, ErrorCode, Result};
use cmek_retry::CallKind;
use serde_json::json;

fn date(d: Option<&aws_sdk_kms::primitives::DateTime>) -> Option<String> {
    d.and_then(|d| {
        d.fmt(aws_sdk_kms::primitives::DateTimeFormat::DateTime)
            .ok()
    })
}

/// `KeyMetadata` in CMEK Desk's words; `region` is where it was read.
pub(crate) fn metadata(m: &aws_sdk_kms::types::KeyMetadata, region: &str) -> KeyMetadata {
    let mr = m.multi_region_configuration();
    KeyMetadata {
        key_id: m.key_id().to_owned(),
        arn: m.arn().unwrap_or_default().to_owned(),
        region: region.to_owned(),
        key_state: m
            .key_state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        key_spec: m
            .key_spec()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        key_usage: m
            .key_usage()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        key_manager: m
            .key_manager()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        origin: m
            .origin()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        description: m.description().unwrap_or_default().to_owned(),
        multi_region: m.multi_region().unwrap_or(false),
        multi_region_key_type: mr
            .and_then(|c| c.multi_region_key_type())
            .map(|t| t.as_str().to_owned()),
        primary_arn: mr
            .and_then(|c| c.primary_key())
            .and_then(|k| k.arn())
            .map(str::to_owned),
        replica_arns: mr
            .map(|c| {
                c.replica_keys()
                    .iter()
                    .filter_map(|k| k.arn().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        deletion_date: date(m.deletion_date()),
        creation_date: date(m.creation_date()),
    }
}

fn tags(pairs: &[(String, String)]) -> Result<Vec<Tag>> {
    pairs
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| Error::internal(format!("tag {k}: {e}")))
        })
        .collect()
}

fn no_metadata(action: &str) -> Error {
    Error::internal(format!("KMS {action} answered without key metadata"))
}

impl AwsClient {
    /// `kms:DescribeKey` of a key id, key ARN, alias (`alias/…`) or alias ARN; `None` when KMS
    /// answers `NotFoundException` (an alias that does not exist, a deleted key).
    pub async fn describe_key(&self, region: &str, key: &str) -> Result<Option<KeyMetadata>> {
        let call = self.call(
            "KMS",
            "DescribeKey",
            region,
            CallKind::Read,
            json!({"KeyId": key}),
        );
        let kms = &self.kms(region);
        let r = self
            .run(&call, || async move {
                let out = kms
                    .describe_key()
                    .key_id(key)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("KMS", "DescribeKey", key, e))?;
                out.key_metadata()
                    .map(|m| metadata(m, region))
                    .ok_or_else(|| no_metadata("DescribeKey"))
            })
            .await;
        match r {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `kms:ListKeys` (all pages): the key ids of the region.
    pub async fn list_keys(&self, region: &str) -> Result<Vec<String>> {
        let kms = &self.kms(region);
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let call = self.call("KMS", "ListKeys", region, CallKind::Read, json!({}));
            let m = &marker.clone();
            let (ids, next) = self
                .run(&call, || async move {
                    let o = kms
                        .list_keys()
                        .set_marker(m.clone())
                        .send()
                        .await
                        .map_err(|e| map_sdk_error("KMS", "ListKeys", region, e))?;
                    let ids: Vec<String> = o
                        .keys()
                        .iter()
                        .filter_map(|k| k.key_id().map(str::to_owned))
                        .collect();
                    Ok((
                        ids,
                        o.next_marker().map(str::to_owned).filter(|_| o.truncated()),
                    ))
                })
                .await?;
            out.extend(ids);
            marker = next;
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// `kms:ListAliases` (all pages) of the region, or of one key when `key_id` is given.
    pub async fn list_aliases(&self, region: &str, key_id: Option<&str>) -> Result<Vec<KmsAlias>> {
        let kms = &self.kms(region);
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let call = self.call(
                "KMS",
                "ListAliases",
                region,
                CallKind::Read,
                json!({"KeyId": key_id}),
            );
            let m = &marker.clone();
            let (aliases, next) = self
                .run(&call, || async move {
                    let o = kms
                        .list_aliases()
                        .set_key_id(key_id.map(str::to_owned))
                        .set_marker(m.clone())
                        .send()
                        .await
                        .map_err(|e| {
                            map_sdk_error("KMS", "ListAliases", key_id.unwrap_or(region), e)
                        })?;
                    let aliases: Vec<KmsAlias> = o
                        .aliases()
                        .iter()
                        .map(|a| KmsAlias {
                            alias_name: a.alias_name().unwrap_or_default().to_owned(),
                            alias_arn: a.alias_arn().unwrap_or_default().to_owned(),
                            target_key_id: a.target_key_id().map(str::to_owned),
                        })
                        .collect();
                    Ok((
                        aliases,
                        o.next_marker().map(str::to_owned).filter(|_| o.truncated()),
                    ))
                })
                .await?;
            out.extend(aliases);
            marker = next;
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// `kms:CreateKey`: a symmetric `SYMMETRIC_DEFAULT` / `ENCRYPT_DECRYPT` key with KMS's
    /// default key policy (the account root may administer it), tagged. Not retried after an
    /// unknown outcome (it may have been created).
    pub async fn create_key(&self, region: &str, key: &NewKey) -> Result<KeyMetadata> {
        let t = &tags(&key.tags)?;
        let call = self.call(
            "KMS",
            "CreateKey",
            region,
            CallKind::Write,
            json!({"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "Description": key.description,
                   "MultiRegion": key.multi_region, "Tags": key.tags.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>()}),
        );
        let kms = &self.kms(region);
        self.run(&call, || async move {
            let out = kms
                .create_key()
                .key_spec(KeySpec::SymmetricDefault)
                .key_usage(KeyUsageType::EncryptDecrypt)
                .description(&key.description)
                .multi_region(key.multi_region)
                .set_tags(Some(t.clone()))
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "CreateKey", region, e))?;
            out.key_metadata()
                .map(|m| metadata(m, region))
                .ok_or_else(|| no_metadata("CreateKey"))
        })
        .await
    }

    /// `kms:ReplicateKey`: a replica of the multi-Region key `key_id` (in `primary_region`) in
    /// `replica_region`, with KMS's default key policy and `tags`.
    pub async fn replicate_key(
        &self,
        primary_region: &str,
        key_id: &str,
        replica_region: &str,
        description: &str,
        tag_pairs: &[(String, String)],
    ) -> Result<KeyMetadata> {
        let t = &tags(tag_pairs)?;
        let call = self.call(
            "KMS",
            "ReplicateKey",
            primary_region,
            CallKind::Write,
            json!({"KeyId": key_id, "ReplicaRegion": replica_region, "Description": description,
                   "Tags": tag_pairs.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>()}),
        );
        let kms = &self.kms(primary_region);
        self.run(&call, || async move {
            let out = kms
                .replicate_key()
                .key_id(key_id)
                .replica_region(replica_region)
                .description(description)
                .set_tags(Some(t.clone()))
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "ReplicateKey", key_id, e))?;
            out.replica_key_metadata()
                .map(|m| metadata(m, replica_region))
                .ok_or_else(|| no_metadata("ReplicateKey"))
        })
        .await
    }

    /// `kms:CreateAlias` (`alias/…`) for `key_id` in `region`.
    pub async fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> Result<()> {
        let call = self.call(
            "KMS",
            "CreateAlias",
            region,
            CallKind::Write,
            json!({"AliasName": alias, "TargetKeyId": key_id}),
        );
        let kms = &self.kms(region);
        self.run(&call, || async move {
            kms.create_alias()
                .alias_name(alias)
                .target_key_id(key_id)
                .send()
                .await
                .map_err(|e| map_sdk_error("KMS", "CreateAlias", alias, e))?;
            Ok(())
        })
        .await
    }
}
