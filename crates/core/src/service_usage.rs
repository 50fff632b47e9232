//! Service Usage v1 wire models (`GoogleApiServiceusageV1Service`, `Operation`), per
//! `serviceusage-v1.json`.

use serde::Deserialize;
use serde_json::Value;

/// `cloudkms.googleapis.com`.
pub const SERVICE_KMS: &str = "cloudkms.googleapis.com";
/// `iam.googleapis.com`.
pub const SERVICE_IAM: &str = "iam.googleapis.com";

/// A service's state in a project.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Service {
    /// `projects/{number}/services/{service}`.
    pub name: String,
    pub parent: String,
    /// `ENABLED`, `DISABLED` or `STATE_UNSPECIFIED`.
    pub state: String,
}

impl Service {
    pub fn is_enabled(&self) -> bool {
        self.state == "ENABLED"
    }
}

/// A long-running operation. `operations/noop.DONE_OPERATION` is done and must not be polled.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Operation {
    pub name: String,
    pub done: bool,
    /// `google.rpc.Status` when the operation failed.
    pub error: Option<Value>,
    pub response: Option<Value>,
}
