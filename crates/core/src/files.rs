//! Private files and folders for what the app keeps on disk (issue 13): the activity database
//! (and SQLite's `-wal`/`-shm`, which SQLite creates with the database file's mode), exports,
//! audit reports, the log file and plan files hold IAM policies and identities, so on Unix every
//! data folder is `0700` and every data file `0600` from its creation (not left to the umask).
//! On other systems the folder's inherited ACL applies and these are plain create/write calls.

use std::io::Write;
use std::path::Path;

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
