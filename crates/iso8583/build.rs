//! Generates the built-in specs (`$OUT_DIR/specs.rs`) from the JSON files in `specs/`, so the
//! field tables are written once, as data. `tests/it/specs.rs` loads the same files through the
//! serde loader and checks that both paths give equal specs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a build script fails loudly

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// The built-in specs: file stem and the name of the generated `static`.
const SPECS: &[(&str, &str)] = &[
    ("iso87-ascii", "ISO87_ASCII"),
    ("iso87-binary", "ISO87_BINARY"),
    ("iso93-binary", "ISO93_BINARY"),
    ("cups", "CUPS"),
    ("cups-sm4", "CUPS_SM4"),
    ("cups-enc-track", "CUPS_ENC_TRACK"),
];

/// The merge rule of `"base"`, shared with the run-time loader.
#[path = "src/spec/base.rs"]
mod base;

/// A spec file; one with a `base` names only what differs from that spec: its own name, note
/// and source, and the fields it replaces. Resolved here by the rule of `src/spec/base.rs`,
/// so each fact has one home.
fn load(dir: &Path, stem: &str) -> Value {
    let path = dir.join(format!("{stem}.json"));
    println!("cargo::rerun-if-changed={}", path.display());
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    base::resolve(spec, |name| Some(load(dir, name)))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn variant(kind: &str, name: &str) -> String {
    let v = match (kind, name) {
        ("Class", "n") => "N",
        ("Class", "a") => "A",
        ("Class", "an") => "An",
        ("Class", "ans") => "Ans",
        ("Class", "ns") => "Ns",
        ("Class", "z") => "Z",
        ("Class", "z-hex") => "ZHex",
        ("Class", "x+n") => "XN",
        ("Class", "b") => "B",
        ("Encoding", "ascii") | ("PrefixEncoding", "ascii") | ("MtiEncoding", "ascii") => "Ascii",
        ("Encoding", "ebcdic") | ("PrefixEncoding", "ebcdic") | ("MtiEncoding", "ebcdic") => {
            "Ebcdic"
        }
        ("Encoding", "bcd") | ("PrefixEncoding", "bcd") | ("MtiEncoding", "bcd") => "Bcd",
        ("Encoding", "bcd-right") => "BcdRight",
        ("Encoding", "binary") | ("PrefixEncoding", "binary") | ("BitmapEncoding", "binary") => {
            "Binary"
        }
        ("Encoding", "hex") | ("PrefixEncoding", "hex") | ("BitmapEncoding", "hex") => "Hex",
        ("LengthUnit", "chars") => "Chars",
        ("LengthUnit", "bytes") => "Bytes",
        ("Mask", "none") => "None",
        ("Mask", "pan") => "Pan",
        ("Mask", "track") => "Track",
        ("Mask", "hidden") => "Hidden",
        _ => panic!("unknown {kind} name {name:?}"),
    };
    format!("{kind}::{v}")
}

fn text<'v>(v: &'v Value, key: &str, default: &'v str) -> &'v str {
    v.get(key).map_or(default, |x| {
        x.as_str()
            .unwrap_or_else(|| panic!("{key} must be a string"))
    })
}

fn length(name: &str) -> String {
    match name {
        "fixed" => "Length::Fixed".into(),
        l if (1..=6).contains(&l.len()) && l.bytes().all(|b| b == b'L') => {
            format!("Length::Var({})", l.len())
        }
        _ => panic!("unknown len {name:?}"),
    }
}

fn subfield_list(list: &Value) -> String {
    let mut out = String::from("SpecList::Static(&[");
    for s in list.as_array().expect("subfield list") {
        write!(
            out,
            "SubfieldSpec {{ name: SpecStr::Static({:?}), class: {}, len: {}, var: {}, min: {} }},",
            text(s, "name", ""),
            variant("Class", text(s, "class", "")),
            s["len"].as_u64().expect("subfield len"),
            s.get("var").and_then(Value::as_bool).unwrap_or(false),
            // A subfield without `min` is always whole.
            s.get("min")
                .map(|m| m.as_u64().expect("subfield min"))
                .unwrap_or_else(|| s["len"].as_u64().expect("subfield len")),
        )
        .unwrap();
    }
    out.push_str("])");
    out
}

fn field(number: &str, f: &Value) -> String {
    let class = text(f, "class", "");
    let default_pad = match class {
        "n" | "z" | "z-hex" | "x+n" => "0",
        "b" => "\0",
        _ => " ",
    };
    let pad = text(f, "pad", default_pad);
    assert_eq!(pad.len(), 1, "field {number}: pad is one character");
    let subfields = match f.get("subfields") {
        None => "Subfields::None".to_string(),
        Some(s) => {
            if let Some(list) = s.get("positional") {
                format!("Subfields::Positional({})", subfield_list(list))
            } else if let Some(list) = s.get("bitmap") {
                format!("Subfields::Bitmap({})", subfield_list(list))
            } else {
                match s.get("tlv").and_then(Value::as_str) {
                    Some("strict") => "Subfields::Tlv(Mode::Strict)".into(),
                    Some("lenient") => "Subfields::Tlv(Mode::Lenient)".into(),
                    _ => panic!("field {number}: unknown subfields"),
                }
            }
        }
    };
    format!(
        "FieldSpec {{ number: {number}, name: SpecStr::Static({name:?}), format: Format {{ \
         class: {class}, length: {length}, max: {max}, data: {data}, prefix: {prefix}, \
         unit: {unit}, pad: {pad} }}, mask: {mask}, subfields: {subfields} }},\n",
        name = text(f, "name", ""),
        class = variant("Class", class),
        length = length(text(f, "len", "fixed")),
        max = f["max"].as_u64().expect("max"),
        data = variant("Encoding", text(f, "data", "")),
        prefix = variant("PrefixEncoding", text(f, "prefix", "ascii")),
        unit = variant("LengthUnit", text(f, "counts", "chars")),
        pad = pad.as_bytes()[0],
        mask = variant("Mask", text(f, "mask", "none")),
    )
}

fn main() {
    // Read when the script runs, not when it was compiled: a cached build script must not
    // look in a directory that has since moved (a package unpacked elsewhere).
    let dir =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("specs");
    let mut out =
        String::from("// Generated by build.rs from specs/*.json: edit the JSON, not this file.\n");
    for (stem, ident) in SPECS {
        let spec = load(&dir, stem);
        let fields = spec["fields"].as_object().expect("fields");
        let mut numbered: Vec<(u64, &Value)> = fields
            .iter()
            .map(|(k, v)| (k.parse().expect("field numbers are decimal"), v))
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        writeln!(
            out,
            "/// The `{stem}` spec: {note}\n///\n/// Source: {source}\npub static {ident}: MessageSpec = MessageSpec::from_static({stem:?}, {note:?}, {mti}, {bitmap}, {bitmaps}, &[",
            note = text(&spec, "note", ""),
            source = text(&spec, "source", ""),
            mti = variant("MtiEncoding", text(&spec, "mti", "")),
            bitmap = variant("BitmapEncoding", text(&spec, "bitmap", "")),
            bitmaps = spec["bitmaps"].as_u64().expect("bitmaps"),
        )
        .unwrap();
        for (n, f) in numbered {
            out.push_str(&field(&n.to_string(), f));
        }
        out.push_str("]);\n\n");
    }
    write!(
        out,
        "/// Every built-in spec.\npub static ALL: [&MessageSpec; {}] = [",
        SPECS.len()
    )
    .unwrap();
    for (_, ident) in SPECS {
        write!(out, "&{ident}, ").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("specs.rs");
    std::fs::write(dest, out).unwrap();
}
