//! Runs every vector of `spec-vectors/tlv.json` through the reader, the walk, path lookup
//! and the builder.

use cardwire_emv::tags;
use cardwire_emv::tlv::{Builder, Mode, Path, Reader};
use serde_json::Value;

use crate::{bytes, tlv_vectors as vectors};

fn kind_name(e: &cardwire_emv::Error) -> String {
    let debug = format!("{:?}", e.kind());
    debug.split([' ', '{']).next().unwrap().to_owned()
}

#[test]
fn every_tlv_vector() {
    let vectors = vectors();
    assert!(vectors.len() >= 30);
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        assert!(
            v["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{id}: no source"
        );
        let data = bytes(v["hex"].as_str().unwrap());
        let mode = match v["mode"].as_str().unwrap() {
            "strict" => Mode::Strict,
            "lenient" => Mode::Lenient,
            other => panic!("{id}: mode {other}"),
        };
        let reader = Reader::with_mode(&data, mode);
        let result = reader.validate();
        match &v["expect"] {
            Value::String(s) if s == "ok" => {
                result.unwrap_or_else(|e| panic!("{id}: {e}"));
                if let Some(tags) = v["top_level_tags"].as_array() {
                    let got: Vec<String> = reader
                        .clone()
                        .map(|t| t.unwrap().tag().to_string())
                        .collect();
                    let want: Vec<&str> = tags.iter().map(|t| t.as_str().unwrap()).collect();
                    assert_eq!(got, want, "{id}: top-level tags");
                }
                if let Some(n) = v["nodes"].as_u64() {
                    assert_eq!(reader.walk().count() as u64, n, "{id}: nodes");
                }
                if let Some(path) = v["path"].as_str() {
                    let path: Path = path.parse().unwrap();
                    let found = reader.find_path(&path).unwrap().expect("path found");
                    let want = bytes(v["path_value"].as_str().unwrap());
                    assert_eq!(found.value(), want.as_slice(), "{id}: path value");
                }
                // Re-encode through the builder: strict input comes back byte for byte.
                let mut out = vec![0u8; data.len() + 16];
                let mut b = Builder::new(&mut out);
                for tlv in reader.clone() {
                    b.copy(&tlv.unwrap()).unwrap();
                }
                let n = b.finish();
                if mode == Mode::Strict {
                    assert_eq!(&out[..n], data.as_slice(), "{id}: re-encoding");
                } else {
                    // Lenient input re-encodes to strict data with the same tree.
                    let strict = Reader::new(&out[..n]);
                    strict.validate().unwrap();
                    let a: Vec<_> = strict.walk().map(|t| t.unwrap().tag()).collect();
                    let b: Vec<_> = reader.walk().map(|t| t.unwrap().tag()).collect();
                    assert_eq!(a, b, "{id}: lenient re-encoding keeps the tree");
                }
            }
            Value::Object(e) => {
                let err = result.expect_err(id);
                assert_eq!(
                    kind_name(&err),
                    e["error"].as_str().unwrap(),
                    "{id}: kind ({err})"
                );
                assert_eq!(
                    err.offset() as u64,
                    e["offset"].as_u64().unwrap(),
                    "{id}: offset"
                );
            }
            other => panic!("{id}: expect {other}"),
        }
    }
}

#[test]
fn duplicates_are_kept_in_order() {
    let v = vectors();
    let dup = v.iter().find(|v| v["id"] == "own-duplicates").unwrap();
    let data = bytes(dup["hex"].as_str().unwrap());
    let aids: Vec<Vec<u8>> = Reader::new(&data)
        .find_path_all(&"BF0C/61/4F".parse().unwrap())
        .map(|t| t.unwrap().value().to_vec())
        .collect();
    assert_eq!(aids, vec![vec![0xA0, 0x01], vec![0xA0, 0x02]]);
    let apps = Reader::new(&data).find_all(tags::APPLICATION_TEMPLATE);
    assert_eq!(apps.count(), 2);
}

#[test]
fn value_past_end_says_how_much_was_announced() {
    use cardwire_emv::ErrorKind;
    // Short form: 9F02 announces 6 bytes, 2 are left.
    let err = Reader::new(&[0x9F, 0x02, 0x06, 0x00, 0x01])
        .validate()
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::ValuePastEnd {
            needed: 6,
            available: 2
        }
    );
    assert_eq!(err.offset(), 3);
    // Long form: 70 81 90 announces 144 bytes, 1 is left.
    let err = Reader::new(&[0x70, 0x81, 0x90, 0x00])
        .validate()
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::ValuePastEnd {
            needed: 144,
            available: 1
        }
    );
}
