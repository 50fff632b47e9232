//! Path-template matching shared by the Google and Cockroach route tables.
//!
//! A template such as `v1/projects/{projectsId}/keyRings/{keyRingsId}:getIamPolicy` is split
//! into `/`-separated segments plus an optional custom verb after the last `:`. A `{var}`
//! segment matches exactly one non-empty segment (never across `/`); `{+var}` (discovery
//! reserved expansion, only used when a method has no `flatPath`) matches one or more
//! segments. When several templates match, the most specific wins: a template with a custom
//! verb beats one without (so `r:getIamPolicy` is never read as a key ring named
//! `r:getIamPolicy`), then the one with more literal segments (`clusters/available-regions`
//! beats `clusters/{cluster_id}`).

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// One segment.
    Var,
    /// One or more segments (`{+name}`).
    Rest,
}

/// A compiled path template pointing at an entry of type `T`.
#[derive(Debug, Clone)]
pub(crate) struct Route<T> {
    http_method: String,
    segments: Vec<Segment>,
    verb: Option<String>,
    pub(crate) target: T,
}

impl<T> Route<T> {
    /// Compiles `template` (no leading `/` expected; one is stripped if present).
    pub(crate) fn new(http_method: &str, template: &str, target: T) -> Self {
        let template = template.trim_start_matches('/');
        let mut parts: Vec<&str> = template.split('/').collect();
        let mut verb = None;
        if let Some(last) = parts.last_mut() {
            // A custom verb follows the last ':' outside braces.
            let close = last.rfind('}').map_or(0, |i| i + 1);
            if let Some(colon) = last[close..].find(':') {
                let at = close + colon;
                verb = Some(last[at + 1..].to_owned());
                *last = &last[..at];
            }
        }
        let segments = parts
            .into_iter()
            .map(|p| {
                if p.starts_with("{+") && p.ends_with('}') {
                    Segment::Rest
                } else if p.starts_with('{') && p.ends_with('}') {
                    Segment::Var
                } else {
                    Segment::Literal(p.to_owned())
                }
            })
            .collect();
        Self {
            http_method: http_method.to_ascii_uppercase(),
            segments,
            verb,
            target,
        }
    }

    /// Returns a specificity score when `path` (already stripped of query) matches.
    fn score(&self, http_method: &str, path: &str) -> Option<(u8, usize)> {
        if !self.http_method.eq_ignore_ascii_case(http_method) {
            return None;
        }
        let path = path.trim_start_matches('/');
        let body = match &self.verb {
            Some(verb) => {
                let (body, got) = path.rsplit_once(':')?;
                if got != verb || body.ends_with('/') {
                    return None;
                }
                body
            }
            // Without a verb, a ':' in the last segment is someone else's custom verb.
            None if path
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':')) =>
            {
                return None
            }
            None => path,
        };
        let parts: Vec<&str> = body.split('/').collect();
        if !match_segments(&self.segments, &parts) {
            return None;
        }
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        Some((u8::from(self.verb.is_some()), literals))
    }
}

fn match_segments(template: &[Segment], parts: &[&str]) -> bool {
    match template.split_first() {
        None => parts.is_empty(),
        Some((Segment::Rest, rest)) => {
            // Greedy-free: try every split that leaves at least one segment to the variable.
            (1..=parts.len()).any(|n| {
                parts[..n].iter().all(|p| !p.is_empty()) && match_segments(rest, &parts[n..])
            })
        }
        Some((seg, rest)) => {
            let Some((first, others)) = parts.split_first() else {
                return false;
            };
            let ok = match seg {
                Segment::Literal(l) => l == first,
                Segment::Var => !first.is_empty(),
                Segment::Rest => unreachable!("handled above"),
            };
            ok && match_segments(rest, others)
        }
    }
}

/// Picks the most specific route matching `http_method path` (query string ignored).
pub(crate) fn best_match<'a, T>(
    routes: &'a [Route<T>],
    http_method: &str,
    path: &str,
) -> Option<&'a Route<T>> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    routes
        .iter()
        .filter_map(|r| r.score(http_method, path).map(|s| (s, r)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<Route<&'static str>> {
        vec![
            Route::new("GET", "v1/projects/{p}/keyRings/{k}", "get"),
            Route::new("GET", "v1/projects/{p}/keyRings/{k}:getIamPolicy", "getIam"),
            Route::new(
                "POST",
                "v1/projects/{p}/services:batchEnable",
                "batchEnable",
            ),
            Route::new("POST", "v1/projects/{p}/services/{s}:enable", "enable"),
            Route::new("GET", "v1/{+name}", "rest"),
            Route::new("GET", "/api/v1/clusters/{cluster_id}", "cluster"),
            Route::new("GET", "/api/v1/clusters/available-regions", "regions"),
        ]
    }

    fn find(m: &str, p: &str) -> Option<&'static str> {
        best_match(&table(), m, p).map(|r| r.target)
    }

    #[test]
    fn verbs_and_segments() {
        assert_eq!(find("GET", "v1/projects/p/keyRings/r"), Some("get"));
        assert_eq!(
            find("GET", "v1/projects/p/keyRings/r:getIamPolicy"),
            Some("getIam")
        );
        assert_eq!(
            find("get", "v1/projects/p/keyRings/r?alt=json"),
            Some("get")
        );
        assert_eq!(
            find("POST", "v1/projects/p/services:batchEnable"),
            Some("batchEnable")
        );
        assert_eq!(
            find("POST", "v1/projects/p/services/a.googleapis.com:enable"),
            Some("enable")
        );
        assert_eq!(find("POST", "v1/projects/p/services/a:disable"), None);
        // `{x}` never spans '/', `{+x}` may.
        assert_eq!(find("GET", "v1/projects/p/keyRings/r/extra"), Some("rest"));
        assert_eq!(find("GET", "v1/projects//keyRings/r"), None);
        assert_eq!(find("GET", "v1/projects/p/keyRings/r:bogus"), None);
        assert_eq!(
            find("GET", "/api/v1/clusters/available-regions"),
            Some("regions")
        );
        assert_eq!(find("GET", "/api/v1/clusters/abc"), Some("cluster"));
        assert_eq!(find("DELETE", "/api/v1/clusters/abc"), None);
    }
}
