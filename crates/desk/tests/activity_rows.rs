//! The activity log as the officer reads it, through the application core after a real setup
//! against the in-process sandbox over HTTP: one row per write, each intent paired with its
//! outcome (none left "pending"), and the activity export named by the one export rule
//! (`cmek-activity-YYYYMMDD-HHMMSSZ.{json|csv}`) in the export folder the audit uses too.

mod scan_kept;

use cmek_activity::{EntryKind, ExportFormat};
use cmek_core::plan::{ApplyEvent, ConnectionMode};
use cmek_desk_core::activity_rows::RowState;
use cmek_desk_core::session::{Keychain, Session};
use cmek_desk_core::settings::Settings;
use cmek_desk_core::Desk;
use cmek_keychain::InMemoryStore;
use cmek_sandbox::seed::{DEMO_PROJECT_ID, SINGLE_REGION_CLUSTER_ID};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

async fn connected(dir: &Path) -> Desk {
    let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
    let desk = Desk::new(Session::new(
        settings,
        Keychain::Given(Arc::new(InMemoryStore::default())),
    ));
    let info = desk.connect_sandbox().await.expect("sandbox connects");
    assert_eq!(info.mode, ConnectionMode::Sandbox);
    {
        let slot = desk.sandbox.lock().await;
        let handle = slot.as_ref().expect("sandbox running");
        handle.set_iam_propagation(Duration::ZERO);
        handle.set_cmek_transition(Duration::ZERO, 0);
    }
    desk
}

fn ignore(_: ApplyEvent) {}

/// `cmek-activity-YYYYMMDD-HHMMSSZ.{ext}` (or `…Z-N.{ext}` for a second one in that second).
fn is_export_name(name: &str, ext: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("cmek-activity-")
        .and_then(|r| r.strip_suffix(&format!(".{ext}")))
    else {
        return false;
    };
    let (stamp, n) = rest
        .split_once("Z-")
        .unwrap_or((rest.trim_end_matches('Z'), "2"));
    let b = stamp.as_bytes();
    stamp.len() == 15
        && b[8] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit())
        && n.chars().all(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn a_setup_shows_one_row_per_write_with_its_outcome_and_exports_under_one_name() {
    let dir = scan_kept::kept_tempdir();
    let desk = connected(dir.path()).await;
    let mut request = desk.suggest_setup(SINGLE_REGION_CLUSTER_ID).await.unwrap();
    request.project = DEMO_PROJECT_ID.to_owned();
    let plan = desk.plan_setup(request).await.unwrap();
    assert!(plan.changes > 0, "a first setup changes something");
    desk.apply_setup(&plan.plan_id, &ignore)
        .await
        .expect("applied");

    let entries = desk.activity_entries().unwrap();
    let intents = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .count();
    let outcomes = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Outcome)
        .count();
    assert!(intents > 3, "setup logged its writes: {intents}");
    assert_eq!(intents, outcomes, "every write got an outcome");

    let rows = desk.activity_rows().unwrap();
    let writes: Vec<_> = rows
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Intent)
        .collect();
    assert_eq!(writes.len(), intents, "one row per write");
    assert_eq!(
        rows.len(),
        entries.len()
            - outcomes
            - entries
                .iter()
                .filter(|e| e.kind == EntryKind::OperationFinished)
                .count(),
        "outcomes and finishes are folded into their rows"
    );
    for w in &writes {
        let outcome = w.outcome.as_ref().expect("paired with its outcome");
        assert_eq!(outcome.intent_id, Some(w.entry.id));
        assert_eq!(outcome.action, w.entry.action);
        assert!(
            matches!(w.state, RowState::Ok | RowState::Skipped),
            "{} on {}: {:?}",
            w.entry.action,
            w.entry.target,
            w.state
        );
    }
    assert!(
        !rows.iter().any(|r| r.state == RowState::NoOutcome),
        "nothing is left without its outcome after a finished apply"
    );
    // The same rows serialised for the window: the state, never the intent's "pending".
    let wire = serde_json::to_value(writes[0]).unwrap();
    assert_eq!(wire["state"], "ok");
    assert_eq!(wire["entry"]["status"], "pending");
    assert_eq!(wire["outcome"]["status"], "ok");

    // Exports: one name rule, in the export folder, never overwriting each other.
    let export_dir = desk.export_dir().unwrap();
    let mut names = Vec::new();
    for (format, ext) in [
        (ExportFormat::Json, "json"),
        (ExportFormat::Csv, "csv"),
        (ExportFormat::Csv, "csv"),
    ] {
        let path = std::path::PathBuf::from(desk.export_activity(format).await.unwrap());
        assert_eq!(path.parent(), Some(export_dir.as_path()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(is_export_name(&name, ext), "{name}");
        assert!(!names.contains(&name), "{name} overwrote an earlier export");
        names.push(name);
    }
}
