//! An in-memory [`SecretStore`] for unit tests of code that keeps secrets.
//!
//! Never used by the app itself: [`crate::OsKeychain`] has no fallback to it.

use crate::{validate_key, SecretStore};
use cmek_core::{Error, ErrorCode, Result, Secret};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Secrets in a `HashMap`, lost when dropped. [`InMemoryStore::set_unavailable`] makes every
/// call fail like a locked keychain, to test callers' error paths.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    entries: Mutex<HashMap<String, Secret>>,
    unavailable: AtomicBool,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// When `true`, every call fails with `ErrorCode::Keychain` (simulates a locked keychain).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorCode::Keychain,
                "the in-memory test keychain is set unavailable",
            ));
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for InMemoryStore {
    fn persist(&self, key: &str, secret: &Secret) -> Result<()> {
        self.check(key)?;
        self.lock().insert(key.to_owned(), secret.clone());
        Ok(())
    }

    fn retrieve(&self, key: &str) -> Result<Option<Secret>> {
        self.check(key)?;
        Ok(self.lock().get(key).cloned())
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.check(key)?;
        self.lock().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persist_retrieve_delete_roundtrip() {
        let store = InMemoryStore::new();
        assert_eq!(store.retrieve("k").unwrap(), None);
        store.persist("k", &Secret::new("v1")).unwrap();
        assert_eq!(store.retrieve("k").unwrap(), Some(Secret::new("v1")));
        store.persist("k", &Secret::new("v2")).unwrap();
        assert_eq!(store.retrieve("k").unwrap().unwrap().expose(), "v2");
        store.delete("k").unwrap();
        assert_eq!(store.retrieve("k").unwrap(), None);
        assert!(store.is_empty());
    }

    #[test]
    fn delete_of_a_missing_entry_succeeds() {
        InMemoryStore::new().delete("never-set").unwrap();
    }

    #[test]
    fn invalid_keys_are_rejected_before_storage() {
        let store = InMemoryStore::new();
        for key in ["", "has space", "slash/no", &"x".repeat(129)] {
            let err = store.persist(key, &Secret::new("v")).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{key:?}");
        }
        assert!(store.is_empty());
        validate_key("google-oauth-refresh-token:alice@example.com").unwrap();
    }

    #[test]
    fn unavailable_store_fails_with_keychain_code() {
        let store = InMemoryStore::new();
        store.persist("k", &Secret::new("v")).unwrap();
        store.set_unavailable(true);
        assert_eq!(store.retrieve("k").unwrap_err().code, ErrorCode::Keychain);
        assert_eq!(
            store.persist("k", &Secret::new("v")).unwrap_err().code,
            ErrorCode::Keychain
        );
        assert_eq!(store.delete("k").unwrap_err().code, ErrorCode::Keychain);
        store.set_unavailable(false);
        assert_eq!(store.retrieve("k").unwrap().unwrap().expose(), "v");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let store = InMemoryStore::new();
        store.persist("k", &Secret::new("hunter2")).unwrap();
        assert!(!format!("{store:?}").contains("hunter2"));
    }

    #[test]
    fn usable_as_a_trait_object() {
        let store: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(InMemoryStore::new());
        store.persist("k", &Secret::new("v")).unwrap();
        assert!(store.retrieve("k").unwrap().is_some());
    }
}
