//! Messages as JSON values — the form the `cardwire iso8583` command prints and reads, and the
//! form of the decoded vectors in `spec-vectors/iso8583*.json`:
//!
//! ```json
//! {"mti": "0200",
//!  "fields": {"3": "000000", "4": "000000000051", "35": "439226******2820D****************",
//!             "55": [{"tag": "9F02", "len": 6, "value": "000000000051"}, {"padding": "00"}],
//!             "60": {"60.1": "22", "60.2": "000001"}}}
//! ```
//!
//! Numeric and text fields are strings as they read (leading zeros kept); binary fields are
//! upper-case hex; positional and bitmap composites are objects keyed `"60.1"`; TLV fields are
//! arrays of nodes (`tag`, `len`, `value`, `children`), with `{"padding": "00"}` entries where
//! a lenient field carries padding and a `length_field` (hex) where a lenient field carries a
//! length longer than its shortest form, so that the JSON re-encodes to the same bytes. Masked
//! unless `clear`: masked JSON is for people and logs, clear JSON re-encodes.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use cardwire_emv::mask::{MaskedValue, write_masked};
use cardwire_emv::tlv::{Mode, Reader, Tag, Tlv};
use serde_json::{Map, Value};

use crate::describe::masking;
use crate::encode::{Encoded, Encoder};
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::frame::{Frame, FrameFormat, Progress, Tpdu};
use crate::message::{Field, Message};
use crate::mti::Mti;
use crate::spec::{Class, FieldSpec, MessageSpec, Subfields};

fn masked(field: &Field<'_, '_>, clear: bool) -> String {
    let mut s = String::new();
    let how = masking(field.spec().mask, clear);
    // Writing to a String cannot fail.
    let _ = write_masked(&mut s, field.chars().chars(), how);
    s
}

/// The JSON form of one field.
pub fn field_to_json(field: &Field<'_, '_>, clear: bool) -> Value {
    let spec = field.spec();
    match &spec.subfields {
        Subfields::Tlv(mode) => {
            let mut bytes = [0u8; 1024];
            let data = match field.bytes() {
                Some(b) => b,
                None => match field.value_into(&mut bytes) {
                    Some(v) => v,
                    None => return Value::String(masked(field, clear)),
                },
            };
            match tlv_nodes(data, *mode, clear) {
                Ok(nodes) => Value::Array(nodes),
                Err(_) => Value::String(masked(field, clear)),
            }
        }
        Subfields::Positional(_) | Subfields::Bitmap(_)
            if clear || spec.mask == crate::spec::Mask::None =>
        {
            let mut obj = Map::new();
            for sub in field.subfields() {
                let Ok(sub) = sub else {
                    return Value::String(masked(field, clear));
                };
                obj.insert(
                    format!("{}.{}", spec.number, sub.index),
                    Value::String(sub.chars.to_string()),
                );
            }
            Value::Object(obj)
        }
        _ => Value::String(masked(field, clear)),
    }
}

/// The JSON form of a message: `{"mti": …, "fields": {…}}`.
pub fn to_json(msg: &Message<'_, '_>, clear: bool) -> Value {
    let mut fields = Map::new();
    for f in msg.fields() {
        fields.insert(f.number().to_string(), field_to_json(&f, clear));
    }
    let mut obj = Map::new();
    obj.insert("mti".into(), Value::String(msg.mti().to_string()));
    obj.insert("fields".into(), Value::Object(fields));
    Value::Object(obj)
}

/// The JSON form of a frame's head: `{"length": …, "tpdu": …, "header": …}`.
pub fn frame_to_json(frame: &Frame<'_>, format: &FrameFormat) -> Value {
    let mut obj = Map::new();
    obj.insert(
        "length".into(),
        Value::from(frame.len - format.length.len()),
    );
    if let Some(t) = frame.tpdu {
        obj.insert("tpdu".into(), Value::String(t.to_string()));
    }
    if !frame.header.is_empty() {
        obj.insert(
            "header".into(),
            Value::String(cardwire_emv::hex::Hex(frame.header).to_string()),
        );
    }
    Value::Object(obj)
}

/// Decodes a framed message (length, TPDU, header, message) to JSON with a `"frame"` member.
///
/// # Errors
/// A frame that is incomplete or malformed, or a message error (offsets within the frame).
pub fn decode_framed(
    spec: &MessageSpec,
    format: &FrameFormat,
    bytes: &[u8],
    clear: bool,
) -> Result<Value, Error> {
    let frame = match format.read(bytes)? {
        Progress::Complete(f) => f,
        Progress::NeedMore(n) => {
            return Err(at(ErrorKind::Truncated { needed: n }, bytes.len()));
        }
    };
    if frame.len != bytes.len() {
        return Err(at(
            ErrorKind::TrailingBytes {
                count: bytes.len() - frame.len,
            },
            frame.len,
        ));
    }
    let msg =
        Message::decode(spec, frame.message).map_err(|e| e.shifted(frame.message_offset()))?;
    let mut obj = Map::new();
    obj.insert("frame".into(), frame_to_json(&frame, format));
    if let Value::Object(m) = to_json(&msg, clear) {
        obj.extend(m);
    }
    Ok(Value::Object(obj))
}

/// TLV data as JSON nodes, padding kept as `{"padding": hex}` entries.
///
/// # Errors
/// Malformed TLV.
pub fn tlv_nodes(data: &[u8], mode: Mode, clear: bool) -> Result<Vec<Value>, cardwire_emv::Error> {
    Reader::with_mode(data, mode).validate()?;
    nodes_of(Reader::with_mode(data, mode), data, 0, clear)
}

fn nodes_of(
    reader: Reader<'_>,
    window: &[u8],
    base: usize,
    clear: bool,
) -> Result<Vec<Value>, cardwire_emv::Error> {
    let mut out = Vec::new();
    let mut cursor = base;
    let end = base + window.len();
    // Offsets come from the reader over `window` (which starts at `base`): bytes between two
    // data objects, and after the last one, are padding.
    let padding = |from: usize, to: usize, out: &mut Vec<Value>| {
        if to > from
            && let Some(bytes) = window.get(from - base..to - base)
        {
            let mut m = Map::new();
            m.insert(
                "padding".into(),
                Value::String(cardwire_emv::hex::Hex(bytes).to_string()),
            );
            out.push(Value::Object(m));
        }
    };
    for tlv in reader {
        let tlv = tlv?;
        padding(cursor, tlv.offset(), &mut out);
        out.push(node(&tlv, clear)?);
        cursor = tlv.offset() + tlv.raw().len();
    }
    padding(cursor, end, &mut out);
    Ok(out)
}

fn node(tlv: &Tlv<'_>, clear: bool) -> Result<Value, cardwire_emv::Error> {
    let mut obj = Map::new();
    obj.insert("tag".into(), Value::String(tlv.tag().to_string()));
    obj.insert("len".into(), Value::from(tlv.len()));
    obj.insert(
        "value".into(),
        Value::String(MaskedValue::new(tlv, clear).to_string()),
    );
    // A lenient read accepts long-form lengths that are not the shortest: kept, so that the
    // JSON re-encodes to the same bytes.
    // The reader's `raw` is the tag, the length field and the value.
    let header = tlv.value_offset() - tlv.offset();
    let mut shortest = Vec::new();
    ber_length(tlv.len(), &mut shortest);
    if let Some(length_field) = tlv.raw().get(tlv.tag().len()..header)
        && length_field != shortest.as_slice()
    {
        obj.insert(
            "length_field".into(),
            Value::String(cardwire_emv::hex::Hex(length_field).to_string()),
        );
    }
    if let Some(children) = tlv.children() {
        let nodes = nodes_of(children, tlv.value(), tlv.value_offset(), clear)?;
        obj.insert("children".into(), Value::Array(nodes));
    }
    Ok(Value::Object(obj))
}

fn bad(why: &'static str, path: FieldPath) -> Error {
    Error::new(ErrorKind::InvalidJson(why), 0, path)
}

fn hex_bytes(text: &str, path: FieldPath) -> Result<Vec<u8>, Error> {
    cardwire_emv::hex::decode_to_vec(text).map_err(|_| bad("expected hex", path))
}

/// The shortest BER length field of `len`.
fn ber_length(len: usize, out: &mut Vec<u8>) {
    if let Ok(short @ 0..0x80) = u8::try_from(len) {
        out.push(short);
        return;
    }
    let bytes = (len as u64).to_be_bytes();
    let (_, significant) = bytes.split_at(bytes.iter().take_while(|&&b| b == 0).count());
    // At most 8 length bytes follow: the mask changes nothing.
    out.push(0x80 | (significant.len() as u64 & 0x0F) as u8);
    out.extend_from_slice(significant);
}

/// TLV bytes from JSON nodes (the inverse of [`tlv_nodes`] with `clear`).
///
/// # Errors
/// [`ErrorKind::InvalidJson`] for a node without a valid tag or value.
pub fn tlv_from_nodes(nodes: &[Value], path: FieldPath, out: &mut Vec<u8>) -> Result<(), Error> {
    for n in nodes {
        let obj = n.as_object().ok_or(bad("TLV nodes are objects", path))?;
        if let Some(p) = obj.get("padding") {
            out.extend(hex_bytes(
                p.as_str().ok_or(bad("padding is hex", path))?,
                path,
            )?);
            continue;
        }
        let tag: Tag = obj
            .get("tag")
            .and_then(Value::as_str)
            .ok_or(bad("a TLV node needs a tag", path))?
            .parse()
            .map_err(|_| bad("invalid tag", path))?;
        let path = FieldPath::tag(path.number(), tag);
        let mut value = Vec::new();
        match obj.get("children").and_then(Value::as_array) {
            Some(children) => tlv_from_nodes(children, path, &mut value)?,
            None => {
                let v = obj
                    .get("value")
                    .and_then(Value::as_str)
                    .ok_or(bad("a TLV node needs a value", path))?;
                value = hex_bytes(v, path)?;
            }
        }
        if let Some(len) = obj.get("len").and_then(Value::as_u64)
            && usize::try_from(len).ok() != Some(value.len())
        {
            return Err(bad("len disagrees with the value", path));
        }
        out.extend_from_slice(&tag.to_bytes());
        match obj.get("length_field").and_then(Value::as_str) {
            Some(field) => {
                let field = hex_bytes(field, path)?;
                // The given length field must state the value's length.
                let stated = match field.split_first() {
                    Some((&b, [])) if b < 0x80 => usize::from(b),
                    Some((&b, rest))
                        if b > 0x80 && usize::from(b - 0x80) == rest.len() && rest.len() <= 4 =>
                    {
                        rest.iter()
                            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x))
                    }
                    _ => return Err(bad("invalid length_field", path)),
                };
                if stated != value.len() {
                    return Err(bad("length_field disagrees with the value", path));
                }
                out.extend(field);
            }
            None => ber_length(value.len(), out),
        }
        out.extend(value);
    }
    Ok(())
}

/// The logical value of a field (what [`Encoder::field`] takes) from its JSON form.
///
/// # Errors
/// [`ErrorKind::InvalidJson`] when the JSON does not fit the field's structure.
pub fn field_value(spec: &FieldSpec, value: &Value) -> Result<Vec<u8>, Error> {
    let path = FieldPath::field(spec.number);
    let binary = spec.format.class == Class::B;
    match (value, &spec.subfields) {
        (Value::String(s), _) if binary => hex_bytes(s, path),
        (Value::String(s), _) => Ok(s.as_bytes().to_vec()),
        (Value::Array(nodes), Subfields::Tlv(_)) => {
            let mut out = Vec::new();
            tlv_from_nodes(nodes, path, &mut out)?;
            Ok(out)
        }
        (Value::Object(obj), Subfields::Positional(list) | Subfields::Bitmap(list)) => {
            let bitmap = matches!(spec.subfields, Subfields::Bitmap(_));
            let mut parts = Vec::new();
            let mut bits = 0u64;
            let mut gap = false;
            // A subfield cut short (at least its `min`) must end the field.
            let mut short = false;
            // Subfield numbers are 1-based; a list longer than 255 (which a spec's check
            // refuses) has no numbers for the rest.
            for (index, sub) in (1..=u8::MAX).zip(list.iter()) {
                let path = FieldPath::subfield(spec.number, index);
                let Some(v) = obj.get(&format!("{}.{}", spec.number, index)) else {
                    gap = true;
                    continue;
                };
                if gap && !bitmap {
                    return Err(bad("positional subfields cannot skip one", path));
                }
                if short {
                    return Err(bad("a subfield cut short ends the field", path));
                }
                let text = v.as_str().ok_or(bad("subfields are strings", path))?;
                let bytes = if binary {
                    hex_bytes(text, path)?
                } else {
                    text.as_bytes().to_vec()
                };
                let len = usize::from(sub.len);
                short = !sub.var && bytes.len() < len;
                if bytes.len() > len || (short && bytes.len() < usize::from(sub.min)) {
                    return Err(Error::new(
                        ErrorKind::InvalidLength {
                            max: sub.len,
                            found: bytes.len(),
                        },
                        0,
                        path,
                    ));
                }
                bits |= (1u64 << 63) >> (index - 1).min(63);
                parts.extend(bytes);
            }
            if obj.len()
                != list
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| obj.contains_key(&format!("{}.{}", spec.number, i + 1)))
                    .count()
            {
                return Err(bad("unknown subfield key", path));
            }
            if bitmap {
                let mut out = if binary {
                    bits.to_be_bytes().to_vec()
                } else {
                    format!("{bits:016X}").into_bytes()
                };
                out.extend(parts);
                Ok(out)
            } else {
                Ok(parts)
            }
        }
        _ => Err(bad(
            "expected a string (or subfield object / TLV array where the spec has them)",
            path,
        )),
    }
}

/// Encodes a message from its JSON form into `out`.
///
/// # Errors
/// A JSON shape error or an encoding error, with the field path.
pub fn encode(spec: &MessageSpec, value: &Value, out: &mut [u8]) -> Result<Encoded, Error> {
    let obj = value
        .as_object()
        .ok_or(bad("a message is an object", FieldPath::MESSAGE))?;
    let mti: Mti = obj
        .get("mti")
        .and_then(Value::as_str)
        .ok_or(bad("mti is a string of 4 digits", FieldPath::MESSAGE))?
        .parse()
        .map_err(|()| at(ErrorKind::InvalidMti, 0))?;
    let fields = obj
        .get("fields")
        .and_then(Value::as_object)
        .ok_or(bad("fields is an object", FieldPath::MESSAGE))?;
    let mut sorted = BTreeMap::new();
    for (k, v) in fields {
        let n: usize = k
            .parse()
            .map_err(|_| bad("field keys are numbers", FieldPath::MESSAGE))?;
        sorted.insert(n, v);
    }
    let mut e = Encoder::new(spec, out, mti)?;
    for (n, v) in sorted {
        // A key beyond 255 names no field of any spec: the error is the message's.
        let f = spec.field(n).ok_or(Error::new(
            ErrorKind::UndefinedField,
            0,
            u8::try_from(n).map_or(FieldPath::MESSAGE, FieldPath::field),
        ))?;
        e.field(n, &field_value(f, v)?)?;
    }
    e.finish()
}

/// Encodes a message from its JSON form into a new vector.
///
/// # Errors
/// As [`encode`].
pub fn encode_to_vec(spec: &MessageSpec, value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = alloc::vec![0u8; 1 << 16];
    let done = encode(spec, value, &mut out)?;
    out.truncate(done.len);
    Ok(out)
}

/// Encodes a framed message: the `"frame"` member gives the TPDU and header (the length is
/// computed).
///
/// # Errors
/// As [`encode`], or a missing/invalid frame member.
pub fn encode_framed(
    spec: &MessageSpec,
    format: &FrameFormat,
    value: &Value,
) -> Result<Vec<u8>, Error> {
    let frame = value.get("frame").and_then(Value::as_object).ok_or(bad(
        "a framed message has a frame object",
        FieldPath::MESSAGE,
    ))?;
    let tpdu = match frame.get("tpdu").and_then(Value::as_str) {
        Some(t) => Some(Tpdu::parse(&hex_bytes(t, FieldPath::MESSAGE)?)?),
        None => None,
    };
    let header = match frame.get("header").and_then(Value::as_str) {
        Some(h) => hex_bytes(h, FieldPath::MESSAGE)?,
        None => Vec::new(),
    };
    let message = encode_to_vec(spec, value)?;
    let mut out = alloc::vec![0u8; format.head_len() + message.len()];
    let n = format.write(tpdu, &header, &message, &mut out)?;
    out.truncate(n);
    Ok(out)
}
