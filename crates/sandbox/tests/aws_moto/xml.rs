//! A small XML reader for Query protocol bodies (elements and text; attributes, comments and
//! the declaration are skipped): an element with children becomes an object by child name
//! (`member` always a list, other repeated names too), a leaf becomes its unescaped text.

use serde_json::{Map, Value};

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

struct Node {
    name: String,
    children: Vec<Node>,
    text: String,
}

fn parse(s: &str) -> Option<Node> {
    let mut stack: Vec<Node> = vec![Node {
        name: String::new(),
        children: vec![],
        text: String::new(),
    }];
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        if let Some(top) = stack.last_mut() {
            top.text.push_str(text);
        }
        let end = rest[i..].find('>')? + i;
        let tag = &rest[i + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(_name) = tag.strip_prefix('/') {
            let done = stack.pop()?;
            stack.last_mut()?.children.push(done);
        } else {
            let self_closing = tag.ends_with('/');
            let name = tag
                .trim_end_matches('/')
                .split_whitespace()
                .next()?
                .to_string();
            let node = Node {
                name,
                children: vec![],
                text: String::new(),
            };
            if self_closing {
                stack.last_mut()?.children.push(node);
            } else {
                stack.push(node);
            }
        }
    }
    let mut root = stack.pop()?;
    root.children.pop()
}

fn value(n: &Node) -> Value {
    if n.children.is_empty() {
        return Value::String(unescape(&n.text));
    }
    let mut m: Map<String, Value> = Map::new();
    for c in &n.children {
        let v = value(c);
        let listy =
            c.name == "member" || n.children.iter().filter(|o| o.name == c.name).count() > 1;
        if listy {
            m.entry(c.name.clone())
                .or_insert_with(|| Value::Array(vec![]))
                .as_array_mut()
                .expect("list")
                .push(v);
        } else {
            m.insert(c.name.clone(), v);
        }
    }
    Value::Object(m)
}

/// `{RootName: value}` of an XML document (`{"<unparsable>": text}` if it is not XML).
pub fn to_value(s: &str) -> Value {
    match parse(s) {
        Some(root) => {
            let mut m = Map::new();
            m.insert(root.name.clone(), value(&root));
            Value::Object(m)
        }
        None => serde_json::json!({"<unparsable>": s}),
    }
}
