//! Cloud KMS crypto key versions: creation, the version state machine (ENABLED <-> DISABLED,
//! destroy -> DESTROY_SCHEDULED, restore -> DISABLED), primary promotion and rotation validation.

use serde_json::{json, Value};

use crate::errors::GError;
use crate::router::{paginate, Req};
use crate::state::{now_rfc3339, parse_rfc3339, rfc3339, State};

/// Parses a Google duration (`"7776000s"`, `"1.5s"`) into seconds.
pub(crate) fn parse_duration(v: &Value) -> Option<f64> {
    let s = v.as_str()?.strip_suffix('s')?;
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    s.parse().ok()
}

/// Rotation rules: valid duration encoding, `0s` or 1 day <= period <= 876000 h, valid next time.
pub(crate) fn validate_rotation(k: &Value, purpose: &str) -> Result<(), GError> {
    let rp = k.get("rotationPeriod").filter(|v| !v.is_null());
    let nrt = k.get("nextRotationTime").filter(|v| !v.is_null());
    if let Some(rp) = rp {
        let Some(secs) = parse_duration(rp) else {
            return Err(GError::invalid_field(
                "crypto_key.rotation_period",
                format!("Invalid value at 'crypto_key.rotation_period' (type.googleapis.com/google.protobuf.Duration), {rp}"),
            ));
        };
        if purpose != "ENCRYPT_DECRYPT" {
            return Err(GError::invalid_field(
                "crypto_key.rotation_period",
                "Automatic rotation is only supported for ENCRYPT_DECRYPT keys.",
            ));
        }
        // "0s" is the proto default: no automatic rotation (recording kms-cryptokey #10).
        if secs != 0.0 && !(86_400.0..=876_000.0 * 3600.0).contains(&secs) {
            return Err(GError::invalid_field(
                "crypto_key.rotation_period",
                format!("Invalid rotation period: crypto_key.rotation_period must be at least 86400s (1 day) and at most 3153600000s (876000 hours), got {}.", rp.as_str().unwrap_or_default()),
            ));
        }
        // A period without `nextRotationTime` is accepted and stored as is: real KMS answers
        // 200 and fills in no `nextRotationTime`, so nothing rotates until one is set
        // (recording kms-cryptokey #4-#7).
    }
    if let Some(t) = nrt {
        if t.as_str().and_then(parse_rfc3339).is_none() {
            return Err(GError::invalid_field(
                "crypto_key.next_rotation_time",
                format!("Invalid value at 'crypto_key.next_rotation_time' (type.googleapis.com/google.protobuf.Timestamp), {t}"),
            ));
        }
    }
    Ok(())
}

/// Appends a new version (next sequential id) to `key` and returns it.
pub(crate) fn new_version(state: &mut State, key: &str, st: &str) -> Value {
    let tmpl = state
        .crypto_keys
        .get(key)
        .map(|k| k["versionTemplate"].clone())
        .unwrap_or(json!({}));
    let vs = state.versions.entry(key.to_string()).or_default();
    let now = now_rfc3339();
    let mut v = json!({
        "name": format!("{key}/cryptoKeyVersions/{}", vs.len() + 1),
        "state": st,
        "protectionLevel": tmpl.get("protectionLevel").cloned().unwrap_or(json!("SOFTWARE")),
        "algorithm": tmpl.get("algorithm").cloned().unwrap_or(json!("GOOGLE_SYMMETRIC_ENCRYPTION")),
        "createTime": now,
    });
    if st == "ENABLED" || st == "DISABLED" {
        v["generateTime"] = json!(now);
    }
    vs.push(v.clone());
    v
}

fn version_index(state: &State, name: &str) -> Result<(String, usize), GError> {
    let (key, id) = name
        .rsplit_once("/cryptoKeyVersions/")
        .unwrap_or((name, ""));
    let idx = id.parse::<usize>().ok().filter(|i| *i >= 1);
    match (state.versions.get(key), idx) {
        (Some(vs), Some(i)) if i <= vs.len() => Ok((key.to_string(), i - 1)),
        _ => Err(GError::not_found(format!(
            "CryptoKeyVersion {name} not found."
        ))),
    }
}

/// `cryptoKeys.updatePrimaryVersion`.
pub(crate) fn update_primary(state: &mut State, r: &Req, key: &str) -> Result<Value, GError> {
    let k = crate::kms::key(state, key)?;
    if k["purpose"] != "ENCRYPT_DECRYPT" {
        return Err(GError::failed_precondition_state(
            key,
            k["purpose"].as_str().unwrap_or_default(),
            "crypto_key.purpose",
        ));
    }
    let id = r
        .body
        .get("cryptoKeyVersionId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if id.is_empty() {
        return Err(GError::invalid_field(
            "crypto_key_version_id",
            "The request must specify crypto_key_version_id.",
        ));
    }
    let vname = format!("{key}/cryptoKeyVersions/{id}");
    let (_, i) = version_index(state, &vname)?;
    let st = state.versions[key][i]["state"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if st != "ENABLED" {
        return Err(GError::failed_precondition_state(
            &vname,
            &st,
            "crypto_key_version.state",
        ));
    }
    if let Some(k) = state.crypto_keys.get_mut(key) {
        k["_primaryId"] = json!(id);
    }
    crate::kms::key(state, key)
}

/// Handles the `cryptoKeyVersions.*` methods (authorization already done by the caller).
pub(crate) fn handle(
    state: &mut State,
    r: &Req,
    method: &str,
    name: &str,
    parent: &str,
) -> Result<Value, GError> {
    match method {
        "create" => {
            let k = crate::kms::key(state, parent)?;
            if k.get("importOnly") == Some(&json!(true)) {
                return Err(GError::failed_precondition_state(
                    parent,
                    "true",
                    "crypto_key.import_only",
                ));
            }
            let st = r
                .body
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("ENABLED");
            if st != "ENABLED" && st != "DISABLED" {
                return Err(GError::invalid_field(
                    "crypto_key_version.state",
                    format!("Invalid initial state {st}."),
                ));
            }
            Ok(new_version(state, parent, st))
        }
        "list" => {
            crate::kms::key(state, parent)?;
            let items = state.versions.get(parent).cloned().unwrap_or_default();
            Ok(paginate(items, r, "cryptoKeyVersions", 1000, true))
        }
        "get" => {
            let (k, i) = version_index(state, name)?;
            Ok(state.versions[&k][i].clone())
        }
        "patch" => {
            let (k, i) = version_index(state, name)?;
            let mask = r.q("updateMask").unwrap_or_default();
            if mask.split(',').map(str::trim).any(|f| f != "state") || mask.is_empty() {
                return Err(GError::invalid_field(
                    "update_mask",
                    format!("Invalid update_mask: '{mask}'; only 'state' can be updated."),
                ));
            }
            let want = r
                .body
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if want != "ENABLED" && want != "DISABLED" {
                return Err(GError::invalid_field(
                    "crypto_key_version.state",
                    format!("Invalid value for crypto_key_version.state: {want}. Only ENABLED and DISABLED can be set with UpdateCryptoKeyVersion."),
                ));
            }
            let v = &mut state.versions.get_mut(&k).expect("checked")[i];
            let cur = v["state"].as_str().unwrap_or_default().to_string();
            if cur != "ENABLED" && cur != "DISABLED" {
                return Err(GError::failed_precondition_state(
                    name,
                    &cur,
                    "crypto_key_version.state",
                ));
            }
            v["state"] = json!(want);
            Ok(v.clone())
        }
        "destroy" => {
            let (k, i) = version_index(state, name)?;
            let dur = state
                .crypto_keys
                .get(&k)
                .and_then(|c| crate::kms_versions::parse_duration(&c["destroyScheduledDuration"]))
                .unwrap_or(2_592_000.0);
            let at = state.now() + time::Duration::seconds_f64(dur);
            let v = &mut state.versions.get_mut(&k).expect("checked")[i];
            let cur = v["state"].as_str().unwrap_or_default().to_string();
            if cur != "ENABLED" && cur != "DISABLED" {
                return Err(GError::failed_precondition_state(
                    name,
                    &cur,
                    "crypto_key_version.state",
                ));
            }
            v["state"] = json!("DESTROY_SCHEDULED");
            v["destroyTime"] = json!(rfc3339(at));
            Ok(v.clone())
        }
        "restore" => {
            let (k, i) = version_index(state, name)?;
            let v = &mut state.versions.get_mut(&k).expect("checked")[i];
            let cur = v["state"].as_str().unwrap_or_default().to_string();
            if cur != "DESTROY_SCHEDULED" {
                return Err(GError::failed_precondition_state(
                    name,
                    &cur,
                    "crypto_key_version.state",
                ));
            }
            v["state"] = json!("DISABLED");
            if let Some(o) = v.as_object_mut() {
                o.remove("destroyTime");
            }
            Ok(v.clone())
        }
        _ => Err(GError::new(
            501,
            "UNIMPLEMENTED",
            format!("cryptoKeyVersions.{method} is not implemented"),
        )),
    }
}

/// Applies time-driven KMS changes before each KMS request: DESTROY_SCHEDULED versions whose
/// `destroyTime` passed become DESTROYED, and keys whose `nextRotationTime` passed get a new
/// primary version with `nextRotationTime` advanced by `rotationPeriod`. "Now" is the sandbox
/// clock ([`State::now`], which tests move with [`State::advance_clock`]).
///
/// Cost: O(1) while nothing is due: the earliest due time is cached in
/// [`State::kms_next_due`] (cleared by every write, hook and handle access); only when it has
/// passed, or is unknown, does one walk of every key and version apply what is due and cache
/// the next earliest time. Without the cache every KMS read cost O(keys), which made the
/// 10,000-key crawl benchmark 12x its bound (docs/performance.md).
pub(crate) fn tick(state: &mut State) {
    let now = state.now();
    if let Some(next) = state.kms_next_due {
        if next.is_none_or(|t| t > now) {
            return;
        }
    }
    state.kms_due_walks += 1;
    apply_due(state, now);
    state.kms_next_due = Some(earliest_due(state));
}

/// The earliest `destroyTime` of a DESTROY_SCHEDULED version or `nextRotationTime` of a key.
fn earliest_due(state: &State) -> Option<time::OffsetDateTime> {
    let destroys = state
        .versions
        .values()
        .flatten()
        .filter(|v| v["state"] == "DESTROY_SCHEDULED")
        .filter_map(|v| v["destroyTime"].as_str().and_then(parse_rfc3339));
    let rotations = state
        .crypto_keys
        .values()
        .filter_map(|k| k["nextRotationTime"].as_str().and_then(parse_rfc3339));
    destroys.chain(rotations).min()
}

/// One walk of every version and key: applies every change due at `now`.
fn apply_due(state: &mut State, now: time::OffsetDateTime) {
    for vs in state.versions.values_mut() {
        for v in vs.iter_mut() {
            let due = v["destroyTime"]
                .as_str()
                .and_then(parse_rfc3339)
                .is_some_and(|t| t <= now);
            if v["state"] == "DESTROY_SCHEDULED" && due {
                v["state"] = json!("DESTROYED");
                v["destroyEventTime"] = json!(rfc3339(now));
                if let Some(o) = v.as_object_mut() {
                    o.remove("destroyTime");
                }
            }
        }
    }
    let due: Vec<String> = state
        .crypto_keys
        .iter()
        .filter(|(_, k)| {
            k["nextRotationTime"]
                .as_str()
                .and_then(parse_rfc3339)
                .is_some_and(|t| t <= now)
        })
        .map(|(n, _)| n.clone())
        .collect();
    for name in due {
        let Some(k) = state.crypto_keys.get(&name).cloned() else {
            continue;
        };
        let period = parse_duration(&k["rotationPeriod"]).unwrap_or(0.0);
        let mut next = k["nextRotationTime"]
            .as_str()
            .and_then(parse_rfc3339)
            .unwrap_or(now);
        if period >= 1.0 {
            while next <= now {
                next += time::Duration::seconds_f64(period);
            }
        }
        let v = new_version(state, &name, "ENABLED");
        let id = v["name"]
            .as_str()
            .and_then(|n| n.rsplit('/').next())
            .unwrap_or("1")
            .to_string();
        if let Some(k) = state.crypto_keys.get_mut(&name) {
            k["_primaryId"] = json!(id);
            if period >= 1.0 {
                k["nextRotationTime"] = json!(rfc3339(next));
            } else if let Some(o) = k.as_object_mut() {
                o.remove("nextRotationTime");
            }
        }
    }
}
