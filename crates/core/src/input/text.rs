//! Free-form inputs with bounds: typed confirmations, file paths and numeric limits.

use super::{labels, string_input};
use crate::error::{Error, Result};
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// A typed confirmation (a cluster name, a key id, a service account email): up to 200
/// characters, no control characters. Compared exactly by the use case, never trimmed; an
/// empty one passes here so the use case can say what to type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfirmText(String);
string_input!(ConfirmText, labels::CONFIRM);

impl ConfirmText {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        if raw.chars().count() > 200 || raw.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                label,
                "type the exact name shown (at most 200 characters, no line breaks or control characters)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A file path a person typed or picked: 1-4096 bytes, no NUL byte or line break.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilePath(String);
string_input!(FilePath, labels::FILE);

impl FilePath {
    pub fn parse(label: &str, raw: &str) -> Result<Self> {
        if raw.is_empty() || raw.len() > 4096 || raw.contains(['\0', '\n', '\r']) {
            return Err(Error::invalid_input(
                label,
                "give a file path of 1-4096 bytes without NUL or line breaks",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// As a `PathBuf`.
    pub fn to_path_buf(&self) -> PathBuf {
        PathBuf::from(&self.0)
    }
}

/// A whole-number limit (calls per minute, calls in flight, seconds) within a stated range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanLimit(u64);

impl ScanLimit {
    /// Reads per minute: Cloud KMS's read quota is 300/min/project by default and can be
    /// raised; 1-60,000 keeps the limiter meaningful.
    pub const READS_PER_MINUTE: RangeInclusive<u64> = 1..=60_000;
    /// Calls in flight per project.
    pub const CONCURRENCY: RangeInclusive<u64> = 1..=64;
    /// A wait's time-out in seconds: up to a day.
    pub const TIMEOUT_SECS: RangeInclusive<u64> = 1..=86_400;

    /// Checks an already-numeric value.
    pub fn new(label: &str, value: u64, range: RangeInclusive<u64>) -> Result<Self> {
        if range.contains(&value) {
            Ok(Self(value))
        } else {
            Err(Error::invalid_input(
                label,
                format!(
                    "must be a whole number from {} to {}; got {value}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// Parses decimal text (surrounding spaces allowed).
    pub fn parse(label: &str, raw: &str, range: RangeInclusive<u64>) -> Result<Self> {
        let value = raw.trim().parse::<u64>().map_err(|_| {
            Error::invalid_input(
                label,
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })?;
        Self::new(label, value, range)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}
