//! The one rule that decides whether a failed HTTP attempt may be sent again.
//!
//! A call is a [`CallKind`]. Whether repeating it is safe depends on what the failure says
//! about the first attempt:
//!
//! | Failure | Read | IdempotentWrite | Write |
//! |---|---|---|---|
//! | 429 `RESOURCE_EXHAUSTED` (quota) | retry | retry | retry |
//! | 503 `UNAVAILABLE` | retry | retry | retry |
//! | 500, 502, 504 | retry | retry | **never** |
//! | transport failure or time-out (no status) | retry | retry | **never** |
//! | anything else (4xx, 409 `ABORTED`, non-HTTP errors) | never | never | never |
//!
//! 429 and 503 mean the request was refused before it was applied (gcp-apis.md §2, the Service
//! Usage retry guidance; cmek-procedure.md §8: CockroachDB answers 429 with `Retry-After` and 503
//! while a cluster is busy), so any call may be repeated, after the server's `Retry-After`.
//! After a 500/502/504, a dropped connection or a time-out the request may have been applied:
//! repeating a create would make a second key version or fail with 409 on something we did
//! create, so only reads and writes that are idempotent by construction are repeated (Terraform's
//! CockroachDB provider likewise retries only GETs at its HTTP layer, cmek-procedure.md §10).
//! 409 `ABORTED` (stale etag) is never repeated as is: it needs a fresh read, which is
//! `cmek_gcp::edit_policy`'s loop ([`crate::policy::ETAG_CONFLICT`]).

use cmek_core::Error;

/// What repeating a call can do, which decides the failures it may be retried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// Changes nothing: GET, and the POSTs that only read (`getIamPolicy` on IAM and Resource
    /// Manager, `testIamPermissions`).
    Read,
    /// Changes something, but sending it twice leaves the same state as sending it once:
    /// `setIamPolicy` carrying the etag of the read (a repeat after success fails with 409
    /// `ABORTED` instead of writing again), setting a field to a given value.
    IdempotentWrite,
    /// A change that must not be repeated blindly: a create (a second key version, a 409 on
    /// what we created), CockroachDB's enable / update / revoke.
    Write,
}

impl CallKind {
    /// The kind an HTTP method has unless the call says otherwise: `GET`/`HEAD` read, every
    /// other method writes (the safe default for a POST).
    pub fn for_method(method: &str) -> Self {
        if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
            Self::Read
        } else {
            Self::Write
        }
    }

    /// True for the kinds that change something (counted and paced as writes).
    pub fn is_write(self) -> bool {
        self != Self::Read
    }

    /// True when repeating the call after an unknown outcome (5xx other than 503, transport
    /// failure, time-out) cannot change more than the first attempt did.
    pub fn is_repeatable(self) -> bool {
        self != Self::Write
    }
}

/// True when a failed attempt of a `kind` call may be sent again (see the module table).
///
/// Reads [`Error::http_status`]; a failure without status counts as transport only when it is
/// [`Error::is_transport`] (code `Unavailable`). Every other failure — any 4xx, a token that
/// could not be obtained, an answer that did not parse, a cancellation — is final.
pub fn may_retry(kind: CallKind, error: &Error) -> bool {
    match error.http_status {
        Some(429 | 503) => true,
        Some(500 | 502 | 504) => kind.is_repeatable(),
        Some(_) => false,
        None => error.is_transport() && kind.is_repeatable(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmek_core::ErrorCode;

    fn http(status: u16) -> Error {
        let code = match status {
            429 => ErrorCode::RateLimited,
            500..=599 => ErrorCode::Unavailable,
            409 => ErrorCode::Conflict,
            404 => ErrorCode::NotFound,
            403 => ErrorCode::PermissionDenied,
            _ => ErrorCode::InvalidArgument,
        };
        Error::new(code, "x").with_status(status)
    }

    /// The module's table, row by row.
    #[test]
    fn the_rule_table() {
        use CallKind::{IdempotentWrite as I, Read as R, Write as W};
        let transport = Error::transport("connection reset by peer");
        let timeout = Error::transport("did not answer within 60 s");
        let rows: Vec<(&str, Error, [bool; 3])> = vec![
            ("429", http(429), [true, true, true]),
            ("503", http(503), [true, true, true]),
            ("500", http(500), [true, true, false]),
            ("502", http(502), [true, true, false]),
            ("504", http(504), [true, true, false]),
            ("transport", transport, [true, true, false]),
            ("time-out", timeout, [true, true, false]),
            ("400", http(400), [false; 3]),
            ("401", http(401), [false; 3]),
            ("403", http(403), [false; 3]),
            ("404", http(404), [false; 3]),
            ("409 ABORTED", http(409), [false; 3]),
            ("501", http(501), [false; 3]),
            (
                "no token",
                Error::new(ErrorCode::Unauthenticated, "x"),
                [false; 3],
            ),
            ("bad JSON", Error::internal("x"), [false; 3]),
            ("cancelled", Error::cancelled("x"), [false; 3]),
            (
                "domain time-out",
                Error::new(ErrorCode::Timeout, "x"),
                [false; 3],
            ),
        ];
        for (name, e, want) in rows {
            let got = [may_retry(R, &e), may_retry(I, &e), may_retry(W, &e)];
            assert_eq!(got, want, "{name}: [Read, IdempotentWrite, Write]");
        }
    }

    #[test]
    fn methods_default_to_the_safe_kind() {
        assert_eq!(CallKind::for_method("GET"), CallKind::Read);
        assert_eq!(CallKind::for_method("head"), CallKind::Read);
        for m in ["POST", "PUT", "PATCH", "DELETE"] {
            assert_eq!(CallKind::for_method(m), CallKind::Write, "{m}");
        }
        assert!(CallKind::IdempotentWrite.is_write() && CallKind::Write.is_write());
        assert!(!CallKind::Read.is_write());
    }
}
