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
    /// Cloud Asset searches per minute (quota 400/min/consumer project by default; can be
    /// raised): the same bounds as reads.
    pub const SEARCHES_PER_MINUTE: RangeInclusive<u64> = 1..=60_000;
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

/// A number a person typed (issue #11), as the window or a request file sent it: a JSON number
/// or the field's text. Deserialising never fails, so a bad value (`-5`, `0.5`, `"ten"`, 25
/// digits, `true`) reaches [`NumberText::whole`] and its message naming the field by its label,
/// never a serde error ("invalid type … expected u32"). Serialises as a number when it is a
/// whole number, else as the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ts_rs::TS)]
// The window sends a number (or the text of an emptied field); typed `number` so readers of a
// request (always valid there) need no narrowing.
#[ts(type = "number")]
pub struct NumberText(String);

impl NumberText {
    /// The value as typed (trimmed; `(not a number)` for a JSON value that is no number or text).
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// The whole number in `range`. Errors (`INVALID_INPUT`, `"{label}: {rule}"`): empty,
    /// negative, not whole, or outside the range, each said with the value as typed and the
    /// range, e.g. `Calls in flight per project: -5 is negative; enter a whole number from 1 to 64`.
    pub fn whole(&self, label: &str, range: RangeInclusive<u64>) -> Result<u64> {
        let raw = self.0.as_str();
        let rule = format!(
            "enter a whole number from {} to {}",
            thousands(*range.start()),
            thousands(*range.end())
        );
        let refuse = |why: String| Err(Error::invalid_input(label, why));
        if raw.is_empty() {
            return refuse(rule);
        }
        if raw.starts_with('-') && raw.len() > 1 {
            return refuse(format!("{raw} is negative; {rule}"));
        }
        if !raw.chars().all(|c| c.is_ascii_digit()) {
            return refuse(format!("{raw} is not a whole number; {rule}"));
        }
        match raw.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            Ok(n) if n < *range.start() => refuse(format!("{raw} is too small; {rule}")),
            _ => refuse(format!("{raw} is too large; {rule}")),
        }
    }
}

/// `60000` → `60,000` (the officer's way of writing a limit).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl From<u32> for NumberText {
    fn from(n: u32) -> Self {
        Self(n.to_string())
    }
}

impl From<i32> for NumberText {
    fn from(n: i32) -> Self {
        Self(n.to_string())
    }
}

impl serde::Serialize for NumberText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0.parse::<u64>() {
            Ok(n) => s.serialize_u64(n),
            Err(_) => s.serialize_str(&self.0),
        }
    }
}

impl<'de> serde::Deserialize<'de> for NumberText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            U(u64),
            I(i64),
            F(f64),
            S(String),
            Other(serde::de::IgnoredAny),
        }
        Ok(Self(match Raw::deserialize(d)? {
            Raw::U(n) => n.to_string(),
            Raw::I(n) => n.to_string(),
            Raw::F(n) => n.to_string(),
            Raw::S(s) => s.trim().to_owned(),
            Raw::Other(_) => "(not a number)".to_owned(),
        }))
    }
}
