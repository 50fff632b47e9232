//! The secret scan's list (scripts/scan-secrets.sh): with `SECRET_SCAN_DIR` set (scripts/test.sh
//! sets it), every sandbox that starts appends the credentials it accepts — each Google bearer
//! token, each CockroachDB Cloud API key, and the demo AWS secret access keys — to
//! `$SECRET_SCAN_DIR/issued-secrets.txt`, one per line, so the scan looks for every credential a
//! test used in logs, app data, the Rust test output and every activity database.

use crate::aws::{AWS_AUDIT_SECRET_ACCESS_KEY, AWS_SECRET_ACCESS_KEY};
use crate::config::SandboxConfig;
use std::io::Write;

/// The scan list's file name inside `SECRET_SCAN_DIR`.
pub const ISSUED_SECRETS_FILE: &str = "issued-secrets.txt";

/// Appends `config`'s credentials to the scan list (no-op without `SECRET_SCAN_DIR`). One
/// `write` per call with `O_APPEND`, so concurrent test processes do not interleave lines.
pub(crate) fn record(config: &SandboxConfig) {
    let Some(dir) = std::env::var_os("SECRET_SCAN_DIR") else {
        return;
    };
    let mut lines = String::new();
    let secrets = config
        .google_tokens
        .keys()
        .chain(&config.cockroach_api_keys)
        .map(String::as_str)
        .chain([AWS_SECRET_ACCESS_KEY, AWS_AUDIT_SECRET_ACCESS_KEY]);
    for s in secrets {
        lines.push_str(s);
        lines.push('\n');
    }
    let path = std::path::Path::new(&dir).join(ISSUED_SECRETS_FILE);
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?
            .write_all(lines.as_bytes())
    });
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "cannot append to the secret scan's list");
    }
}
