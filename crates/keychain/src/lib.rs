//! CMEK Desk's only door to the operating system's keychain.
//!
//! Every secret the app keeps between runs (the Google OAuth refresh token, a CockroachDB
//! Cloud API key) goes through [`SecretStore`]. The production implementation is
//! [`OsKeychain`]: macOS Keychain, Windows Credential Manager, or the freedesktop Secret
//! Service (gnome-keyring, KWallet) on Linux, through `keyring-core` and one explicitly
//! named native store per OS. There is deliberately no file or in-memory fallback in
//! production: when no keychain is reachable, calls fail with
//! [`ErrorCode::Keychain`](cmek_core::ErrorCode::Keychain) and a message that names the fix.
//! [`InMemoryStore`] exists for unit tests of callers only.
//!
//! Entries are namespaced per build ([`Namespace`]) so a development build never reads or
//! overwrites a release build's credentials.

mod memory;
mod namespace;
mod os;

pub use memory::InMemoryStore;
pub use namespace::Namespace;
pub use os::OsKeychain;

use cmek_core::{Error, Result, Secret};

/// Well-known entry keys, so the app and its tests agree on names.
pub mod keys {
    /// The Google OAuth refresh token of the signed-in user (one user at a time).
    pub const GOOGLE_REFRESH_TOKEN: &str = "google-oauth-refresh-token";
    /// The CockroachDB Cloud service-account API key.
    pub const COCKROACH_API_KEY: &str = "cockroach-cloud-api-key";
    /// The 32-byte key (64 hex characters) that authenticates the activity log's chain
    /// (`cmek_activity::ChainKey`); created on first use, never written to disk.
    pub const ACTIVITY_LOG_KEY: &str = "activity-log-hmac-key";

    /// Prefix of the entries that hold an activity log's chain head (`cmek_activity::ChainHead`,
    /// not a secret: sequence number and row hash), one per log, next to the chain key.
    pub const ACTIVITY_LOG_HEAD_PREFIX: &str = "activity-log-head:";

    /// The entry of the chain head of the log whose id (`cmek_activity::ChainHead::log_id`, 32
    /// hex characters) is `log_id`: `activity-log-head:<log_id>`.
    pub fn activity_log_head(log_id: &str) -> String {
        format!("{ACTIVITY_LOG_HEAD_PREFIX}{log_id}")
    }

    /// Prefix of the entries that say which activity log lives in a data folder (the log id,
    /// not a secret), so a deleted or emptied database is noticed.
    pub const ACTIVITY_LOG_FOLDER_PREFIX: &str = "activity-log-folder:";

    /// The entry of the data folder whose id (`cmek_activity::folder_id`, 32 hex characters)
    /// is `folder_id`: `activity-log-folder:<folder_id>`.
    pub fn activity_log_folder(folder_id: &str) -> String {
        format!("{ACTIVITY_LOG_FOLDER_PREFIX}{folder_id}")
    }
}

/// A place that keeps secrets by key. Implementations are blocking (a Secret Service round
/// trip takes ~100 ms over D-Bus): call them from `tokio::task::spawn_blocking` in async code.
///
/// Keys are 1–128 characters from `[A-Za-z0-9._:@-]` (checked by [`validate_key`]).
pub trait SecretStore: Send + Sync {
    /// Stores `secret` under `key`, replacing any previous value.
    fn persist(&self, key: &str, secret: &Secret) -> Result<()>;
    /// Returns the secret under `key`, or `None` when there is no such entry.
    fn retrieve(&self, key: &str) -> Result<Option<Secret>>;
    /// Deletes the entry under `key`; deleting a missing entry succeeds (idempotent).
    fn delete(&self, key: &str) -> Result<()>;
}

/// Longest accepted key, in characters.
pub const MAX_KEY_LEN: usize = 128;

/// Checks a key: 1..=[`MAX_KEY_LEN`] characters from `[A-Za-z0-9._:@-]`. The rule is ours:
/// it keeps keys portable across the three native stores and free of anything that could be
/// mistaken for a secret or a path.
pub fn validate_key(key: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '@' | '-');
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.chars().all(ok_char) {
        return Err(Error::invalid_input(
            "keychain key",
            format!("must be 1-{MAX_KEY_LEN} characters from A-Z a-z 0-9 . _ : @ -"),
        ));
    }
    Ok(())
}
