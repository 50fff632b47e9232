//! Comparing a policy read back with the one written: every difference in words (effect,
//! principals, actions, resources, conditions; statements kept from before). No I/O.

use super::policy::{OneOrMany, PolicyDocument, Principal, Statement};
use std::collections::{BTreeMap, BTreeSet};

/// Every difference between `found` (read back) and `meant`, in words: effect, principals,
/// actions, resources and conditions. Empty when they are the same to IAM (order, case of
/// action names, a bare account id for its `:root` ARN and lone-vs-array do not count).
pub fn compare_statement(meant: &Statement, found: &Statement) -> Vec<String> {
    let mut out = Vec::new();
    if meant.effect != found.effect {
        out.push(format!(
            "Effect is {}, meant {}",
            found.effect, meant.effect
        ));
    }
    let pairs = |p: &Option<Principal>| p.as_ref().map(Principal::pairs).unwrap_or_default();
    diff_sets(
        &mut out,
        "principal",
        &fmt_pairs(pairs(&meant.principal)),
        &fmt_pairs(pairs(&found.principal)),
    );
    diff_sets(
        &mut out,
        "NotPrincipal",
        &fmt_pairs(pairs(&meant.not_principal)),
        &fmt_pairs(pairs(&found.not_principal)),
    );
    let lower = |v: &Option<OneOrMany<String>>| -> BTreeSet<String> {
        v.iter()
            .flat_map(|v| v.as_slice())
            .map(|a| a.to_ascii_lowercase())
            .collect()
    };
    let names = |v: &Option<OneOrMany<String>>| -> BTreeMap<String, String> {
        v.iter()
            .flat_map(|v| v.as_slice())
            .map(|a| (a.to_ascii_lowercase(), a.clone()))
            .collect()
    };
    for (label, m, f) in [
        ("action", &meant.action, &found.action),
        ("NotAction", &meant.not_action, &found.not_action),
    ] {
        let (ms, fs) = (lower(m), lower(f));
        let (mn, fnames) = (names(m), names(f));
        for a in ms.difference(&fs) {
            out.push(format!("{label} {} is missing", mn[a]));
        }
        for a in fs.difference(&ms) {
            out.push(format!("{label} {} was added", fnames[a]));
        }
    }
    let set = |v: &Option<OneOrMany<String>>| -> BTreeSet<String> {
        v.iter().flat_map(|v| v.as_slice()).cloned().collect()
    };
    diff_sets(
        &mut out,
        "resource",
        &set(&meant.resource),
        &set(&found.resource),
    );
    diff_sets(
        &mut out,
        "NotResource",
        &set(&meant.not_resource),
        &set(&found.not_resource),
    );
    let (mc, fc) = (meant.condition_triples(), found.condition_triples());
    for (op, key, values) in mc.difference(&fc) {
        match fc.iter().find(|(o, k, _)| o == op && k == key) {
            Some((_, _, now)) => out.push(format!(
                "condition {op} {key} is {}, meant {}",
                now.join(", "),
                values.join(", ")
            )),
            None => out.push(format!(
                "condition {op} {key} = {} is missing",
                values.join(", ")
            )),
        }
    }
    for (op, key, values) in fc.difference(&mc) {
        if !mc.iter().any(|(o, k, _)| o == op && k == key) {
            out.push(format!(
                "condition {op} {key} = {} was added",
                values.join(", ")
            ));
        }
    }
    out
}

fn fmt_pairs(pairs: BTreeSet<(String, String)>) -> BTreeSet<String> {
    pairs
        .into_iter()
        .map(|(k, id)| if k == "*" { id } else { format!("{k}:{id}") })
        .collect()
}

fn diff_sets(
    out: &mut Vec<String>,
    label: &str,
    meant: &BTreeSet<String>,
    found: &BTreeSet<String>,
) {
    for x in meant.difference(found) {
        out.push(format!("{label} {x} is missing"));
    }
    for x in found.difference(meant) {
        out.push(format!("{label} {x} was added"));
    }
}

/// Every difference between a policy read back and the one written: the statement `sid` is
/// compared with [`compare_statement`] (prefixed by its Sid), and every other statement meant
/// must still be there unchanged.
pub fn compare_policy(meant: &PolicyDocument, found: &PolicyDocument, sid: &str) -> Vec<String> {
    let mut out = Vec::new();
    match (meant.find_sid(sid), found.find_sid(sid)) {
        (Some(m), Some(f)) => out.extend(
            compare_statement(m, f)
                .into_iter()
                .map(|d| format!("statement {sid}: {d}")),
        ),
        (Some(_), None) => out.push(format!("statement {sid} is missing")),
        _ => {}
    }
    for (i, m) in meant.statements().iter().enumerate() {
        if m.sid.as_deref() == Some(sid) {
            continue;
        }
        // A kept statement with a Sid is compared with the one of the same Sid, so what it lost
        // or gained is named; one without a Sid must still be there as it was.
        let same_sid = m.sid.as_ref().and_then(|s| {
            found
                .statements()
                .iter()
                .find(|f| f.sid.as_ref() == Some(s))
        });
        match (same_sid, &m.sid) {
            (Some(f), Some(name)) => out.extend(
                compare_statement(m, f)
                    .into_iter()
                    .map(|d| format!("statement {name} (kept from before): {d}")),
            ),
            (None, Some(name)) => {
                out.push(format!("statement {name} (kept from before) is missing"))
            }
            (_, None) => {
                if !found
                    .statements()
                    .iter()
                    .any(|f| compare_statement(m, f).is_empty())
                {
                    out.push(format!(
                        "statement #{} (kept from before) is missing or changed",
                        i + 1
                    ));
                }
            }
        }
    }
    out
}
