//! Key emergency actions that hold (issue #10): the restore that undoes a freeze. The freeze
//! itself is [`Desk::disable_key_versions`], which also stops automatic rotation and records
//! what it cleared; [`Desk::preview_key`] shows the freeze left to undo (`KeyPreview::freeze`).

use crate::Desk;
use cmek_core::Result;
use cmek_revoke::{KeyActionReport, RevokeEvent};

impl Desk {
    /// Undoes the latest freeze of `key` (`confirm_key` must be the key id): re-enables the
    /// versions it disabled and puts the exact rotation schedule back (a `nextRotationTime`
    /// that has passed becomes now + `rotationPeriod`, noted in the report). Errors:
    /// `FailedPrecondition` when no freeze is left to undo.
    pub async fn unfreeze_key(
        &self,
        key: &str,
        confirm_key: &str,
        on_event: &(dyn Fn(RevokeEvent) + Send + Sync),
    ) -> Result<KeyActionReport> {
        let (ctx, log) = self.revoke_parts().await?;
        let (_running, control) = self.revoke_control();
        cmek_revoke::unfreeze_key(&ctx, &log, key, confirm_key, &control, on_event).await
    }
}
