//! Where and how results are printed: JSON on stdout with `--json` (stable: the core's own
//! camelCase types), tables and short lines for people otherwise, and errors on stderr as
//! `error: …` naming the argument and the rule.
//!
//! Colour only when stdout is a terminal and `NO_COLOR` is unset; tables are plain (no borders)
//! when stdout is not a terminal, so they can be piped into `grep` or `awk`.

use cmek_core::{Error, ErrorCode};
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use serde::Serialize;
use std::io::IsTerminal;

/// How this run prints.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// `--json`: stdout carries JSON only.
    pub json: bool,
    /// Colour on stdout (a terminal and no `NO_COLOR`).
    pub colour: bool,
    /// stdout is a terminal (tables with borders).
    pub stdout_tty: bool,
    /// stderr is a terminal (progress bars and spinners).
    pub stderr_tty: bool,
}

/// A meaning, mapped to a colour when colour is on.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
    Warn,
    Dim,
}

impl Out {
    pub fn detect(json: bool) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            json,
            colour: stdout_tty && !no_color,
            stdout_tty,
            stderr_tty: std::io::stderr().is_terminal() && !json,
        }
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: Serialize + ?Sized>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot render JSON: {e}"),
        }
    }

    /// `text` in the colour of `tone` (plain without colour).
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        let style = console::Style::new().force_styling(self.colour);
        let style = match tone {
            Tone::Good => style.green(),
            Tone::Bad => style.red().bold(),
            Tone::Warn => style.yellow(),
            Tone::Dim => style.dim(),
        };
        style.apply_to(text).to_string()
    }

    /// A table with `header`, bordered on a terminal and plain otherwise.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut table = Table::new();
        if self.stdout_tty {
            table
                .load_preset(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table.load_preset(presets::NOTHING);
        }
        table.set_header(header.iter().map(Cell::new));
        table
    }

    /// `text` shortened to its last `n` characters on a terminal (where columns must fit), whole
    /// when piped (so scripts get full resource names).
    pub fn fit(&self, text: &str, n: usize) -> String {
        if self.stdout_tty {
            short(text, n)
        } else {
            text.to_owned()
        }
    }

    /// Prints `table` on stdout; without a terminal, lines carry no trailing padding.
    pub fn print_table(&self, table: &Table) {
        if self.stdout_tty {
            println!("{table}");
        } else {
            for line in table.lines() {
                println!("{}", line.trim_end());
            }
        }
    }

    /// A cell coloured by `tone` when colour is on.
    pub fn cell(&self, text: impl std::fmt::Display, tone: Option<Tone>) -> Cell {
        let cell = Cell::new(text);
        match (self.colour, tone) {
            (true, Some(Tone::Good)) => cell.fg(Color::Green),
            (true, Some(Tone::Bad)) => cell.fg(Color::Red),
            (true, Some(Tone::Warn)) => cell.fg(Color::Yellow),
            (true, Some(Tone::Dim)) => cell.fg(Color::DarkGrey),
            _ => cell,
        }
    }

    /// A CockroachDB CMEK status (`ENABLED`, `REVOKED`, `ENABLE_FAILED`, …) as a cell.
    pub fn status_cell(&self, status: &str) -> Cell {
        self.cell(status, Some(status_tone(status)))
    }

    /// A note for people on stderr (never on stdout, so `--json` output stays parseable).
    pub fn note(&self, text: impl std::fmt::Display) {
        eprintln!("{text}");
    }

    /// Prints `error` on stderr as `error: …` (with a hint for what to do next when there is
    /// one) and, with `--json`, as `{"error": {…}}` on stdout.
    pub fn error(&self, error: &Error) {
        eprintln!("error: {}", error.message);
        if let Some(hint) = hint(error) {
            eprintln!("hint: {hint}");
        }
        if self.json {
            self.print_json(&serde_json::json!({ "error": error }));
        }
    }
}

/// The tone of a CMEK status string.
pub fn status_tone(status: &str) -> Tone {
    match status {
        "ENABLED" => Tone::Good,
        s if s.ends_with("_FAILED") || s == "REVOKED" => Tone::Bad,
        "DISABLED" | "" => Tone::Dim,
        _ => Tone::Warn,
    }
}

fn hint(error: &Error) -> Option<&'static str> {
    match error.code {
        ErrorCode::Unauthenticated => Some(
            "sign in with `cmek login google` and `cmek login cockroach`, or use --sandbox / --sandbox-url",
        ),
        ErrorCode::Keychain => Some(
            "`cmek login` keeps credentials in the OS keychain only; start or unlock it (Secret Service on Linux)",
        ),
        _ => None,
    }
}

/// The last `n` characters of a long resource name, for narrow table columns.
pub fn short(text: &str, n: usize) -> String {
    let count = text.chars().count();
    if count <= n {
        text.to_owned()
    } else {
        let tail: String = text.chars().skip(count - (n - 1)).collect();
        format!("…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keeps_the_tail() {
        assert_eq!(short("abc", 5), "abc");
        assert_eq!(short("projects/p/keyRings/r", 6), "…ngs/r");
    }

    #[test]
    fn no_colour_means_plain_text() {
        let out = Out {
            json: false,
            colour: false,
            stdout_tty: false,
            stderr_tty: false,
        };
        assert_eq!(out.paint("ENABLED", Tone::Good), "ENABLED");
    }
}
