//! Changes to a cluster whose CMEK is already enabled (issue 10): rotating to a new key and
//! adding a region with its key. What the officer asks for ([`RotationRequest`],
//! [`AddRegionRequest`]) and what a [`crate::plan::Plan`] of that kind adds to the common plan
//! ([`PlanChange`]). The plan itself (keys, steps, grants, region specs) keeps the setup
//! plan's shape, so the held-plan rules, the apply engine and its progress events are shared.
//!
//! API facts (cmek-procedure §7, §9-§11, §14): `PUT /api/v1/clusters/{id}/cmek` takes the specs
//! of the regions that change only; regions go through `ROTATING` to `ENABLED`, or
//! `ROTATE_FAILED` with a `user_message`; CockroachDB keeps every earlier key in `key_infos`
//! and still needs it to decrypt, so the old key is kept. A region is added with one `PATCH
//! /api/v1/clusters/{id}` carrying `dedicated.region_nodes` (every region, with node counts)
//! and `dedicated.cmek_region_specs` for the new region only.

use crate::cockroach::CmekRegionSpec;
use crate::plan::{KeyLayout, ProtectionLevel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Move a cluster to a new key (or to an existing key chosen by name). The service account
/// CockroachDB uses stays the same; it is granted Encrypter/Decrypter on the new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationRequest {
    /// Full cluster UUID.
    pub cluster_id: String,
    /// GCP project of the new key(s).
    pub project: String,
    /// Key ring id (`[a-zA-Z0-9_-]{1,63}`); created in each key location if missing.
    pub key_ring: String,
    /// Crypto key id; with [`KeyLayout::KeyPerRegion`] each key is `{key}-{region}`. An
    /// existing key of that name is adopted, not re-created.
    pub crypto_key: String,
    /// Where the new key(s) live. `None`: as now (one key at the current key's location when
    /// every region shares one key, else one key per region).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<KeyLayout>,
    /// Protection level of keys the rotation creates.
    pub protection_level: ProtectionLevel,
    /// Automatic rotation of keys the rotation creates, in days (1 to 36,500); `None`: none.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_period_days: Option<crate::setup_fields::RotationDays>,
}

/// Add a region to a CMEK cluster, with its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AddRegionRequest {
    /// Full cluster UUID.
    pub cluster_id: String,
    /// The new region, in the provider's code (GCP: `europe-west1`).
    pub region: String,
    /// Nodes in the new region (1 to 150), as typed: a number or the field's text (checked by
    /// the planner with the label "Nodes", never a serde error). `None`: as many as the
    /// cluster's first region.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_count: Option<crate::input::NumberText>,
    /// Project of the region's key when a new key is needed. `None`: the current key's project.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Key ring id when a new key is needed. `None`: the current key's key ring id.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ring: Option<String>,
    /// Key id when a new key is needed. `None`: derived from the current key's id
    /// (`{base}-{region}`).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crypto_key: Option<String>,
}

/// What a plan changes. Setup plans carry `Setup` (the default, so older plan files read).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum PlanChange {
    /// First setup: `POST …/cmek` with every region.
    #[default]
    Setup,
    /// Rotation to new keys: `PUT …/cmek` with the regions that change.
    Rotation(RotationChange),
    /// A new region with its key: `PATCH /clusters/{id}`.
    AddRegion(AddRegionChange),
}

/// The rotation part of a rotation plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationChange {
    pub request: RotationRequest,
    /// The spec each region moves away from: its newest spec other than the target (the same
    /// before and after the `PUT`). CockroachDB keeps it in `key_infos` and still needs it to
    /// decrypt: never disable or destroy it.
    pub from: Vec<CmekRegionSpec>,
    /// Regions whose key changes: the `PUT` body holds their specs (from the plan's
    /// `regionSpecs`, which hold the target of every region).
    pub changed_regions: Vec<String>,
    /// Regions already on their target key, verified only.
    pub unchanged_regions: Vec<String>,
}

/// The add-region part of an add-region plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AddRegionChange {
    pub request: AddRegionRequest,
    /// `dedicated.region_nodes` of the `PATCH`: every region with its node count, the new one
    /// included.
    pub region_nodes: BTreeMap<String, i32>,
    /// True when the cluster's current key serves the new region too (its location covers
    /// it, `cmek_core::names::location_serves_region`), so no key is created.
    pub reuses_key: bool,
}

impl PlanChange {
    /// `setup`, `rotate` or `add_region`: the activity log's operation name.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::Rotation(_) => "rotate",
            Self::AddRegion(_) => "add_region",
        }
    }

    /// True for a first setup.
    pub fn is_setup(&self) -> bool {
        matches!(self, Self::Setup)
    }
}
