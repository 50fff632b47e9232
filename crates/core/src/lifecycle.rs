//! The CMEK state machine: which actions a cluster's CMEK status allows, and, when one is not,
//! why in the officer's words and what to do instead (issue 10).
//!
//! Input: CockroachDB's `CMEKClusterInfo` (`GET /api/v1/clusters/{id}/cmek`, cmek-procedure §9),
//! or nothing when CMEK was never enabled (404). The cluster-level `status` and every region's
//! `status` are folded into one [`CmekPhase`], the most constraining of them (a cluster whose
//! status says ENABLED but one of whose regions is REVOKED is treated as revoked). [`decide`] is
//! the one table from (phase, [`CmekAction`]) to a [`Verdict`]; [`allowed_actions`] applies it
//! to every action for the UI and the command line, [`require`] turns a refusal into an error
//! before any write. Every entry point (window, command line, re-planning on apply) asks here.
//!
//! Facts behind the table: a revoked cluster comes back only through Cockroach Labs support
//! ("even if access to the CMEK is restored, affected nodes cannot automatically recover",
//! §12), so nothing that grants CockroachDB access to a key is offered while CMEK is revoked or
//! being revoked; `PUT …/cmek` rotates, and a new region's spec goes with `PATCH
//! /clusters/{id}` (§7, §9-§11); revocation is break-glass and stays available whenever a key
//! was handed to CockroachDB. No I/O here.

use crate::cockroach::CmekClusterInfo;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What an officer can ask for on a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CmekAction {
    /// Guided setup: service account, key(s), grants, `POST …/cmek`.
    Setup,
    /// Move every (or some) region to a new key: `PUT …/cmek`.
    Rotate,
    /// Add a region with its key: `PATCH /clusters/{id}` with `cmek_region_specs`.
    AddRegion,
    /// Break glass: remove access, `PATCH …/cmek {"action":"REVOKE"}`.
    Revoke,
    /// Restore exactly what a revocation removed (the cluster then needs support).
    Recover,
    /// Disable every version of a key the cluster uses, or restore scheduled versions.
    KeyEmergency,
}

impl CmekAction {
    /// Every action, in the order the UI lists them.
    pub const ALL: [CmekAction; 6] = [
        Self::Setup,
        Self::Rotate,
        Self::AddRegion,
        Self::Revoke,
        Self::Recover,
        Self::KeyEmergency,
    ];

    /// The action as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Setup => "Set up CMEK",
            Self::Rotate => "Rotate to a new key",
            Self::AddRegion => "Add a region",
            Self::Revoke => "Revoke",
            Self::Recover => "Recover",
            Self::KeyEmergency => "Key emergency actions",
        }
    }
}

/// The phase a cluster's CMEK is in, as the table sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmekPhase {
    /// `DISABLED`, empty, or no CMEK specification at all (404): CMEK was never enabled.
    Never,
    Enabling,
    Enabled,
    EnableFailed,
    Rotating,
    RotateFailed,
    Revoking,
    Revoked,
    RevokeFailed,
    /// Any other value (`DISABLING`, `DISABLE_FAILED`, a status added after 2024-09-16).
    Other(String),
}

impl CmekPhase {
    /// The phase of one `CMEKStatus` value.
    pub fn from_status(status: &str) -> Self {
        match status {
            "" | "DISABLED" => Self::Never,
            "ENABLING" => Self::Enabling,
            "ENABLED" => Self::Enabled,
            "ENABLE_FAILED" => Self::EnableFailed,
            "ROTATING" => Self::Rotating,
            "ROTATE_FAILED" => Self::RotateFailed,
            "REVOKING" => Self::Revoking,
            "REVOKED" => Self::Revoked,
            "REVOKE_FAILED" => Self::RevokeFailed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The most constraining phase of the cluster-level status and every region's (`None`:
    /// CMEK never enabled). Order, most constraining first: revoking, revoke failed, revoked,
    /// unknown, rotating, enabling, rotate failed, enable failed, enabled, never.
    pub fn of(info: Option<&CmekClusterInfo>) -> Self {
        let Some(info) = info else {
            return Self::Never;
        };
        std::iter::once(info.status.as_str())
            .chain(info.region_infos.iter().map(|r| r.status.as_str()))
            .map(Self::from_status)
            .max_by_key(Self::rank)
            .unwrap_or(Self::Never)
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Never => 0,
            Self::Enabled => 1,
            Self::EnableFailed => 2,
            Self::RotateFailed => 3,
            Self::Enabling => 4,
            Self::Rotating => 5,
            Self::Other(_) => 6,
            Self::Revoked => 7,
            Self::RevokeFailed => 8,
            Self::Revoking => 9,
        }
    }

    /// The `CMEKStatus` spelling (`DISABLED` for [`CmekPhase::Never`]).
    pub fn status(&self) -> &str {
        match self {
            Self::Never => "DISABLED",
            Self::Enabling => "ENABLING",
            Self::Enabled => "ENABLED",
            Self::EnableFailed => "ENABLE_FAILED",
            Self::Rotating => "ROTATING",
            Self::RotateFailed => "ROTATE_FAILED",
            Self::Revoking => "REVOKING",
            Self::Revoked => "REVOKED",
            Self::RevokeFailed => "REVOKE_FAILED",
            Self::Other(s) => s,
        }
    }
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; `note` is what to know first, if anything.
    Allowed { note: Option<String> },
    /// Refused: why, and what to do instead.
    Refused { why: String, what_to_do: String },
}

/// Whether `action` may run on a cluster, for the UI (disabled buttons show `reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActionAvailability {
    pub action: CmekAction,
    pub allowed: bool,
    /// The CMEK status decided on: the most constraining of the cluster's and its regions'
    /// (`DISABLED` when CMEK was never enabled), e.g. `REVOKED`.
    pub status: String,
    /// When refused: why, in the officer's words.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When refused: what to do instead.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what_to_do: Option<String>,
    /// When allowed: what to know first.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

const NOTHING_REVOKED: &str = "Nothing was revoked on this cluster.";
const NO_ACTION: &str = "No action needed.";
const WAIT: &str =
    "Wait until every region is ENABLED (`cmek status CLUSTER --wait`), then try again.";
const RECOVER_THEN_SUPPORT: &str = "Recover (restore exactly what the revocation removed), then contact Cockroach Labs support: only they can bring a revoked cluster back.";

fn allowed() -> Verdict {
    Verdict::Allowed { note: None }
}

fn allowed_with(note: &str) -> Verdict {
    Verdict::Allowed {
        note: Some(note.to_owned()),
    }
}

fn refused(why: &str, what_to_do: &str) -> Verdict {
    Verdict::Refused {
        why: why.to_owned(),
        what_to_do: what_to_do.to_owned(),
    }
}

/// The table: what `action` may do in `phase`. One arm per (phase, action group).
pub fn decide(phase: &CmekPhase, action: CmekAction) -> Verdict {
    use CmekAction::*;
    use CmekPhase as P;
    match (phase, action) {
        // Break glass: available whenever a key was handed to CockroachDB and no revocation runs.
        (P::Never, Revoke) => refused("CMEK is not enabled on this cluster; there is nothing to revoke.", NO_ACTION),
        (P::Revoking, Revoke) => refused("A revocation is already under way.", "Wait until every region is REVOKED (`cmek status CLUSTER --wait`)."),
        (P::Revoked, Revoke) => refused("CMEK on this cluster is already revoked.", RECOVER_THEN_SUPPORT),
        (P::RevokeFailed, Revoke) => allowed_with("The last revocation failed in some regions; revoking again retries them."),
        (P::Enabling, Revoke) => allowed_with("Break glass: revoking while CockroachDB is still enabling stops the cluster as well."),
        (P::Other(_), Revoke) => allowed_with("Break glass stays available whatever CockroachDB reports."),
        (_, Revoke) => allowed(),

        // Recovery undoes a revocation.
        (P::Revoking | P::Revoked | P::RevokeFailed, Recover) => allowed_with("Recovery restores access to the key; only Cockroach Labs support can bring the nodes back."),
        (_, Recover) => refused(NOTHING_REVOKED, NO_ACTION),

        // Key emergency actions act on keys CockroachDB was given.
        (P::Never, KeyEmergency) => refused("No key of this cluster is in CockroachDB's hands.", "Key emergency actions are for keys a CMEK cluster uses; set up CMEK first."),
        (P::Rotating, KeyEmergency) => allowed_with("During a rotation CockroachDB needs both the old and the new key."),
        (_, KeyEmergency) => allowed(),

        // Anything that would grant CockroachDB access to a key again is refused once revoked.
        (P::Revoking, Setup | Rotate | AddRegion) => refused("CMEK is being revoked: this would grant CockroachDB access to a key again, undoing part of the revocation, and still could not bring the cluster back.", RECOVER_THEN_SUPPORT),
        (P::Revoked, Setup | Rotate | AddRegion) => refused("CMEK on this cluster is revoked: this would grant CockroachDB access to a key again, undoing the revocation, and still could not bring the cluster back.", RECOVER_THEN_SUPPORT),
        (P::RevokeFailed, Setup | Rotate | AddRegion) => refused("A revocation of this cluster failed part-way: this would grant CockroachDB access to a key again.", "Revoke again to finish it, or recover and contact Cockroach Labs support."),
        (P::Other(s), Setup | Rotate | AddRegion) => Verdict::Refused {
            why: format!("CockroachDB reports CMEK as {s}, a status this app does not change keys in."),
            what_to_do: "Check the cluster in the CockroachDB Cloud Console or with Cockroach Labs support first.".into(),
        },

        (P::Never, Setup) => allowed(),
        (P::Never, Rotate) => refused("CMEK is not enabled on this cluster, so there is no key to rotate from.", "Set up CMEK first."),
        (P::Never, AddRegion) => refused("CMEK is not enabled on this cluster, so a new region needs no key from this app.", "Add the region in CockroachDB Cloud, then set up CMEK for every region."),

        (P::Enabling, Setup) => allowed_with("CockroachDB is enabling CMEK: applying the same plan again waits for it to finish."),
        (P::Enabling, Rotate | AddRegion) => refused("CockroachDB is still enabling CMEK.", WAIT),

        (P::Enabled, Setup) => allowed_with("CMEK is already enabled: setup with the keys in use only verifies them; a different key makes a rotation plan."),
        (P::Enabled, Rotate | AddRegion) => allowed(),

        (P::EnableFailed, Setup) => allowed_with("Enabling failed: fix the cause CockroachDB gives, then apply setup again (it sends the keys again)."),
        (P::EnableFailed, Rotate | AddRegion) => refused("Enabling CMEK failed, so no key is in use yet.", "Fix the cause CockroachDB gives and apply setup again."),

        (P::Rotating, Setup | AddRegion) => refused("CockroachDB is rotating this cluster to a new key.", WAIT),
        (P::Rotating, Rotate) => refused("A rotation is already under way.", "Wait until every region is ENABLED; applying the same rotation plan again waits for it."),

        (P::RotateFailed, Setup) => refused("The last rotation to a new key failed; setup does not change keys.", "Read CockroachDB's message, fix the cause and rotate again."),
        (P::RotateFailed, Rotate) => allowed_with("The last rotation failed: fix the cause CockroachDB gives first; rotating again sends the new key again."),
        (P::RotateFailed, AddRegion) => refused("The last rotation to a new key failed.", "Rotate again until every region is ENABLED, then add the region."),
    }
}

/// Every action with its verdict for a cluster whose CMEK is `info` (`None`: never enabled).
pub fn allowed_actions(info: Option<&CmekClusterInfo>) -> Vec<ActionAvailability> {
    let phase = CmekPhase::of(info);
    CmekAction::ALL
        .iter()
        .map(|&action| availability(&phase, action))
        .collect()
}

/// The verdict for one action as the UI shows it.
pub fn availability(phase: &CmekPhase, action: CmekAction) -> ActionAvailability {
    let status = phase.status().to_owned();
    match decide(phase, action) {
        Verdict::Allowed { note } => ActionAvailability {
            action,
            allowed: true,
            status,
            reason: None,
            what_to_do: None,
            note,
        },
        Verdict::Refused { why, what_to_do } => ActionAvailability {
            action,
            allowed: false,
            status,
            reason: Some(why),
            what_to_do: Some(what_to_do),
            note: None,
        },
    }
}

/// `Ok` when `action` is allowed for `info`; else `FAILED_PRECONDITION` saying why and what to
/// do, raised before any write.
pub fn require(info: Option<&CmekClusterInfo>, action: CmekAction, cluster: &str) -> Result<()> {
    let phase = CmekPhase::of(info);
    match decide(&phase, action) {
        Verdict::Allowed { .. } => Ok(()),
        Verdict::Refused { why, what_to_do } => Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!(
                "{} is refused for {cluster} (CMEK {}): {why} {what_to_do}",
                action.label(),
                phase.status()
            ),
        )
        .with_resource(cluster.to_owned())),
    }
}

#[cfg(test)]
mod tests;
