//! What the activity log's integration tests share: [`Heads`], an in-memory `HeadStore` (the
//! keychain of one installation) that can be made to fail like a locked keychain, [`sqlite3`]
//! (`tests/support/sqlite_shell.rs`, shared with the desk, revoke and CLI tests) to change a
//! database with the real shell as someone with the file would, and [`temp_dir`]
//! for a fresh folder per test.

// Each test file is its own crate and uses only some of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use cmek_activity::{folder_id, ChainHead, HeadStore, DB_FILE_NAME};
use cmek_core::{Error, ErrorCode, Result};

#[path = "../../../../tests/support/sqlite_shell.rs"]
mod sqlite_shell;
pub use sqlite_shell::sqlite3;

/// Heads in a map, and which log lives in each folder in another; `down` makes every call
/// fail like a locked keychain ("The keychain is locked.").
#[derive(Default)]
pub struct Heads {
    pub map: Mutex<HashMap<String, String>>,
    pub folders: Mutex<HashMap<String, String>>,
    pub down: AtomicBool,
}

impl Heads {
    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorCode::Keychain, "The keychain is locked."));
        }
        Ok(())
    }

    /// The log the store remembers for the folder `dir` (read even while `down`).
    pub fn folder_log(&self, dir: &Path) -> Option<String> {
        let db = std::fs::canonicalize(dir.join(DB_FILE_NAME)).unwrap();
        self.folders.lock().unwrap().get(&folder_id(&db)).cloned()
    }
}

impl HeadStore for Heads {
    fn load(&self, log_id: &str) -> Result<Option<ChainHead>> {
        self.check()?;
        let map = self.map.lock().unwrap();
        map.get(log_id).map(|v| ChainHead::parse(v)).transpose()
    }
    fn save(&self, log_id: &str, head: &ChainHead) -> Result<()> {
        self.check()?;
        self.map
            .lock()
            .unwrap()
            .insert(log_id.to_owned(), head.to_value());
        Ok(())
    }
    fn load_folder_log(&self, folder_id: &str) -> Result<Option<String>> {
        self.check()?;
        Ok(self.folders.lock().unwrap().get(folder_id).cloned())
    }
    fn save_folder_log(&self, folder_id: &str, log_id: &str) -> Result<()> {
        self.check()?;
        self.folders
            .lock()
            .unwrap()
            .insert(folder_id.to_owned(), log_id.to_owned());
        Ok(())
    }
}

/// A fresh, empty folder `cmek-{prefix}-{name}-{pid}` under the system temp folder (whatever
/// an earlier run left there is removed first).
pub fn temp_dir(prefix: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cmek-{prefix}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
