//! Cloud KMS crypto key creation (purpose, template defaults, initial primary version,
//! rotation validation) and `cryptoKeys.patch` with `updateMask` enforcement.

use serde_json::{json, Value};

use crate::errors::GError;
use crate::kms::{key, valid_id};
use crate::kms_versions::{self as kv, validate_rotation};
use crate::router::Req;
use crate::state::{now_rfc3339, State};

pub(crate) fn create_key(state: &mut State, r: &Req, parent: &str) -> Result<Value, GError> {
    let id = r.q("cryptoKeyId").unwrap_or_default();
    if !valid_id(id) {
        return Err(GError::invalid_field("crypto_key_id", format!("Invalid resource id: '{id}'. The id must match the regular expression [a-zA-Z0-9_-]{{1,63}}.")));
    }
    let name = format!("{parent}/cryptoKeys/{id}");
    if state.crypto_keys.contains_key(&name) {
        return Err(GError::already_exists(format!(
            "CryptoKey {name} already exists."
        )));
    }
    let b = if r.body.is_object() {
        r.body.clone()
    } else {
        json!({})
    };
    let purpose = b
        .get("purpose")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !crate::enums::valid_purpose(&purpose) {
        return Err(GError::invalid_field(
            "crypto_key.purpose",
            "The request must specify a valid crypto_key.purpose.",
        ));
    }
    let tmpl = b.get("versionTemplate").cloned().unwrap_or(json!({}));
    let default_alg = if purpose == "ENCRYPT_DECRYPT" {
        "GOOGLE_SYMMETRIC_ENCRYPTION"
    } else {
        ""
    };
    let alg = tmpl
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or(default_alg)
        .to_string();
    if !crate::enums::valid_algorithm(&alg) {
        return Err(GError::invalid_field(
            "crypto_key.version_template.algorithm",
            "The request must specify a valid crypto_key.version_template.algorithm.",
        ));
    }
    let pl = tmpl
        .get("protectionLevel")
        .and_then(Value::as_str)
        .unwrap_or("SOFTWARE")
        .to_string();
    if !crate::enums::valid_protection_level(&pl) {
        return Err(GError::invalid_field(
            "crypto_key.version_template.protection_level",
            "Invalid protection level.",
        ));
    }
    validate_rotation(&b, &purpose)?;
    if let Some(d) = b.get("destroyScheduledDuration").filter(|v| !v.is_null()) {
        let ok = kv::parse_duration(d).is_some_and(|s| (86_400.0..=10_368_000.0).contains(&s));
        if !ok {
            return Err(GError::invalid_field(
                "crypto_key.destroy_scheduled_duration",
                format!("Invalid destroy_scheduled_duration {d}: it must be between 86400s (24 hours) and 10368000s (120 days)."),
            ));
        }
    }
    let mut k = json!({
        "name": name, "purpose": purpose, "createTime": now_rfc3339(),
        "versionTemplate": {"algorithm": alg, "protectionLevel": pl},
        "destroyScheduledDuration": b.get("destroyScheduledDuration").cloned().unwrap_or(json!("2592000s")),
    });
    for f in [
        "labels",
        "rotationPeriod",
        "nextRotationTime",
        "importOnly",
        "cryptoKeyBackend",
    ] {
        if let Some(v) = b
            .get(f)
            .filter(|v| !v.is_null() && *v != &json!({}) && *v != &json!(false))
        {
            k[f] = v.clone();
        }
    }
    state.crypto_keys.insert(name.clone(), k);
    state.versions.insert(name.clone(), Vec::new());
    if r.q("skipInitialVersionCreation") != Some("true") {
        kv::new_version(state, &name, "ENABLED");
        if let Some(k) = state.crypto_keys.get_mut(&name) {
            k["_primaryId"] = json!("1");
        }
    }
    key(state, &name)
}

const PATCHABLE: &[&str] = &[
    "labels",
    "rotationPeriod",
    "nextRotationTime",
    "versionTemplate.algorithm",
    "keyAccessJustificationsPolicy",
];
const IMMUTABLE: &[&str] = &[
    "purpose",
    "destroyScheduledDuration",
    "versionTemplate.protectionLevel",
    "importOnly",
    "cryptoKeyBackend",
    "name",
    "primary",
    "createTime",
];

pub(crate) fn patch_key(state: &mut State, r: &Req, name: &str) -> Result<Value, GError> {
    let current = key(state, name)?;
    let mask = r.q("updateMask").unwrap_or_default();
    if mask.trim().is_empty() {
        return Err(GError::invalid_field(
            "update_mask",
            "The request must specify an update_mask.",
        ));
    }
    let mut stored = state.crypto_keys.get(name).cloned().unwrap_or_default();
    for f in mask.split(',').map(str::trim) {
        if IMMUTABLE.contains(&f) {
            return Err(GError::invalid_field(
                "update_mask",
                format!("Field {f} is immutable and cannot be updated."),
            ));
        }
        if !PATCHABLE.contains(&f) {
            return Err(GError::invalid_field(
                "update_mask",
                format!("Invalid update_mask path: {f}"),
            ));
        }
        if f == "versionTemplate.algorithm" {
            if let Some(a) = r.body.pointer("/versionTemplate/algorithm") {
                stored["versionTemplate"]["algorithm"] = a.clone();
            }
            continue;
        }
        match r.body.get(f).filter(|v| !v.is_null()) {
            Some(v) => stored[f] = v.clone(),
            None => {
                if let Some(o) = stored.as_object_mut() {
                    o.remove(f);
                }
            }
        }
    }
    validate_rotation(&stored, current["purpose"].as_str().unwrap_or_default())?;
    state.crypto_keys.insert(name.to_string(), stored);
    crate::kms::render_key_as_stored(state, name)
}
