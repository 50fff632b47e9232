//! The progress vocabulary shared by revoke, recover, key actions and drift remediation: steps,
//! statuses, events, and the helpers that send them (and record a failed operation).

use cmek_activity::{ActivityLog, EntryStatus};
use cmek_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::key_actions::VersionResult;
use crate::Sink;

/// The steps shown with live progress (revoke, recover and key actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RevokeStep {
    Snapshot,
    RemoveAccess,
    CallRevoke,
    WaitRevoked,
    Verify,
    RestoreAccess,
    SupportRequest,
    DisableVersions,
    RestoreVersions,
    /// A freeze clears the key's automatic rotation schedule (before disabling versions).
    StopRotation,
    /// Restoring after a freeze re-enables the versions the freeze disabled...
    EnableVersions,
    /// ...and puts the recorded rotation schedule back.
    RestoreRotation,
    /// A drift remediation removes one out-of-band binding (`cmek_revoke::drift`).
    RemoveBinding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum StepStatus {
    Done,
    /// Nothing to do (already in the wanted state).
    Skipped,
    Failed,
    Cancelled,
}

/// A progress event (sent to the UI through a Tauri `Channel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum RevokeEvent {
    OperationStarted {
        operation_id: String,
        action: String,
    },
    StepStarted {
        step: RevokeStep,
        title: String,
    },
    StepProgress {
        step: RevokeStep,
        message: String,
    },
    StepFinished {
        step: RevokeStep,
        status: StepStatus,
        message: String,
    },
    /// One key version handled by a key action.
    VersionDone {
        result: VersionResult,
    },
}

pub(crate) fn step(sink: Sink<'_>, step: RevokeStep, title: &str) {
    sink(RevokeEvent::StepStarted {
        step,
        title: title.to_owned(),
    });
}
pub(crate) fn progress(sink: Sink<'_>, step: RevokeStep, message: String) {
    sink(RevokeEvent::StepProgress { step, message });
}
pub(crate) fn finished(sink: Sink<'_>, step: RevokeStep, status: StepStatus, message: String) {
    sink(RevokeEvent::StepFinished {
        step,
        status,
        message,
    });
}

/// Records the failure of an operation and returns the error.
pub(crate) fn fail(log: &ActivityLog, op: &str, sink: Sink<'_>, at: RevokeStep, e: Error) -> Error {
    let status = if e.code == ErrorCode::Cancelled {
        EntryStatus::Cancelled
    } else {
        EntryStatus::Failed
    };
    if let Err(le) = log.finish_operation(op, status, &e.message, &(), Some(&e)) {
        tracing::error!(code = ?le.code, "could not record the end of operation {op}");
    }
    let st = if e.code == ErrorCode::Cancelled {
        StepStatus::Cancelled
    } else {
        StepStatus::Failed
    };
    finished(sink, at, st, e.message.clone());
    e
}
