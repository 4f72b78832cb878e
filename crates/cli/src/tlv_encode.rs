//! `cardwire tlv encode`: the JSON that `cardwire tlv decode --clear` prints, back to
//! BER-TLV hex. Each node has a `tag` and either `children` (a template) or a hex `value`;
//! `name` and `len` are read and ignored, any other key is refused. A masked value (decode
//! without `--clear`) cannot be encoded and says so.

use cardwire_emv::hex::Hex;
use cardwire_emv::tlv::{Node, Tag, to_vec};
use serde_json::Value;

use crate::input;

/// The hex of the nodes in `json` (an array of nodes, or one node).
pub fn run(json: &str) -> Result<String, String> {
    let text = input::text(json)?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
    let nodes = match &doc {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, n)| node(n, &format!("[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Value::Object(_) => vec![node(&doc, "")?],
        _ => return Err("JSON: an array of TLV nodes (or one node) expected".into()),
    };
    let bytes = to_vec(&nodes).map_err(|e| format!("TLV: {e}"))?;
    Ok(Hex(&bytes).to_string())
}

/// One node at JSON path `at`.
fn node(v: &Value, at: &str) -> Result<Node, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("node {at}: an object with tag and value or children expected"))?;
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "tag" | "name" | "len" | "value" | "children"))
    {
        return Err(format!("node {at}: unknown key {key:?}"));
    }
    let tag_text = obj
        .get("tag")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("node {at}: no tag"))?;
    let tag: Tag = tag_text
        .parse()
        .map_err(|_| format!("node {at}: not a tag: {tag_text}"))?;
    match obj.get("children") {
        Some(Value::Array(children)) => {
            if !tag.is_constructed() {
                return Err(format!(
                    "node {at}: tag {tag} is primitive but has children"
                ));
            }
            let children = children
                .iter()
                .enumerate()
                .map(|(i, c)| node(c, &format!("{at}/{tag}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Node::constructed(tag, children))
        }
        Some(_) => Err(format!("node {at}: children must be an array")),
        None => {
            let value = obj
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("node {at}: tag {tag} has no value"))?;
            if value.contains('*') {
                return Err(format!(
                    "node {at}: the value of tag {tag} is masked; decode with --clear to encode it again"
                ));
            }
            let bytes = input::hex(value).map_err(|e| format!("node {at}: value of {tag}: {e}"))?;
            Ok(Node::primitive(tag, bytes))
        }
    }
}
