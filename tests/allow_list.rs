//! The window's security surface against its reviewed allow-list (`src-tauri/allow-list.toml`):
//! the Content-Security-Policy of `tauri.conf.json`, directive by directive, and every
//! permission every capability in `src-tauri/capabilities/*.json` grants. Any difference — a
//! source, a directive, a permission, a window, a capability file — fails the test, named, with
//! how to update the allow-list when the change is intended.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ALLOW_LIST: &str = "src-tauri/allow-list.toml";
const HOW_TO_UPDATE: &str = "If the change is intended, edit src-tauri/allow-list.toml in the \
same commit (CSP: the directive's sources under [csp]; a permission: the capability's \
`permissions` list under [capabilities.<identifier>]; a new command is `allow-<command-name>`, \
a plugin's `<plugin>:allow-<command>`), so the review sees the widened surface.";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `directive source source; …` → directive → sources (order kept; duplicates are differences).
fn parse_csp(csp: &str) -> BTreeMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

/// `app.security.csp`: a string, or Tauri's object form (directive → string or list).
fn configured_csp() -> BTreeMap<String, Vec<String>> {
    let conf: Value =
        serde_json::from_slice(&std::fs::read(root().join("tauri.conf.json")).unwrap()).unwrap();
    match &conf["app"]["security"]["csp"] {
        Value::String(s) => parse_csp(s),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let sources = match v {
                    Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
                    Value::Array(a) => a
                        .iter()
                        .map(|s| s.as_str().unwrap_or("?").to_owned())
                        .collect(),
                    other => vec![other.to_string()],
                };
                (k.to_ascii_lowercase(), sources)
            })
            .collect(),
        Value::Null => BTreeMap::new(),
        other => panic!("tauri.conf.json app.security.csp has an unexpected shape: {other}"),
    }
}

/// A permission as text: its identifier, or the whole scoped object as compact JSON.
fn permission_text(p: &Value) -> String {
    p.as_str().map_or_else(|| p.to_string(), str::to_owned)
}

struct Capability {
    windows: Vec<String>,
    permissions: Vec<String>,
}

fn capabilities(dir: &Path) -> BTreeMap<String, Capability> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: Value = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => serde_json::from_str(&text).unwrap(),
            Some("toml") => {
                serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap()
            }
            _ => continue,
        };
        let id = v["identifier"].as_str().unwrap_or("?").to_owned();
        let list = |k: &str| -> Vec<String> {
            v[k].as_array()
                .map(|a| a.iter().map(permission_text).collect())
                .unwrap_or_default()
        };
        out.insert(
            id,
            Capability {
                windows: list("windows"),
                permissions: list("permissions"),
            },
        );
    }
    out
}

/// What `allowed` has that `actual` lacks and the reverse, as sentences.
fn compare(what: &str, actual: &[String], allowed: &[String], out: &mut Vec<String>) {
    let a: BTreeSet<&String> = actual.iter().collect();
    let b: BTreeSet<&String> = allowed.iter().collect();
    for extra in a.difference(&b) {
        out.push(format!(
            "{what}: `{extra}` is granted but not in the allow-list"
        ));
    }
    for gone in b.difference(&a) {
        out.push(format!(
            "{what}: `{gone}` is in the allow-list but no longer granted"
        ));
    }
    if a.len() != actual.len() {
        out.push(format!("{what}: an entry is listed twice"));
    }
}

/// Every difference between the configured `csp` and capabilities in `caps_dir` and the
/// allow-list text.
fn differences(
    csp: &BTreeMap<String, Vec<String>>,
    caps_dir: &Path,
    allow_list: &str,
) -> Vec<String> {
    let allowed: toml::Value =
        toml::from_str(allow_list).expect("src-tauri/allow-list.toml is TOML");
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();

    let allowed_csp = allowed
        .get("csp")
        .and_then(|c| c.as_table())
        .cloned()
        .unwrap_or_default();
    let names: BTreeSet<&String> = csp.keys().chain(allowed_csp.keys()).collect();
    for name in names {
        compare(
            &format!("tauri.conf.json CSP directive `{name}`"),
            csp.get(name).map(Vec::as_slice).unwrap_or_default(),
            &strings(allowed_csp.get(name.as_str())),
            &mut out,
        );
    }

    let caps = capabilities(caps_dir);
    let allowed_caps = allowed
        .get("capabilities")
        .and_then(|c| c.as_table())
        .cloned()
        .unwrap_or_default();
    for (id, cap) in &caps {
        let Some(entry) = allowed_caps.get(id) else {
            out.push(format!(
                "capability `{id}` (src-tauri/capabilities) is not in the allow-list"
            ));
            continue;
        };
        let file = format!("capability `{id}`");
        compare(
            &format!("{file} windows"),
            &cap.windows,
            &strings(entry.get("windows")),
            &mut out,
        );
        compare(
            &format!("{file} permission"),
            &cap.permissions,
            &strings(entry.get("permissions")),
            &mut out,
        );
    }
    for id in allowed_caps.keys().filter(|id| !caps.contains_key(*id)) {
        out.push(format!(
            "capability `{id}` is in the allow-list but no such capability file exists"
        ));
    }
    out
}

#[test]
fn csp_and_capabilities_match_the_reviewed_allow_list() {
    let allow_list = std::fs::read_to_string(root().join(ALLOW_LIST)).expect(ALLOW_LIST);
    let caps_dir = root().join("src-tauri/capabilities");
    let diffs = differences(&configured_csp(), &caps_dir, &allow_list);
    assert!(
        diffs.is_empty(),
        "the window's security surface differs from {ALLOW_LIST}:\n  - {}\n{HOW_TO_UPDATE}",
        diffs.join("\n  - ")
    );
}

#[test]
fn the_check_names_every_kind_of_difference() {
    // A fake configuration beside an allow-list that differs in each way.
    let dir = std::env::temp_dir().join(format!("cmek-allow-list-{}", std::process::id()));
    let caps = dir.join("capabilities");
    std::fs::create_dir_all(&caps).unwrap();
    let csp =
        parse_csp("default-src 'self'; connect-src ipc: https://evil.example; img-src 'self'");
    std::fs::write(
        caps.join("default.json"),
        r#"{"identifier":"default","windows":["main"],"permissions":["allow-a","dialog:allow-open",{"identifier":"fs:allow-read","allow":[{"path":"$HOME/**"}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        caps.join("extra.json"),
        r#"{"identifier":"extra","windows":["*"],"permissions":["allow-b"]}"#,
    )
    .unwrap();
    let allow_list = r#"
        [csp]
        default-src = ["'self'"]
        connect-src = ["ipc:"]
        object-src = ["'none'"]
        [capabilities.default]
        windows = ["main"]
        permissions = ["allow-a", "allow-gone"]
        [capabilities.old]
        windows = ["main"]
        permissions = []
    "#;
    let diffs = differences(&csp, &caps, allow_list);
    std::fs::remove_dir_all(&dir).ok();
    let all = diffs.join("\n");
    for expected in [
        "CSP directive `connect-src`: `https://evil.example` is granted",
        "CSP directive `img-src`: `'self'` is granted",
        "CSP directive `object-src`: `'none'` is in the allow-list but no longer granted",
        "capability `default` permission: `dialog:allow-open` is granted but not in the allow-list",
        "\"fs:allow-read\"",
        "$HOME/**",
        "capability `default` permission: `allow-gone` is in the allow-list but no longer granted",
        "capability `extra` (src-tauri/capabilities) is not in the allow-list",
        "capability `old` is in the allow-list but no such capability file exists",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    let scoped = diffs
        .iter()
        .find(|d| d.contains("fs:allow-read"))
        .expect("the scoped permission");
    assert!(
        scoped.starts_with("capability `default` permission: `{")
            && scoped.ends_with("is granted but not in the allow-list"),
        "{scoped}"
    );
    for line in &diffs {
        assert!(!line.is_empty());
    }
    assert_eq!(diffs.len(), 8, "{all}");
}
