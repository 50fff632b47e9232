//! [`OsKeychain`]: the OS keychain through `keyring-core`, namespaced per build.
//!
//! Store per OS (each named explicitly in Cargo.toml; no mock fallback exists):
//! Linux → freedesktop Secret Service over D-Bus (`zbus-secret-service-keyring-store`,
//! pure-Rust crypto), macOS → login Keychain (`apple-native-keyring-store`, feature
//! `keychain`), Windows → Credential Manager (`windows-native-keyring-store`).
//! Each entry is (service = [`Namespace::service_name`], user = key).

use crate::{validate_key, Namespace, SecretStore};
use cmek_core::{Error, ErrorCode, Result, Secret};
use keyring_core::{CredentialStore, Entry};
use std::sync::Arc;

/// What to do when the keychain is missing or refuses access; shown to the user.
#[cfg(target_os = "linux")]
pub(crate) const FIX: &str = "start a Secret Service such as gnome-keyring (and unlock its login \
     collection) in your desktop session; CMEK Desk never stores secrets in files";
#[cfg(not(target_os = "linux"))]
pub(crate) const FIX: &str = "unlock the system keychain and allow CMEK Desk to use it; \
     CMEK Desk never stores secrets in files";

/// The OS keychain, scoped to one [`Namespace`]. Cheap to clone; blocking calls.
#[derive(Clone)]
pub struct OsKeychain {
    store: Arc<CredentialStore>,
    namespace: Namespace,
}

impl std::fmt::Debug for OsKeychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsKeychain")
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl OsKeychain {
    /// Connects to the platform keychain. On Linux this opens a D-Bus connection to the
    /// Secret Service; with no session bus or no Secret Service it fails with
    /// `ErrorCode::Keychain` and a message naming the fix.
    pub fn open(namespace: Namespace) -> Result<Self> {
        let store = platform_store().map_err(|e| {
            Error::new(
                ErrorCode::Keychain,
                format!(
                    "The OS keychain is not reachable ({}). Fix: {FIX}.",
                    describe(&e)
                ),
            )
        })?;
        Ok(Self { store, namespace })
    }

    /// The namespace these entries live in.
    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    fn entry(&self, key: &str) -> Result<Entry> {
        validate_key(key)?;
        Entry::new_in_store(&self.store, self.namespace.service_name(), key)
            .map_err(|e| map_error("open entry", key, e))
    }
}

impl SecretStore for OsKeychain {
    fn persist(&self, key: &str, secret: &Secret) -> Result<()> {
        self.entry(key)?
            .set_password(secret.expose())
            .map_err(|e| map_error("store", key, e))
    }

    fn retrieve(&self, key: &str) -> Result<Option<Secret>> {
        match self.entry(key)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error("read", key, e)),
        }
    }

    fn delete(&self, key: &str) -> Result<()> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error("delete", key, e)),
        }
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "CMEK Desk supports the keychains of Linux, macOS and Windows only".into(),
    ))
}

/// A description of a keychain error that never contains secret bytes (the `BadEncoding`
/// and `BadDataFormat` variants carry the raw stored value, so they are not formatted).
fn describe(e: &keyring_core::Error) -> String {
    use keyring_core::Error as K;
    match e {
        K::PlatformFailure(inner) => format!("platform failure: {inner}"),
        K::NoStorageAccess(inner) => format!("access refused or keychain locked: {inner}"),
        K::NoEntry => "no such entry".into(),
        K::BadEncoding(_) => "the stored value is not UTF-8 text".into(),
        K::BadDataFormat(_, _) => "the stored value has an unexpected format".into(),
        K::BadStoreFormat(what) => format!("the keychain is malformed: {what}"),
        K::TooLong(attr, max) => format!("{attr} is longer than the keychain allows ({max})"),
        K::Invalid(attr, why) => format!("invalid {attr}: {why}"),
        K::Ambiguous(entries) => format!("{} entries match; expected one", entries.len()),
        K::NoDefaultStore => "no keychain store configured".into(),
        K::NotSupportedByStore(what) => format!("not supported: {what}"),
        _ => "unknown keychain error".into(),
    }
}

fn map_error(op: &str, key: &str, e: keyring_core::Error) -> Error {
    Error::new(
        ErrorCode::Keychain,
        format!(
            "Could not {op} the keychain entry {key:?}: {}. Fix: {FIX}.",
            describe(&e)
        ),
    )
    .with_resource(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bytes_never_reach_the_message() {
        let e = keyring_core::Error::BadEncoding(b"hunter2".to_vec());
        let err = map_error("read", "k", e);
        assert_eq!(err.code, ErrorCode::Keychain);
        assert!(!err.message.contains("hunter2"));
        assert!(err.message.contains("never stores secrets in files"));
    }
}
