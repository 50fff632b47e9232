//! The setup form's checks, before any call (issue #11): every error names the field by the
//! label the window and the CLI show ([`cmek_core::setup_fields::fields`]) and states the rule
//! in the officer's units — characters for ids (and for a key id, the DERIVED per-region name
//! `{key}-{region}` that Cloud KMS will see), days for rotation, Cloud KMS location names for a
//! location (an unknown one is "not a Cloud KMS location"; a location that cannot serve the
//! cluster's regions names all of them). `resource` carries the request field key the window
//! focuses.

use cmek_core::input::{GcpLocation, KmsId, ProjectId, ServiceAccountId};
use cmek_core::names::{location_serves_region, ClusterId};
use cmek_core::plan::{KeyLayout, SetupRequest};
use cmek_core::setup_fields::{fields, is_kms_location, RotationDays};
use cmek_core::Result;

/// Cloud KMS's longest key ring / crypto key id (`keyRings.create`, `cryptoKeys.create`).
pub const MAX_KMS_ID: usize = 63;

/// Checks every field of a setup request locally. Errors: `INVALID_INPUT` naming the field.
pub fn validate(req: &SetupRequest) -> Result<ClusterId> {
    let id = cluster_id(&req.cluster_id)?;
    project(&req.project)?;
    key_project(req.key_project.as_deref())?;
    let f = fields::SERVICE_ACCOUNT;
    ServiceAccountId::parse(f.label, &req.service_account_id).map_err(|e| f.relabel(e))?;
    key_ring(&req.key_ring)?;
    crypto_key(&req.crypto_key)?;
    if let KeyLayout::SingleKey { location: l } = &req.layout {
        location(l)?;
    }
    rotation(req.rotation_period_days.as_ref())?;
    Ok(id)
}

/// Cluster ID: the full UUID.
pub fn cluster_id(raw: &str) -> Result<ClusterId> {
    ClusterId::parse(raw).map_err(|e| fields::CLUSTER.relabel(e))
}

/// Project ID: 6-30 of `a-z 0-9 -`, a letter first, no `-` last.
pub fn project(raw: &str) -> Result<()> {
    let f = fields::PROJECT;
    ProjectId::parse(f.label, raw)
        .map(drop)
        .map_err(|e| f.relabel(e))
}

/// Key project (optional): empty, or a Google project id like Project ID (6-30 of `a-z 0-9 -`,
/// a letter first, no `-` last). Empty or equal to Project ID means the keys stay in Project ID
/// (`SetupRequest::keys_project`).
pub fn key_project(raw: Option<&str>) -> Result<()> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(());
    };
    let f = fields::KEY_PROJECT;
    ProjectId::parse(f.label, raw)
        .map(drop)
        .map_err(|e| f.relabel(e))
}

/// Key ring ID: 1-63 of `a-z A-Z 0-9 _ -`.
pub fn key_ring(raw: &str) -> Result<()> {
    let f = fields::KEY_RING;
    KmsId::parse(f.label, raw)
        .map(drop)
        .map_err(|e| f.relabel(e))
}

/// Key ID as typed: 1-63 of `a-z A-Z 0-9 _ -` (see [`derived_key_ids`] for one key per region).
pub fn crypto_key(raw: &str) -> Result<()> {
    let f = fields::CRYPTO_KEY;
    KmsId::parse(f.label, raw)
        .map(drop)
        .map_err(|e| f.relabel(e))
}

/// Rotation period (days): absent, or 1 to 36,500 whole days.
pub fn rotation(days: Option<&RotationDays>) -> Result<()> {
    days.map_or(Ok(()), |d| d.days().map(drop))
}

/// Key location: a location name Cloud KMS knows ([`cmek_core::setup_fields::KMS_LOCATIONS`]).
pub fn location(raw: &str) -> Result<()> {
    let f = fields::LOCATION;
    GcpLocation::parse(f.label, raw).map_err(|e| f.relabel(e))?;
    if !is_kms_location(raw) {
        return Err(f.error(format!(
            "{raw} is not a Cloud KMS location: use a region such as us-east1 or europe-west4, a multi-region (us, europe, asia) or global"
        )));
    }
    Ok(())
}

/// A single key in `location` must serve every cluster region: names ALL the regions it cannot
/// serve (field report B18).
pub fn location_serves(location: &str, regions: &[String]) -> Result<()> {
    let unserved: Vec<&str> = regions
        .iter()
        .filter(|r| location_serves_region(location, r) == Some(false))
        .map(String::as_str)
        .collect();
    if unserved.is_empty() {
        return Ok(());
    }
    let (noun, list) = match unserved.as_slice() {
        [one] => ("cluster region", (*one).to_owned()),
        many => ("cluster regions", many.join(", ")),
    };
    Err(fields::LOCATION.error(format!(
        "a key in {location} cannot serve {noun} {list}: choose a location that serves every region of the cluster ({}), such as global or a multi-region containing them all, or one key per region",
        regions.join(", ")
    )))
}

/// With one key per region each key id is `{key}-{region}`: the ids Cloud KMS will see, checked
/// as derived (the longest one named with its length when it passes 63 characters).
pub fn derived_key_ids(key: &str, regions: &[String]) -> Result<Vec<String>> {
    let ids: Vec<String> = regions.iter().map(|r| format!("{key}-{r}")).collect();
    if let Some((long, region)) = ids
        .iter()
        .zip(regions)
        .filter(|(id, _)| id.len() > MAX_KMS_ID)
        .max_by_key(|(id, _)| id.len())
    {
        let room = MAX_KMS_ID.saturating_sub(region.len() + 1);
        return Err(fields::CRYPTO_KEY.error(format!(
            "with one key per region the key for {region} is named {long}, {} characters; Cloud KMS allows at most {MAX_KMS_ID}, so the Key ID can have at most {room} characters here (it has {})",
            long.len(),
            key.chars().count()
        )));
    }
    Ok(ids)
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
