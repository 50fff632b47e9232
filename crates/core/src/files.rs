//! Private files and folders for what the app keeps on disk (issue 13): the activity database
//! (and SQLite's `-wal`/`-shm`, which SQLite creates with the database file's mode), exports,
//! audit reports, the log file and plan files hold IAM policies and identities, so on Unix every
//! data folder is `0700` and every data file `0600` from its creation (not left to the umask).
//! On other systems the folder's inherited ACL applies and these are plain create/write calls.
//!
//! Every export file (activity log, audit report) is named by one rule, [`export_file_name`]:
//! `cmek-{what}-YYYYMMDD-HHMMSSZ.{ext}` in UTC, and [`export_path`] never overwrites one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Mode of every data folder (Unix): owner only.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every data file (Unix): owner read/write only.
pub const FILE_MODE: u32 = 0o600;

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::internal(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
    }
    o
}

/// Creates `dir` (and missing parents) and makes `dir` itself `0700`.
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    set_mode(dir, DIR_MODE).map_err(|e| io("restrict", dir, e))
}

/// Creates `path` empty with mode `0600` if missing; an existing file is set to `0600`.
pub fn touch_private(path: &Path) -> Result<()> {
    private_options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io("create", path, e))?;
    set_mode(path, FILE_MODE).map_err(|e| io("restrict", path, e))
}

/// Opens `path` for appending, created `0600` (an existing file is set to `0600`).
pub fn append_private(path: &Path) -> Result<std::fs::File> {
    let f = private_options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io("open", path, e))?;
    set_mode(path, FILE_MODE).map_err(|e| io("restrict", path, e))?;
    Ok(f)
}

/// Writes `bytes` to `path` (created or truncated) with mode `0600`.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = private_options()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| io("create", path, e))?;
    set_mode(path, FILE_MODE).map_err(|e| io("restrict", path, e))?;
    f.write_all(bytes).map_err(|e| io("write", path, e))?;
    f.sync_all().map_err(|e| io("write", path, e))
}

/// Sets the SQLite side files of `db` (`-wal`, `-shm`, `-journal`) that exist to `0600`.
pub fn private_sidecars(db: &Path) -> Result<()> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let p = Path::new(&p);
        if p.exists() {
            set_mode(p, FILE_MODE).map_err(|e| io("restrict", p, e))?;
        }
    }
    Ok(())
}

/// The one name of every export file (issue 11): `cmek-{what}-YYYYMMDD-HHMMSSZ.{ext}`, `at` in
/// UTC to the second, e.g. `cmek-activity-20261202-044512Z.csv`,
/// `cmek-audit-20250102-030405Z.ocsf.json`. `what` is `activity` or `audit`; `ext` has no dot.
pub fn export_file_name(what: &str, at: time::OffsetDateTime, ext: &str) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "cmek-{what}-{:04}{:02}{:02}-{:02}{:02}{:02}Z.{ext}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// [`export_file_name`] at the current time (an export of the activity log).
pub fn export_file_name_now(what: &str, ext: &str) -> String {
    export_file_name(what, time::OffsetDateTime::now_utc(), ext)
}

/// [`export_file_name`] for a time given as RFC 3339 (an audit's scan time); a time that does
/// not parse (an empty report) names the file by the current time instead.
pub fn export_file_name_rfc3339(what: &str, at: &str, ext: &str) -> String {
    let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    export_file_name(what, at, ext)
}

/// `{dir}/{name}`, or `{dir}/{stem}-2.{ext}`, `-3`… when an export of the same second exists:
/// an export never overwrites another. `name` comes from [`export_file_name`] (its extension
/// starts at the first dot after the stamp).
pub fn export_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.find("Z.") {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => (name, ""),
    };
    (2u32..)
        .map(|n| dir.join(format!("{stem}-{n}{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod export_name_tests {
    use super::*;

    #[test]
    fn every_export_is_named_cmek_what_utc_stamp() {
        let at = time::macros::datetime!(2026-12-02 06:45:12 +02:00);
        assert_eq!(
            export_file_name("activity", at, "csv"),
            "cmek-activity-20261202-044512Z.csv"
        );
        assert_eq!(
            export_file_name_rfc3339("audit", "2025-01-02T03:04:05Z", "ocsf.json"),
            "cmek-audit-20250102-030405Z.ocsf.json"
        );
        assert_eq!(
            export_file_name_rfc3339("audit", "2025-01-02T03:04:05.250+01:00", "html"),
            "cmek-audit-20250102-020405Z.html"
        );
        let now = export_file_name_rfc3339("audit", "", "json");
        assert!(
            now.starts_with("cmek-audit-2") && now.ends_with("Z.json"),
            "{now}"
        );
        assert_eq!(now.len(), "cmek-audit-YYYYMMDD-HHMMSSZ.json".len(), "{now}");
    }

    #[test]
    fn an_export_never_overwrites_another_of_the_same_second() {
        let dir = std::env::temp_dir().join(format!("cmek-export-name-{}", std::process::id()));
        private_dir(&dir).unwrap();
        let name = "cmek-audit-20250102-030405Z.ocsf.json";
        let first = export_path(&dir, name);
        assert_eq!(first, dir.join(name));
        write_private(&first, b"1").unwrap();
        let second = export_path(&dir, name);
        assert_eq!(second, dir.join("cmek-audit-20250102-030405Z-2.ocsf.json"));
        write_private(&second, b"2").unwrap();
        assert_eq!(
            export_path(&dir, name),
            dir.join("cmek-audit-20250102-030405Z-3.ocsf.json")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
