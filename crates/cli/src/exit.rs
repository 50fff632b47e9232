//! The documented exit codes and how a core error maps to one, with the core's field names
//! rewritten to the flags and arguments the user typed (`rotation_period_days` → `--rotation`).
//!
//! | Code | Meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the operation failed |
//! | 2 | usage error or invalid input (clap's own errors exit 2 too) |
//! | 3 | `audit --fail-on`: FAIL findings at or above the threshold exist |
//! | 130 | cancelled by Ctrl-C |
//! | 141 | (Unix) the reader of the output went away (`cmek … \| head -1`): ended quietly, the code a shell gives a tool ended by `SIGPIPE` (`main.rs`) |

use cmek_core::{Error, ErrorCode};

pub const OK: u8 = 0;
pub const FAILED: u8 = 1;
pub const USAGE: u8 = 2;
pub const THRESHOLD: u8 = 3;
pub const CANCELLED: u8 = 130;

/// What a command returns: its exit code, or the error that ended it.
pub type Outcome = Result<u8, Error>;

/// The exit code of a failed command.
pub fn code_of(error: &Error) -> u8 {
    match error.code {
        ErrorCode::InvalidInput => USAGE,
        ErrorCode::Cancelled => CANCELLED,
        _ => FAILED,
    }
}

/// The core's field names and the command-line arguments they come from.
const FIELDS: &[(&str, &str)] = &[
    ("cluster_id", "CLUSTER"),
    ("project", "--project"),
    ("service_account_id", "--service-account"),
    ("key_ring", "--key-ring"),
    ("crypto_key", "--key"),
    ("layout.location", "--multi-region"),
    ("rotation_period_days", "--rotation"),
    ("region", "--region"),
    ("node_count", "--nodes"),
    ("confirm_name", "--confirm"),
    ("sandbox URL", "--sandbox-url"),
];

/// Renames the field an `INVALID_INPUT` error names to the argument the user typed.
pub fn in_user_terms(mut error: Error) -> Error {
    if error.code != ErrorCode::InvalidInput {
        return error;
    }
    for (field, arg) in FIELDS {
        // The core names the field by its label and carries its key in `resource` (`Key ID: …`,
        // resource `crypto_key`): on the command line, the flag the user typed.
        if error.resource.as_deref() == Some(*field) && !error.message.starts_with(field) {
            if let Some((_label, rule)) = error.message.split_once(": ") {
                error.message = format!("{arg}: {rule}");
                error.resource = Some((*arg).to_owned());
                break;
            }
        }
        if let Some(rule) = error.message.strip_prefix(&format!("{field}: ")) {
            error.message = format!("{arg}: {rule}");
            error.resource = Some((*arg).to_owned());
            break;
        }
    }
    error
}

/// An `INVALID_INPUT` error about argument `arg`: `"{arg}: {rule}"`.
pub fn invalid(arg: &str, rule: impl std::fmt::Display) -> Error {
    Error::invalid_input(arg, rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_fields_become_flags_and_codes_follow_the_table() {
        let e = in_user_terms(Error::invalid_input("confirm_name", "type the name"));
        assert_eq!(e.message, "--confirm: type the name");
        let labelled = cmek_core::setup_fields::fields::ROTATION.error("-5 is negative");
        assert_eq!(
            in_user_terms(labelled).message,
            "--rotation: -5 is negative"
        );
        assert_eq!(code_of(&e), USAGE);
        assert_eq!(code_of(&Error::cancelled("stop")), CANCELLED);
        assert_eq!(
            code_of(&Error::new(ErrorCode::FailedPrecondition, "x")),
            FAILED
        );
        let other = in_user_terms(Error::new(ErrorCode::NotFound, "project: gone"));
        assert_eq!(other.message, "project: gone");
    }
}
