//! `cmek activity` shows one row per write with its final state (issue 11), as the window's
//! Activity table does: a setup killed (SIGKILL, debug-build kill point) right after a write
//! was applied leaves that write's intent without an outcome, shown `no outcome recorded`;
//! every other write shows `ok` on its intent's row; no row says `pending`; `--json` keeps
//! every entry as written.

mod common;

use cmek_sandbox::seed::DEMO_PROJECT_ID;
use common::{Cli, Served};

const CLUSTER: &str = "prod-payments";

/// The table's data rows whose ACTION column is `action` (`#` first, so rows start with a digit).
fn rows_for<'a>(table: &'a str, action: &str) -> Vec<&'a str> {
    table
        .lines()
        .filter(|l| l.split_whitespace().any(|w| w == action))
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

#[test]
fn a_write_cut_off_by_a_crash_shows_no_outcome_recorded_and_the_others_their_outcome() {
    let served = Served::fast();
    let apply = [
        "apply",
        CLUSTER,
        "--yes",
        "--project",
        DEMO_PROJECT_ID,
        "--rotation",
        "never",
    ];
    // Killed after the third write was applied, before its outcome was logged.
    let cli = Cli::new(&served);
    let run = cli
        .command(&apply)
        .env("CMEK_DESK_KILL_AT", "3:after-apply")
        .output()
        .expect("run cmek");
    assert!(
        !run.status.success(),
        "the kill point stopped the apply: {run:?}"
    );
    let entries = cli.activity();
    let intents: Vec<_> = entries.iter().filter(|e| e["kind"] == "intent").collect();
    let outcomes = entries.iter().filter(|e| e["kind"] == "outcome").count();
    assert_eq!(intents.len(), 3, "{entries:#?}");
    assert_eq!(outcomes, 2, "the third write has no outcome: {entries:#?}");
    let cut_off = intents[2]["action"].as_str().unwrap().to_owned();

    let table = cli.run(&["activity"]).expect(0).stdout;
    assert!(
        !table.contains("pending"),
        "no row says pending beside its outcome:\n{table}"
    );
    let data_rows = table
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(
        data_rows,
        entries.len() - outcomes,
        "one row per write (outcomes folded in):\n{table}"
    );
    for intent in &intents[..2] {
        let id = intent["id"].to_string();
        let row = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("row #{id}:\n{table}"));
        assert!(row.contains(" write ") && row.contains(" ok "), "{row}");
    }
    let lost = rows_for(&table, &cut_off);
    assert!(
        lost.iter().any(|r| r.contains("no outcome recorded")),
        "{cut_off}:\n{table}"
    );

    // Applying again finishes the setup; the cut-off intent keeps telling the truth.
    cli.run(&apply).expect(0);
    let table = cli.run(&["activity"]).expect(0).stdout;
    assert_eq!(
        table.matches("no outcome recorded").count(),
        1,
        "only the cut-off write:\n{table}"
    );
    assert!(!table.contains("pending"), "{table}");
}
