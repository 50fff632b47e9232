//! The activity log's chain heads in the OS keychain (issue 13; `cmek_activity::HeadStore`):
//! one entry per log, `activity-log-head:<log id>` ([`keys::activity_log_head`]), and one per
//! data folder naming the log that lives there, `activity-log-folder:<folder id>`
//! ([`keys::activity_log_folder`]), in the same keychain namespace as the chain key (so
//! release, development and test builds never see each other's). The values are not secrets
//! (sequence number and row hash, a log id); they are kept there so whoever can edit or delete
//! the database file cannot also move the head or make the app forget the log.

use cmek_activity::{ChainHead, HeadStore};
use cmek_core::{Error, Result, Secret};
use cmek_keychain::{keys, SecretStore};
use std::sync::Arc;

/// Heads kept in `store` (the session's keychain). Every call runs on its own thread: the OS
/// keychain's calls block (D-Bus) and must not run on an async worker.
pub(crate) struct KeychainHeads(pub(crate) Arc<dyn SecretStore>);

fn off_thread<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|_| Err(Error::internal("the keychain thread panicked")))
    })
}

impl HeadStore for KeychainHeads {
    fn load(&self, log_id: &str) -> Result<Option<ChainHead>> {
        let key = keys::activity_log_head(log_id);
        off_thread(|| match self.0.retrieve(&key)? {
            Some(value) => ChainHead::parse(value.expose()).map(Some),
            None => Ok(None),
        })
    }

    fn save(&self, log_id: &str, head: &ChainHead) -> Result<()> {
        let key = keys::activity_log_head(log_id);
        let result = off_thread(|| self.0.persist(&key, &Secret::new(head.to_value())));
        if let Err(e) = &result {
            tracing::warn!(seq = head.seq, message = %e.message, "the keychain did not take the activity log's head");
        }
        result
    }

    fn load_folder_log(&self, folder_id: &str) -> Result<Option<String>> {
        let key = keys::activity_log_folder(folder_id);
        off_thread(|| Ok(self.0.retrieve(&key)?.map(|v| v.expose().to_owned())))
    }

    fn save_folder_log(&self, folder_id: &str, log_id: &str) -> Result<()> {
        let key = keys::activity_log_folder(folder_id);
        let result = off_thread(|| self.0.persist(&key, &Secret::new(log_id)));
        if let Err(e) = &result {
            tracing::warn!(message = %e.message, "the keychain did not take the activity log's folder entry");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmek_keychain::InMemoryStore;

    #[test]
    fn heads_are_kept_per_log_next_to_the_key() {
        let store = Arc::new(InMemoryStore::new());
        let heads = KeychainHeads(store.clone());
        let h = ChainHead {
            seq: 3,
            hash: "0f".repeat(32),
            table: "activity".into(),
            row_ref: "3".into(),
        };
        assert_eq!(heads.load("aa").unwrap(), None);
        heads.save("aa", &h).unwrap();
        assert_eq!(heads.load("aa").unwrap(), Some(h.clone()));
        assert_eq!(
            heads.load("bb").unwrap(),
            None,
            "another log has its own head"
        );
        assert_eq!(
            store
                .retrieve(&keys::activity_log_head("aa"))
                .unwrap()
                .unwrap()
                .expose(),
            h.to_value()
        );
        assert_eq!(heads.load_folder_log("f1").unwrap(), None);
        heads.save_folder_log("f1", "aa").unwrap();
        assert_eq!(heads.load_folder_log("f1").unwrap().as_deref(), Some("aa"));
        assert_eq!(heads.load_folder_log("f2").unwrap(), None, "another folder");
        assert_eq!(
            store
                .retrieve(&keys::activity_log_folder("f1"))
                .unwrap()
                .unwrap()
                .expose(),
            "aa"
        );
        store.set_unavailable(true);
        assert_eq!(
            heads.load("aa").unwrap_err().code,
            cmek_core::ErrorCode::Keychain
        );
    }
}
