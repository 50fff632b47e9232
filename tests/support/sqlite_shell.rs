//! The real `sqlite3` shell, run on an activity database as someone with the file would (drop
//! the append-only triggers, delete rows, read the chain): one copy for the tests of
//! cmek-activity, cmek-desk-core, cmek-revoke and cmek-cli, which include it with `#[path]`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs `sql` on the database `db` through the `sqlite3` shell; its output, trimmed. Panics
/// naming the SQL and the shell's error when it fails, and with the install hint when the
/// shell is missing (scripts/lib.sh TEST_PACKAGES installs it).
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 shell is missing: install Debian's `sqlite3` (scripts/lib.sh TEST_PACKAGES does)");
    assert!(
        out.status.success(),
        "sqlite3 {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("sqlite3 printed UTF-8")
        .trim()
        .to_owned()
}
