//! Exact time arithmetic for the checks: google-duration strings (`"7776000s"`,
//! `"7776000.000000001s"`) parsed to nanoseconds without floating point, RFC 3339 times parsed
//! with `time`. Comparisons are in exact nanoseconds, never floored to days (the Prowler quirk
//! where `7776001s` counts as 90 days, audit-checks.md §1.1).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Parses a google-duration (`"<seconds>[.<fraction>]s"`, optional leading `-`) to nanoseconds.
/// `None` when malformed.
pub fn duration_nanos(s: &str) -> Option<i128> {
    let body = s.trim().strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || frac.len() > 9
    {
        return None;
    }
    let secs: i128 = int.parse().ok()?;
    let mut frac_n: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..9 {
        frac_n *= 10;
    }
    let n = secs.checked_mul(NANOS_PER_SEC)?.checked_add(frac_n)?;
    Some(if neg { -n } else { n })
}

/// Whole seconds of a google-duration, rounded up (for display and export).
pub fn duration_seconds_ceil(s: &str) -> Option<i64> {
    let n = duration_nanos(s)?;
    i64::try_from((n + NANOS_PER_SEC - 1).div_euclid(NANOS_PER_SEC)).ok()
}

/// Parses an RFC 3339 time.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// `b - a` in nanoseconds.
pub fn nanos_between(a: OffsetDateTime, b: OffsetDateTime) -> i128 {
    (b - a).whole_nanoseconds()
}

/// Formats a time as RFC 3339 (UTC).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact() {
        assert_eq!(duration_nanos("7776000s"), Some(7_776_000 * NANOS_PER_SEC));
        assert_eq!(
            duration_nanos("7776000.000000001s"),
            Some(7_776_000 * NANOS_PER_SEC + 1)
        );
        assert_eq!(duration_nanos("1.5s"), Some(1_500_000_000));
        assert_eq!(duration_nanos("7776000"), None);
        assert_eq!(duration_nanos("abcs"), None);
        assert_eq!(duration_nanos("1.0000000001s"), None);
        assert_eq!(duration_seconds_ceil("7776000.1s"), Some(7_776_001));
        assert_eq!(duration_seconds_ceil("86400s"), Some(86_400));
    }
}
