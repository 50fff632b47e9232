//! The crash harness's kill point (issue 13, "a crash at every write"): in debug builds only,
//! `CMEK_DESK_KILL_AT` makes this process kill itself with SIGKILL at one exact place around
//! one write call, so a test can prove that a restart finishes or rolls back what was cut off.
//! Release builds do not contain this module (`#[cfg(all(debug_assertions, unix))]` in
//! `main.rs`).
//!
//! The hook is `cmek_core::observe::set_call_hook`, which the Google, CockroachDB and AWS
//! HTTP layers tell about every call attempt. Writes are numbered from 1 in the order their
//! requests are about to be sent (every attempt counts). `CMEK_DESK_KILL_AT` is one of:
//! - `N:before` — write N's intent is in the activity log, its request is not sent;
//! - `N:after-apply` — write N's answer arrived (the change is applied), its outcome is not
//!   logged yet;
//! - `N:after-log` — write N's outcome is logged: killed right after the activity log records
//!   the next outcome (`CallPoint::OutcomeLogged`), which is write N's;
//! - `list` — nothing is killed; every write is reported.
//!
//! Every write is reported on stderr as `cmek-kill-point: write N SERVICE METHOD URL`, and
//! the kill itself as `cmek-kill-point: SIGKILL at N:PHASE`, so the harness can name the
//! writes it killed at. The kill is `kill(getpid(), SIGKILL)` (rustix): no destructor, no
//! flush, no exit handler runs, as when the machine or the user kills the app.

use cmek_core::observe::{set_call_hook, CallPoint, CallSite};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// The environment variable read at start-up.
pub const VARIABLE: &str = "CMEK_DESK_KILL_AT";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    AfterApply,
    AfterLog,
}

/// Installs the hook when `CMEK_DESK_KILL_AT` is set. A value that is not understood stops
/// the command (exit 2) with the rule, rather than silently running without the kill point.
pub fn install_from_env() -> Result<(), String> {
    let Ok(value) = std::env::var(VARIABLE) else {
        return Ok(());
    };
    let target = parse(value.trim())?;
    let writes = AtomicU32::new(0);
    let armed = AtomicBool::new(false);
    set_call_hook(Box::new(move |point, site: &CallSite<'_>| match point {
        CallPoint::Start => {}
        CallPoint::OutcomeLogged => {
            if armed.load(Ordering::SeqCst) {
                kill(&format!("{}:after-log", writes.load(Ordering::SeqCst)));
            }
        }
        CallPoint::WriteSend => {
            let n = writes.fetch_add(1, Ordering::SeqCst) + 1;
            report(&format!(
                "write {n} {} {} {}",
                site.service, site.method, site.url
            ));
            if target == Some((n, Phase::Before)) {
                kill(&format!("{n}:before"));
            }
        }
        CallPoint::WriteAnswered => {
            let n = writes.load(Ordering::SeqCst);
            match target {
                Some((t, Phase::AfterApply)) if t == n => kill(&format!("{n}:after-apply")),
                Some((t, Phase::AfterLog)) if t == n => armed.store(true, Ordering::SeqCst),
                _ => {}
            }
        }
    }));
    Ok(())
}

/// `list` → `None`; `N:before|after-apply|after-log` → `Some((N, phase))`.
fn parse(value: &str) -> Result<Option<(u32, Phase)>, String> {
    if value == "list" {
        return Ok(None);
    }
    let rule = format!(
        "{VARIABLE}: expected `list` or WRITE:PHASE with WRITE a number from 1 and PHASE one of before, after-apply, after-log (got \"{value}\")"
    );
    let (n, phase) = value.split_once(':').ok_or_else(|| rule.clone())?;
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| rule.clone())?;
    let phase = match phase {
        "before" => Phase::Before,
        "after-apply" => Phase::AfterApply,
        "after-log" => Phase::AfterLog,
        _ => return Err(rule),
    };
    Ok(Some((n, phase)))
}

fn report(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "cmek-kill-point: {line}");
    let _ = err.flush();
}

fn kill(at: &str) {
    report(&format!("SIGKILL at {at}"));
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    // SIGKILL cannot be caught; should the call fail, never go on past the kill point.
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kill_point_is_parsed_or_refused_with_its_rule() {
        assert_eq!(parse("list"), Ok(None));
        assert_eq!(parse("3:before"), Ok(Some((3, Phase::Before))));
        assert_eq!(parse("1:after-apply"), Ok(Some((1, Phase::AfterApply))));
        assert_eq!(parse("12:after-log"), Ok(Some((12, Phase::AfterLog))));
        for bad in ["0:before", "x:before", "3", "3:later", ""] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("CMEK_DESK_KILL_AT") && e.contains(bad), "{e}");
        }
    }
}
