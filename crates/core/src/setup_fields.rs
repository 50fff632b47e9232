//! The setup form's own values, parsed at the boundary with messages in the officer's words
//! (issue #11): the rotation period as typed ([`RotationDays`]: a number or the text of the
//! field, never a serde error), the Cloud KMS locations a key can be created in
//! ([`KMS_LOCATIONS`]) and the form's field labels ([`Field`]).
//!
//! An error names the field by its label and states the rule in days, characters or location
//! names: `Error { code: INVALID_INPUT, message: "{label}: {rule}", resource: "{field key}" }`,
//! where the key (`rotation_period_days`, `layout.location`, …) is the request field the window
//! focuses; the label is what the person reads.

use crate::error::{Error, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

/// One field of the setup form: the request key the window focuses and the label it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
}

impl Field {
    /// `INVALID_INPUT` with `"{label}: {rule}"`, resource = the field key.
    pub fn error(self, rule: impl std::fmt::Display) -> Error {
        Error::new(ErrorCode::InvalidInput, format!("{}: {rule}", self.label))
            .with_resource(self.key)
    }

    /// Re-labels an `INVALID_INPUT` from another parser (its `"{x}: "` prefix replaced).
    pub fn relabel(self, e: Error) -> Error {
        if e.code != ErrorCode::InvalidInput {
            return e;
        }
        let rule = e
            .message
            .split_once(": ")
            .map_or(e.message.as_str(), |(_, r)| r)
            .to_owned();
        self.error(rule)
    }
}

/// The setup form's fields (labels as the window shows them).
pub mod fields {
    use super::Field;
    pub const CLUSTER: Field = Field {
        key: "cluster_id",
        label: "Cluster ID",
    };
    pub const PROJECT: Field = Field {
        key: "project",
        label: "Project ID",
    };
    pub const KEY_PROJECT: Field = Field {
        key: "key_project",
        label: "Key project",
    };
    pub const SERVICE_ACCOUNT: Field = Field {
        key: "service_account_id",
        label: "Service account ID",
    };
    pub const KEY_RING: Field = Field {
        key: "key_ring",
        label: "Key ring ID",
    };
    pub const CRYPTO_KEY: Field = Field {
        key: "crypto_key",
        label: "Key ID",
    };
    pub const LOCATION: Field = Field {
        key: "layout.location",
        label: "Key location",
    };
    pub const ROTATION: Field = Field {
        key: "rotation_period_days",
        label: "Rotation period (days)",
    };
    pub const AWS_ROLE: Field = Field {
        key: "role_name",
        label: "IAM role name",
    };
    pub const AWS_ALIAS: Field = Field {
        key: "key_alias",
        label: "Key alias",
    };
    pub const AWS_PRIMARY: Field = Field {
        key: "layout.primary_region",
        label: "Multi-Region primary region",
    };
    pub const AWS_LAYOUT: Field = Field {
        key: "layout",
        label: "Key layout",
    };
}

/// The label a person reads for a request field key, or `key` itself when it is already a label
/// (issue #11: no `layout.location:`, `confirm_name:` in a banner).
pub fn label_of(key: &str) -> &str {
    use fields::*;
    let setup = [
        CLUSTER,
        PROJECT,
        KEY_PROJECT,
        SERVICE_ACCOUNT,
        KEY_RING,
        CRYPTO_KEY,
        LOCATION,
        ROTATION,
    ];
    let aws = [AWS_ROLE, AWS_ALIAS, AWS_PRIMARY, AWS_LAYOUT];
    if let Some(f) = setup.iter().chain(&aws).find(|f| f.key == key) {
        return f.label;
    }
    match key {
        "confirm_name" => "Cluster name typed to confirm",
        "confirm_key" => "Key ID typed to confirm",
        "confirm" => "Confirmation",
        "lever" => "Access to remove",
        "key_uri" => "Key",
        "region" => "Region",
        "node_count" => "Nodes",
        other => other,
    }
}

/// Longest automatic rotation Cloud KMS accepts, in days: 876,000 hours = 36,500 days
/// (`CryptoKey.rotationPeriod`, cloud.google.com/kms/docs/key-rotation).
pub const MAX_ROTATION_DAYS: u32 = 36_500;

/// The rotation period as the officer typed it: reads a JSON number or the field's text, so a
/// bad value (`-5`, `0.5`, 20 digits, `36501`) reaches [`RotationDays::days`] and its message,
/// never a deserialisation error. Serialises as a number when valid (the plan digest and plan
/// files are unchanged), else as the text.
#[derive(Debug, Clone, PartialEq, Eq, TS)]
// The window may also send the field's text (`Plan.svelte` does); typed `number` so readers of
// a plan's request (always a valid number there) need no narrowing.
#[ts(type = "number")]
pub struct RotationDays(String);

impl RotationDays {
    /// The text as typed (trimmed).
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// Whole days, 1 to 36,500. Errors (`INVALID_INPUT`, "Rotation period (days): …") name the
    /// rule in days: a whole number, at least 1, at most 36,500 (Cloud KMS's 100-year limit).
    pub fn days(&self) -> crate::Result<u32> {
        let f = fields::ROTATION;
        let raw = self.0.as_str();
        let rule = "enter a whole number of days from 1 to 36,500, or turn automatic rotation off";
        if raw.is_empty() {
            return Err(f.error(rule));
        }
        if raw.starts_with('-') {
            return Err(f.error(format!("{raw} is negative; {rule}")));
        }
        if !raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(f.error(format!("{raw} is not a whole number of days; {rule}")));
        }
        let too_long = || {
            f.error(format!(
                "{raw} days is more than Cloud KMS allows: at most 36,500 days (100 years)"
            ))
        };
        let n: u64 = raw.parse().map_err(|_| too_long())?;
        match n {
            0 => Err(f.error(format!("0 days is too short: at least 1 day; {rule}"))),
            n if n > u64::from(MAX_ROTATION_DAYS) => Err(too_long()),
            n => Ok(n as u32),
        }
    }
}

impl From<u32> for RotationDays {
    fn from(days: u32) -> Self {
        Self(days.to_string())
    }
}

impl Serialize for RotationDays {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.days() {
            Ok(d) => s.serialize_u32(d),
            Err(_) => s.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for RotationDays {
    /// Read as typed, as every number field is ([`crate::input::NumberText`]: never fails).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::input::NumberText::deserialize(d).map(|n| Self(n.raw().to_owned()))
    }
}

/// Cloud KMS locations (cloud.google.com/kms/docs/locations): `global`, the multi-regions
/// `us`, `europe`, `asia`, the dual-regions `nam4` and `eur4`, and the Google Cloud regions.
pub const KMS_LOCATIONS: &[&str] = &[
    "global",
    "us",
    "europe",
    "asia",
    "nam4",
    "eur4",
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
];

/// True when `location` is a Cloud KMS location of [`KMS_LOCATIONS`].
pub fn is_kms_location(location: &str) -> bool {
    KMS_LOCATIONS.contains(&location)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> RotationDays {
        serde_json::from_str(json).expect("never a serde error")
    }

    #[test]
    fn rotation_days_table() {
        let ok = [
            ("90", 90),
            ("\"90\"", 90),
            ("\" 1 \"", 1),
            ("36500", 36_500),
        ];
        for (json, days) in ok {
            assert_eq!(read(json).days().unwrap(), days, "{json}");
            assert_eq!(
                serde_json::to_string(&read(json)).unwrap(),
                days.to_string()
            );
        }
        let bad = [
            ("-5", "Rotation period (days): -5 is negative"),
            ("\"-5\"", "Rotation period (days): -5 is negative"),
            ("0.5", "Rotation period (days): 0.5 is not a whole number of days"),
            ("\"0.5\"", "Rotation period (days): 0.5 is not a whole number of days"),
            ("\"12345678901234567890\"", "Rotation period (days): 12345678901234567890 days is more than Cloud KMS allows: at most 36,500 days (100 years)"),
            ("\"123456789012345678901234\"", "at most 36,500 days (100 years)"),
            ("36501", "Rotation period (days): 36501 days is more than Cloud KMS allows: at most 36,500 days"),
            ("0", "Rotation period (days): 0 days is too short: at least 1 day"),
            ("\"\"", "Rotation period (days): enter a whole number of days from 1 to 36,500"),
            ("\"ninety\"", "ninety is not a whole number of days"),
            ("true", "(not a number) is not a whole number of days"),
        ];
        for (json, want) in bad {
            let e = read(json).days().unwrap_err();
            assert!(e.message.contains(want), "{json}: {}", e.message);
            assert_eq!(e.resource.as_deref(), Some("rotation_period_days"));
            assert_eq!(e.code, ErrorCode::InvalidInput);
            for banned in ["hours", "seconds", " s)", "u32", "invalid", "expected"] {
                assert!(!e.message.contains(banned), "{json}: {}", e.message);
            }
        }
    }

    #[test]
    fn every_field_key_the_backend_names_reads_as_a_label() {
        // Each snake_case or dotted field key passed to `Error::invalid_input` anywhere in the
        // crates (scanned from their sources) has a label: no key reaches a banner.
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut keys = std::collections::BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if p.is_dir() && !["sandbox", "target", "tests"].contains(&name.as_str()) {
                    stack.push(p);
                } else if name.ends_with(".rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for part in text.split("invalid_input(").skip(1) {
                        let arg = part.trim_start();
                        if let Some(lit) = arg.strip_prefix('"').and_then(|a| a.split('"').next()) {
                            let key_like = lit
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
                            if key_like && (lit.contains('_') || lit.contains('.')) {
                                keys.insert(lit.to_owned());
                            }
                        }
                    }
                }
            }
        }
        assert!(
            keys.contains("confirm_name"),
            "the scan reads the sources: {keys:?}"
        );
        for k in &keys {
            assert_ne!(label_of(k), k.as_str(), "field key {k} has no label");
            let e = Error::invalid_input(k, "rule");
            assert!(!e.message.contains(k.as_str()), "{}", e.message);
            assert_eq!(e.resource.as_deref(), Some(k.as_str()));
        }
        for banned in [
            "layout.location:",
            "Resource: key_ring",
            "INVALID_INPUT",
            "expected u32",
            "invalid args",
            "for command",
        ] {
            for k in &keys {
                assert!(!Error::invalid_input(k, "x").message.contains(banned));
            }
        }
    }

    #[test]
    fn locations_are_known_by_name() {
        assert!(is_kms_location("europe-west4") && is_kms_location("global"));
        assert!(!is_kms_location("mars-north1"));
    }
}
