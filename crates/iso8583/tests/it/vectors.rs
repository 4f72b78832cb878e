//! Every vector in spec-vectors/iso8583*.json: decodes to its JSON, re-encodes byte for byte
//! (through the JSON form and through the logical values), and errors name the field and
//! offset stated.

use cardwire_emv::hex::{Hex, decode_to_vec};
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::{Describe, Encoder, ErrorKind, Message, cups, json, specs};
use serde_json::Value;

use super::load;

fn frame_of(spec: &str) -> FrameFormat {
    if spec == "cups" {
        FrameFormat::CUPS
    } else {
        FrameFormat::NAC
    }
}

/// The message bytes of a vector (inside its frame when framed).
fn message_bytes<'a>(v: &Value, data: &'a [u8]) -> &'a [u8] {
    if v["framed"] == true {
        match frame_of(v["spec"].as_str().unwrap()).read(data).unwrap() {
            Progress::Complete(f) => f.message,
            Progress::NeedMore(n) => panic!("frame needs {n} more"),
        }
    } else {
        data
    }
}

fn good_vectors() -> Vec<Value> {
    let mut all = load("iso8583.json");
    all.extend(load("iso8583-cups.json"));
    all
}

#[test]
fn every_vector_decodes_to_its_json_and_re_encodes() {
    let vectors = good_vectors();
    assert!(vectors.len() >= 30);
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        let spec = specs::by_name(v["spec"].as_str().unwrap()).unwrap();
        let data = decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
        // JSON form, as the CLI prints it with --clear.
        let decoded = if v["framed"] == true {
            json::decode_framed(spec, &frame_of(spec.name()), &data, true).unwrap()
        } else {
            json::to_json(&Message::decode(spec, &data).unwrap(), true)
        };
        assert_eq!(decoded, v["decoded"], "{id}: decoded JSON");
        let again = if v["framed"] == true {
            json::encode_framed(spec, &frame_of(spec.name()), &decoded).unwrap()
        } else {
            json::encode_to_vec(spec, &decoded).unwrap()
        };
        assert_eq!(
            Hex(&again).to_string(),
            Hex(&data).to_string(),
            "{id}: JSON re-encode"
        );

        // Through the library: logical values out, encoder in.
        let msg_bytes = message_bytes(v, &data);
        let msg = Message::decode(spec, msg_bytes).unwrap();
        let mut out = vec![0u8; msg_bytes.len() + 64];
        let mut e = Encoder::new(spec, &mut out, msg.mti()).unwrap();
        let mut value = [0u8; 1024];
        for f in msg.fields() {
            let n = f.copy_value(&mut value).unwrap();
            e.field(usize::from(f.number()), &value[..n]).unwrap();
        }
        let done = e.finish().unwrap();
        assert_eq!(&out[..done.len], msg_bytes, "{id}: encoder re-encode");
        // And by copying the raw fields.
        let mut copy = vec![0u8; msg_bytes.len() + 64];
        let mut e = Encoder::new(spec, &mut copy, msg.mti()).unwrap();
        for f in msg.fields() {
            e.copy(&f).unwrap();
        }
        let n = e.finish().unwrap().len;
        assert_eq!(&copy[..n], msg_bytes, "{id}: raw copy");

        if let Some(bitmap) = v["bitmap"].as_str() {
            let words = msg.bitmap().words();
            assert_eq!(format!("{:016X}", words[0]), bitmap, "{id}: bitmap");
        }
        if let Some(mab) = v["mab"].as_str() {
            assert_eq!(Hex(msg.mab().unwrap()).to_string(), mab, "{id}: MAB");
        }
        if let Some(mac) = msg.mac() {
            assert_eq!(msg.mab_range().unwrap(), 0..mac.offset());
            assert_eq!(done.mab(), msg.mab_range(), "{id}: encoder MAB range");
            assert_eq!(
                done.mac.clone().unwrap(),
                mac.value_offset()..msg_bytes.len()
            );
        }
        if let Some(t) = v["transaction"].as_str() {
            let found = cups::Transaction::of(&msg).map(|t| format!("{t:?}"));
            assert_eq!(found.as_deref(), Some(t), "{id}: transaction");
        }
    }
}

/// The published CUPS purchase decodes to exactly the fields of shared/vectors/cups.json.
#[test]
fn cups_purchase_has_exactly_the_published_fields() {
    let v = &load("cups.json")[0];
    let mut bytes = decode_to_vec(v["mab"].as_str().unwrap()).unwrap();
    bytes.extend(v["field64_ascii"].as_str().unwrap().as_bytes());
    let msg = Message::decode(&specs::CUPS, &bytes).unwrap();
    let expected = v["decoded"].as_object().unwrap();
    assert_eq!(msg.mti().as_str(), expected["mti"]);
    let mut fields_listed = 0;
    for (key, want) in expected {
        let want = want.as_str().unwrap();
        match key.split_once('.') {
            _ if key == "mti" => {}
            Some((n, i)) => {
                let f = msg.field(n.parse().unwrap()).unwrap();
                let sub = f.subfield(i.parse().unwrap()).unwrap();
                assert_eq!(sub.to_string(), want, "{key}");
            }
            None => {
                fields_listed += 1;
                let f = msg.field(key.parse().unwrap()).unwrap();
                assert_eq!(f.chars().to_string(), want, "{key}");
            }
        }
    }
    // Every field of the message is listed, plus field 64 after the MAB.
    assert_eq!(msg.fields().count(), fields_listed + 1);
    assert_eq!(
        msg.get(64).unwrap().to_string(),
        Hex(b"8A9E91B8").to_string()
    );
    assert_eq!(msg.mab().unwrap(), &bytes[..bytes.len() - 8]);
}

#[test]
fn error_vectors_name_field_offset_and_keep_what_was_read() {
    let vectors = load("iso8583-errors.json");
    assert!(vectors.len() >= 12);
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        let spec = specs::by_name(v["spec"].as_str().unwrap()).unwrap();
        let data = decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
        let want = &v["error"];
        let err = if v["framed"] == true {
            json::decode_framed(spec, &frame_of(spec.name()), &data, false).unwrap_err()
        } else {
            Message::decode(spec, &data).unwrap_err()
        };
        assert_eq!(err.path().to_string(), want["path"], "{id}: path");
        assert_eq!(
            err.offset() as u64,
            want["offset"].as_u64().unwrap(),
            "{id}: offset"
        );
        let kind = format!("{:?}", err.kind());
        assert!(
            kind.starts_with(want["kind"].as_str().unwrap()),
            "{id}: {kind}"
        );
        match err.kind() {
            ErrorKind::Truncated { needed } => {
                assert_eq!(needed as u64, want["needed"].as_u64().unwrap())
            }
            ErrorKind::InvalidLength { max, found } => {
                assert_eq!(u64::from(max), want["max"].as_u64().unwrap());
                assert_eq!(found as u64, want["found"].as_u64().unwrap());
            }
            ErrorKind::InvalidCharacter { expected } => {
                assert_eq!(expected.name(), want["expected"])
            }
            ErrorKind::InvalidPad { expected } => {
                assert_eq!(char::from(expected).to_string(), want["expected"])
            }
            ErrorKind::TooManyBitmaps { allowed } => {
                assert_eq!(u64::from(allowed), want["allowed"].as_u64().unwrap())
            }
            ErrorKind::TrailingBytes { count } => {
                assert_eq!(count as u64, want["count"].as_u64().unwrap())
            }
            _ => {}
        }
        // Lazy decoding agrees on structural errors and never gets further than full decoding.
        if let Some(partial) = v["partial"].as_array() {
            let p = Message::decode_partial(spec, &data);
            assert_eq!(p.error, Some(err), "{id}: partial error");
            let read: Vec<String> = p.message.fields().map(|f| f.number().to_string()).collect();
            let want: Vec<String> = partial
                .iter()
                .map(|x| x.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(read, want, "{id}: fields read before the error");
        }
        // The message is one line, naming the field.
        let line = err.to_string();
        assert!(!line.contains('\n'));
    }
}

/// Describe and masked JSON never show a full PAN, track 2, PIN block or MAC.
#[test]
fn masked_output_hides_card_data() {
    for v in good_vectors() {
        let spec = specs::by_name(v["spec"].as_str().unwrap()).unwrap();
        let data = decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
        let msg = Message::decode(spec, message_bytes(&v, &data)).unwrap();
        let dump = Describe::new(&msg).to_string();
        let masked = json::to_json(&msg, false).to_string();
        for n in [2usize, 35, 52, 64] {
            let Some(f) = msg.field(n) else { continue };
            let clear = f.chars().to_string();
            if clear.len() >= 12 {
                assert!(
                    !dump.contains(&clear),
                    "{}: field {n} in clear in describe",
                    v["id"]
                );
                assert!(
                    !masked.contains(&clear),
                    "{}: field {n} in clear in JSON",
                    v["id"]
                );
            }
        }
        let clear_dump = Describe::new(&msg).clear(true).to_string();
        if let Some(pan) = msg.get(2) {
            assert!(clear_dump.contains(&pan.to_string()));
        }
    }
}

/// Found by the round-trip fuzz target: field 55 read leniently with a long-form length that
/// is not the shortest (`9C 81 00`) re-encodes through JSON to the same bytes.
#[test]
fn lenient_long_form_length_survives_json() {
    let data = decode_to_vec("04003020068022C082190000000000000100000000030510001000324392260009942820D1312101120084393938313636383830313431303235383130353331313030303131353601119F26088A4B12903C7155E29F2701809F100706010A03A000009F37041F2E3D4C9F02000000000000000800009A032611259C81009F02060000000123455F2A020978820239009F1A0202502703060000000000009F3303E0F8C89F34034203008407A00000000410109F0902000200000822000001001600000100000311254432363830343738").unwrap();
    let msg = Message::decode(&specs::CUPS, &data).unwrap();
    let value = json::to_json(&msg, true);
    assert!(value.to_string().contains("\"length_field\":\"8100\""));
    assert_eq!(json::encode_to_vec(&specs::CUPS, &value).unwrap(), data);
}

/// Found by the round-trip fuzz target: hex-ASCII binary fields (iso87-ascii fields 52 and
/// 55 here) re-encode through the encoder from their bytes.
#[test]
fn hex_text_binary_fields_re_encode() {
    let data = decode_to_vec("3031303030303030303030303136343037303030303030303030303030303030313634323432343234323432343234323432313233343536303030303030303030313030").unwrap();
    let msg = Message::decode(&specs::ISO87_ASCII, &data).unwrap();
    let mut out = vec![0u8; data.len() + 32];
    let mut e = Encoder::new(&specs::ISO87_ASCII, &mut out, msg.mti()).unwrap();
    let mut value = [0u8; 1024];
    for f in msg.fields() {
        let n = f.copy_value(&mut value).unwrap();
        e.field(usize::from(f.number()), &value[..n]).unwrap();
    }
    let n = e.finish().unwrap().len;
    assert_eq!(&out[..n], &data[..]);
}
