//! Interrupted operations: started, never finished ([`ActivityLog::pending_operations`]),
//! for the app to offer "finish" or "roll back" on start-up — only when the log verifies.

use cmek_core::Result;

use crate::{ActivityLog, EntryKind, EntryStatus, PendingOperation};

impl ActivityLog {
    /// Operations started and never finished, oldest first: what a crash interrupted. Each
    /// carries `trusted`: false when the log's chain does not verify ([`ActivityLog::verify`]),
    /// and then nothing may finish or roll it back.
    pub fn pending_operations(&self) -> Result<Vec<PendingOperation>> {
        let trusted = self.verify()?.trustworthy;
        let ids: Vec<String> = {
            let conn = self.lock();
            let mut st = conn
                .prepare(
                    "SELECT operation_id FROM activity s WHERE kind = 'operation_started' AND NOT EXISTS
                     (SELECT 1 FROM activity f WHERE f.operation_id = s.operation_id AND f.kind = 'operation_finished')
                     ORDER BY id",
                )
                .map_err(crate::log::db)?;
            let rows = st.query_map([], |r| r.get(0)).map_err(crate::log::db)?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
                .map_err(crate::log::db)?
        };
        ids.into_iter()
            .map(|id| self.pending(&id, trusted))
            .collect()
    }

    fn pending(&self, id: &str, trusted: bool) -> Result<PendingOperation> {
        let entries = self.operation_entries(id)?;
        let start = entries
            .iter()
            .find(|e| e.kind == EntryKind::OperationStarted)
            .cloned()
            .unwrap_or_else(|| entries[0].clone());
        let outcome_of = |intent: i64| {
            entries
                .iter()
                .find(|e| e.kind == EntryKind::Outcome && e.intent_id == Some(intent))
        };
        let mut completed = Vec::new();
        let mut unresolved = Vec::new();
        for i in entries.iter().filter(|e| e.kind == EntryKind::Intent) {
            match outcome_of(i.id).and_then(|o| o.status) {
                Some(EntryStatus::Ok | EntryStatus::Skipped) => completed.push(i.action.clone()),
                Some(_) => {}
                None => unresolved.push(i.clone()),
            }
        }
        let has_snapshot = {
            let conn = self.lock();
            conn.query_row(
                "SELECT COUNT(*) FROM snapshots WHERE operation_id = ?1",
                [id],
                |r| r.get::<_, i64>(0),
            )
            .map_err(crate::log::db)?
                > 0
        };
        Ok(PendingOperation {
            operation_id: id.to_owned(),
            action: start.action,
            target: start.target,
            actor: start.actor,
            started_at: start.at,
            summary: start.summary,
            completed,
            unresolved,
            has_snapshot,
            trusted,
        })
    }
}
