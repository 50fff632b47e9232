//! Cloud KMS v1 wire models (`KeyRing`, `CryptoKey`, `CryptoKeyVersion`), per the discovery
//! document `cloudkms-v1.json`: camelCase, every field optional on read (Google omits defaults),
//! durations as `"7776000s"`, times as RFC 3339 strings. Enum-valued fields are strings so an
//! unexpected value (a new purpose, a new state) never fails a read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `CryptoKey.purpose` for symmetric encryption, the only purpose CMEK accepts.
pub const PURPOSE_ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
/// `CryptoKeyVersionTemplate.algorithm` for symmetric keys.
pub const ALGORITHM_SYMMETRIC: &str = "GOOGLE_SYMMETRIC_ENCRYPTION";

/// `CryptoKeyVersion.state` values CMEK Desk reasons about.
pub mod version_state {
    pub const PENDING_GENERATION: &str = "PENDING_GENERATION";
    pub const ENABLED: &str = "ENABLED";
    pub const DISABLED: &str = "DISABLED";
    pub const DESTROY_SCHEDULED: &str = "DESTROY_SCHEDULED";
    pub const DESTROYED: &str = "DESTROYED";
}

/// `KeyRing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyRing {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
}

/// `CryptoKeyVersionTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VersionTemplate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// `SOFTWARE` (default) or `HSM`; immutable after creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection_level: Option<String>,
}

/// `CryptoKey`. Output-only fields are skipped when empty so a create body stays minimal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CryptoKey {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<CryptoKeyVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// RFC 3339; must be sent together with `rotation_period` (KMS docs; field report B20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_time: Option<String>,
    /// google-duration, e.g. `"7776000s"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_template: Option<VersionTemplate>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub labels: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroy_scheduled_duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_only: Option<bool>,
}

impl CryptoKey {
    /// Protection level of new versions (`SOFTWARE` when unset).
    pub fn protection_level(&self) -> &str {
        self.version_template
            .as_ref()
            .and_then(|t| t.protection_level.as_deref())
            .unwrap_or("SOFTWARE")
    }

    /// True when the key has a primary version in state ENABLED (field report B23).
    pub fn has_enabled_primary(&self) -> bool {
        self.primary
            .as_ref()
            .is_some_and(|p| p.state.as_deref() == Some(version_state::ENABLED))
    }
}

/// `CryptoKeyVersion`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CryptoKeyVersion {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_time: Option<String>,
    /// Set only in DESTROY_SCHEDULED: when the version will be destroyed (the restore deadline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroy_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroy_event_time: Option<String>,
}

impl CryptoKeyVersion {
    /// The version number, the last path segment of `name`.
    pub fn version_id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or_default()
    }
}

/// `ListKeyRingsResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListKeyRingsResponse {
    pub key_rings: Vec<KeyRing>,
    pub next_page_token: Option<String>,
}

/// `ListCryptoKeysResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListCryptoKeysResponse {
    pub crypto_keys: Vec<CryptoKey>,
    pub next_page_token: Option<String>,
}

/// `ListCryptoKeyVersionsResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListCryptoKeyVersionsResponse {
    pub crypto_key_versions: Vec<CryptoKeyVersion>,
    pub next_page_token: Option<String>,
}
