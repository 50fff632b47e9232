//! Temp dirs for the core's data folder (activity database, exports). Under scripts/test.sh
//! (`SECRET_SCAN_DIR` set, `TMPDIR` inside it) they are kept after the test, so
//! scripts/scan-secrets.sh reads every activity database the tests wrote.

/// A fresh temp dir, kept after the test when `SECRET_SCAN_DIR` is set.
pub fn kept_tempdir() -> tempfile::TempDir {
    let mut dir = tempfile::tempdir().expect("temp dir");
    dir.disable_cleanup(std::env::var_os("SECRET_SCAN_DIR").is_some());
    dir
}
