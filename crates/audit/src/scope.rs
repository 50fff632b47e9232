//! What an audit covers and which of the two inventory paths reads it.
//!
//! A scan covers chosen projects, or every project of an organisation or folder
//! ([`AuditScope`]). Two paths read the same inventory and feed the same checks:
//! - **the crawl** ([`crate::inventory`]): Cloud KMS locations → key rings → keys → versions
//!   and each IAM policy, per project; needs only Cloud KMS and Resource Manager read rights,
//!   bounded by Cloud KMS's 300 reads per minute per project;
//! - **the inventory path** ([`crate::asset_path`]): Cloud Asset Inventory's
//!   `searchAllResources` (key rings, keys, versions) and `searchAllIamPolicies` (keys, key
//!   rings, service accounts, projects) over the whole scope in pages of 500, bounded by Cloud
//!   Asset's 400 searches per minute per consumer project. Used when `testIamPermissions` on the
//!   scope shows `cloudasset.assets.searchAllResources` and `…searchAllIamPolicies`.
//!
//! [`InventoryPath`] in the report says which path ran and, when the inventory path was not
//! used, why.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The resources an audit covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
#[ts(export)]
pub enum AuditScope {
    /// The projects in [`crate::ScanOptions::projects`].
    #[default]
    Projects,
    /// Every active project whose parent is `organizations/{id}` (id: digits).
    Organization(String),
    /// Every active project whose parent is `folders/{id}` (id: digits).
    Folder(String),
}

impl AuditScope {
    /// The Resource Manager / Cloud Asset scope name (`organizations/1`, `folders/2`), `None`
    /// for chosen projects.
    pub fn resource(&self) -> Option<String> {
        match self {
            Self::Projects => None,
            Self::Organization(id) => Some(format!("organizations/{id}")),
            Self::Folder(id) => Some(format!("folders/{id}")),
        }
    }
}

/// Which inventory path to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum InventoryMode {
    /// The inventory path when the identity may use it, else the crawl (the reason is reported).
    #[default]
    Auto,
    /// Always the crawl.
    Crawl,
}

/// Which path read the inventory, and why the inventory path was not used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct InventoryPath {
    /// True when Cloud Asset Inventory read the keys and policies.
    pub used: bool,
    /// Why it was not used (empty when used), in the officer's words.
    pub reason: String,
    /// Cloud Asset calls made (`searchAllResources` + `searchAllIamPolicies` pages).
    pub asset_calls: u32,
}

impl InventoryPath {
    /// The line the window and the CLI show: `inventory path: used` or
    /// `inventory path: not available because …`.
    pub fn line(&self) -> String {
        if self.used {
            format!(
                "inventory path: used (Cloud Asset Inventory, {} calls)",
                self.asset_calls
            )
        } else {
            format!("inventory path: not available because {}", self.reason)
        }
    }
}

/// Permissions the inventory path needs on the scope.
pub const ASSET_PERMISSIONS: [&str; 2] = [
    "cloudasset.assets.searchAllResources",
    "cloudasset.assets.searchAllIamPolicies",
];
