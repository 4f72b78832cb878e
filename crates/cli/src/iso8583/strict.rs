//! What `iso8583 encode` refuses before encoding: a key it would ignore, and a fixed field of
//! the wrong length that the encoder would pad (or that a typo shortened). The library's
//! encoder pads short fixed values on purpose, for programs that build messages; a person
//! writing JSON by hand wants to hear about it.

use cardwire_iso8583::MessageSpec;
use cardwire_iso8583::spec::{Class, Length};
use serde_json::{Map, Value};

/// The members of a message object, and of its frame.
const MESSAGE_KEYS: &[&str] = &["mti", "fields"];
const FRAMED_KEYS: &[&str] = &["mti", "fields", "frame"];
const FRAME_KEYS: &[&str] = &["length", "tpdu", "header"];

/// Refuses unknown keys and fixed fields whose value is not exactly the field's length.
pub fn check(spec: &MessageSpec, value: &Value, framed: bool) -> Result<(), String> {
    let Some(message) = value.as_object() else {
        return Err("JSON: a message is an object with \"mti\" and \"fields\"".to_owned());
    };
    let known = if framed { FRAMED_KEYS } else { MESSAGE_KEYS };
    unknown_keys(message, known, "message")?;
    if let Some(Value::Object(frame)) = message.get("frame") {
        unknown_keys(frame, FRAME_KEYS, "frame")?;
    }
    let Some(Value::Object(fields)) = message.get("fields") else {
        // The encoder names a missing or misshapen "fields".
        return Ok(());
    };
    for (key, value) in fields {
        let field = key
            .parse::<usize>()
            .ok()
            .and_then(|n| spec.field(n))
            .ok_or_else(|| format!("fields: {key:?} is not a field of the {} spec", spec.name()))?;
        let (Length::Fixed, Value::String(text)) = (field.format.length, value) else {
            continue;
        };
        let given = if field.format.class == Class::B {
            // Binary fields are hex in JSON; an odd digit is the encoder's error to name.
            text.len() / 2
        } else {
            text.chars().count()
        };
        let want = usize::from(field.format.max);
        if given != want {
            let unit = if field.format.class == Class::B {
                "bytes"
            } else {
                "characters"
            };
            return Err(format!(
                "field {key} ({}): fixed length {want} {unit}, {given} given",
                field.name
            ));
        }
    }
    Ok(())
}

fn unknown_keys(object: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "{what}: unknown key {key:?} (known: {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}
