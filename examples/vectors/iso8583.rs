//! The cardwire-iso8583 vector sets: messages under every built-in spec, framed CUPS
//! messages and decode errors.

use serde_json::Value;

use super::{Outcome, load};

/// ISO 8583: every message decodes to its JSON and re-encodes to the same bytes; every error
/// vector fails at the stated field and offset.
pub fn messages() -> Outcome {
    use cardwire_iso8583::frame::FrameFormat;
    use cardwire_iso8583::{Message, json, specs};
    let mut failures = Vec::new();
    let mut count = 0;
    for file in ["iso8583.json", "iso8583-cups.json", "iso8583-errors.json"] {
        for v in load(file)["vectors"].as_array().unwrap() {
            count += 1;
            let id = v["id"].as_str().unwrap_or("?");
            let spec = specs::by_name(v["spec"].as_str().unwrap()).unwrap();
            let frame = if spec.name() == "cups" {
                FrameFormat::CUPS
            } else {
                FrameFormat::NAC
            };
            let data = cardwire::emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
            let framed = v["framed"] == true;
            let decoded = if framed {
                json::decode_framed(spec, &frame, &data, true)
            } else {
                Message::decode(spec, &data).map(|m| json::to_json(&m, true))
            };
            let ok = match (decoded, &v["error"]) {
                (Ok(value), Value::Null) => {
                    let again = if framed {
                        json::encode_framed(spec, &frame, &value)
                    } else {
                        json::encode_to_vec(spec, &value)
                    };
                    value == v["decoded"] && again.as_deref() == Ok(&data[..])
                }
                (Err(e), Value::Object(want)) => {
                    want["path"] == e.path().to_string()
                        && want["offset"].as_u64() == Some(e.offset() as u64)
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{file} {id}"));
            }
        }
    }
    (count, failures)
}
