//! Progress of long work (apply, revoke, audit, status --wait) on stderr: an `indicatif` bar or
//! spinner on a terminal, one plain line per finished step when stderr is not a terminal (CI
//! logs), nothing with `--json`.

use crate::output::Out;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// A bar (known number of steps) or a spinner.
pub struct Progress {
    bar: ProgressBar,
    /// Print finished steps as plain lines (stderr is not a terminal, and not `--json`).
    plain: bool,
}

impl Progress {
    /// A bar of `len` steps.
    pub fn bar(out: &Out, len: u64) -> Self {
        let bar = if out.stderr_tty {
            let bar = ProgressBar::new(len);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            bar,
            plain: !out.json && !out.stderr_tty,
        }
    }

    /// A spinner with `message`.
    pub fn spinner(out: &Out, message: &str) -> Self {
        let bar = if out.stderr_tty {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            bar,
            plain: !out.json && !out.stderr_tty,
        }
    }

    /// What is happening now.
    pub fn message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// A finished step: a line above the bar (or a plain line), and the bar advances.
    pub fn done(&self, line: impl AsRef<str>) {
        self.line(line);
        self.bar.inc(1);
    }

    /// A line above the bar (or a plain line).
    pub fn line(&self, line: impl AsRef<str>) {
        if self.plain {
            eprintln!("{}", line.as_ref());
        } else if !self.bar.is_hidden() {
            self.bar.println(line.as_ref());
        }
    }

    /// A message for people on stderr, above the bar when there is one (also with `--json`).
    pub fn note(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}
