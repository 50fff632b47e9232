//! Compiled JSON Schema validation shared by both API families.
//!
//! A [`SchemaSet`] holds converted definitions (draft 7, `#/definitions/<Name>`), builds one
//! `jsonschema` validator per (root schema, mode) on first use and caches it, and turns
//! `jsonschema` errors into [`Violation`]s that name the offending field and the rule.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

/// One reason a JSON body does not satisfy its contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the offending value; for unknown or missing fields it points
    /// at the field itself (e.g. `/versionTemplate/bogus`).
    pub pointer: String,
    /// The JSON Schema keyword that failed (`additionalProperties`, `enum`, `type`, `required`,
    /// `format`, ...), or `operation` when the operation itself is unknown.
    pub rule: String,
    /// Human-readable message naming the field.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {} [{}]", self.message, self.rule)
    }
}

impl Violation {
    pub(crate) fn new(pointer: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

/// How the root of a body is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Mode {
    /// Enum fields may also be given as their integer index (`$alt=json;enum-encoding=int`).
    pub(crate) enum_int: bool,
    /// Unknown top-level fields are errors even if the schema leaves `additionalProperties`
    /// open (Cockroach requests).
    pub(crate) strict_root: bool,
}

type CacheKey = (String, Mode);

/// Converted definitions of one API plus a cache of compiled validators.
pub(crate) struct SchemaSet {
    defs: Map<String, Value>,
    /// Same as `defs` but enums also accept integers; empty for APIs without enum-int.
    defs_enum_int: Map<String, Value>,
    cache: Mutex<HashMap<CacheKey, Arc<jsonschema::Validator>>>,
}

/// `#/definitions/<name>` with the name escaped as a JSON pointer token.
pub(crate) fn def_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{}", name.replace('~', "~0").replace('/', "~1")) })
}

impl SchemaSet {
    pub(crate) fn new(defs: Map<String, Value>, defs_enum_int: Map<String, Value>) -> Self {
        Self {
            defs,
            defs_enum_int,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.defs.contains_key(name)
    }

    /// The converted JSON Schema of `name` (string-enum flavour), for inspection and tests.
    pub(crate) fn definition(&self, name: &str) -> Option<&Value> {
        self.defs.get(name)
    }

    /// Validates `value` against definition `name`.
    pub(crate) fn validate(
        &self,
        name: &str,
        value: &Value,
        mode: Mode,
    ) -> Result<(), Vec<Violation>> {
        let validator = self.validator(name, mode)?;
        let errors: Vec<Violation> = validator
            .iter_errors(value)
            .flat_map(to_violations)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn validator(
        &self,
        name: &str,
        mode: Mode,
    ) -> Result<Arc<jsonschema::Validator>, Vec<Violation>> {
        let key = (name.to_owned(), mode);
        if let Some(v) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(Arc::clone(v));
        }
        let defs = if mode.enum_int && !self.defs_enum_int.is_empty() {
            &self.defs_enum_int
        } else {
            &self.defs
        };
        let Some(root) = defs.get(name) else {
            return Err(vec![Violation::new(
                "",
                "schema",
                format!("unknown schema \"{name}\""),
            )]);
        };
        let mut root = root.clone();
        if mode.strict_root {
            if let Some(obj) = root.as_object_mut() {
                if obj.contains_key("properties") {
                    obj.entry("additionalProperties")
                        .or_insert(Value::Bool(false));
                }
            }
        }
        let mut document = Map::new();
        document.insert(
            "$schema".into(),
            json!("http://json-schema.org/draft-07/schema#"),
        );
        document.insert("definitions".into(), Value::Object(reachable(defs, &root)));
        if let Value::Object(obj) = root {
            document.extend(obj);
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .with_format("google-duration", is_duration)
            .with_format("google-int64", is_int64)
            .with_format("google-byte", is_base64)
            .build(&Value::Object(document))
            .map_err(|e| {
                vec![Violation::new(
                    "",
                    "schema",
                    format!("schema \"{name}\" does not compile: {e}"),
                )]
            })?;
        let validator = Arc::new(validator);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Arc::clone(&validator));
        Ok(validator)
    }
}

/// The definitions transitively referenced from `root`.
fn reachable(defs: &Map<String, Value>, root: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let mut seen = HashSet::new();
    let mut queue = Vec::new();
    collect_refs(root, &mut queue);
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(def) = defs.get(&name) {
            collect_refs(def, &mut queue);
            out.insert(name, def.clone());
        }
    }
    out
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get("$ref") {
                if let Some(name) = r.strip_prefix("#/definitions/") {
                    out.push(name.replace("~1", "/").replace("~0", "~"));
                }
            }
            obj.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn last_token(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or_default()
}

fn to_violations(error: jsonschema::ValidationError<'_>) -> Vec<Violation> {
    use jsonschema::error::ValidationErrorKind as K;
    let path = error.instance_path().as_str().to_owned();
    let rule = error.kind().keyword().to_owned();
    match error.kind() {
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            unexpected
                .iter()
                .map(|name| {
                    let parent = if path.is_empty() { "/" } else { &path };
                    Violation::new(
                        format!("{path}/{}", escape_token(name)),
                        &rule,
                        format!(
                            "unknown field \"{name}\" in object at {parent}: Cannot find field"
                        ),
                    )
                })
                .collect()
        }
        K::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            vec![Violation::new(
                format!("{path}/{}", escape_token(&name)),
                &rule,
                format!("missing required field \"{name}\""),
            )]
        }
        _ => {
            let field = last_token(&path);
            let field = if field.is_empty() { "<body>" } else { field };
            vec![Violation::new(
                path.clone(),
                &rule,
                format!("field \"{field}\": {error}"),
            )]
        }
    }
}

/// `google-duration`: proto3 JSON Duration, e.g. `"86400s"`, `"1.5s"`, `"-3s"`.
fn is_duration(s: &str) -> bool {
    let Some(num) = s.strip_suffix('s') else {
        return false;
    };
    let num = num.strip_prefix('-').unwrap_or(num);
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.is_empty() != num.contains('.'))
}

/// `int64`/`uint64`: proto3 JSON renders 64-bit integers as decimal strings.
fn is_int64(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `byte`: standard or URL-safe base64, padding optional.
fn is_base64(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_duration("86400s") && is_duration("1.5s") && is_duration("-3s"));
        assert!(
            !is_duration("86400") && !is_duration("1.s") && !is_duration("s") && !is_duration("1d")
        );
        assert!(is_int64("123") && is_int64("-1") && !is_int64("") && !is_int64("1e3"));
        assert!(is_base64("abcdef0123A=") && is_base64("ACAB") && !is_base64("a b"));
    }
}
