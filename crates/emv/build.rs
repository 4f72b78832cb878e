//! Generates the crate's lookup tables from the data files in `data/`:
//! - `data/tags.tsv`   → the tag dictionary (`src/dict.rs`), sorted for binary search;
//! - `data/bits.tsv`   → the named bits and bit ranges of each bit-field layout (`src/bits/`);
//! - `data/qr_ids.tsv` → the EMV QR data object names and template IDs (`src/qr/`).
//!
//! A malformed data file stops the build with the file, line and reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a build script fails loudly

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    for (input, output, generate) in [
        ("data/tags.tsv", "tags.rs", tags as fn(&str) -> String),
        ("data/bits.tsv", "bits.rs", bits),
        ("data/qr_ids.tsv", "qr_ids.rs", qr_ids),
    ] {
        println!("cargo:rerun-if-changed={input}");
        let text = std::fs::read_to_string(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        std::fs::write(Path::new(&out).join(output), generate(&text)).unwrap();
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The data rows of a TSV file: `(line number, fields)`, comments and blank lines skipped,
/// each row checked to have `columns` fields.
fn rows<'a>(
    file: &'a str,
    text: &'a str,
    columns: usize,
) -> impl Iterator<Item = (usize, Vec<&'a str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(move |(i, l)| {
            let fields: Vec<&str> = l.split('\t').collect();
            if fields.len() != columns {
                panic!(
                    "{file}:{}: {} fields, expected {columns}",
                    i + 1,
                    fields.len()
                );
            }
            (i + 1, fields)
        })
}

/// Validates a BER-TLV tag written in hex and returns its value.
fn tag_value(file: &str, line: usize, hex: &str) -> u32 {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{file}:{line}: tag {hex}: {e}"));
    let well_formed = match bytes.as_slice() {
        [b0] => b0 & 0x1F != 0x1F,
        [b0, rest @ .., last] => {
            b0 & 0x1F == 0x1F && rest.iter().all(|b| b & 0x80 != 0) && last & 0x80 == 0
        }
        [] => false,
    };
    if !well_formed || bytes.len() > 4 {
        panic!("{file}:{line}: {hex} is not a valid BER-TLV tag");
    }
    bytes.iter().fold(0, |v, &b| (v << 8) | u32::from(b))
}

fn rust_str(s: &str) -> String {
    format!("{s:?}")
}

/// `terminal_capabilities` → `TerminalCapabilities`, `an` → `An`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut c = word.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn tags(text: &str) -> String {
    const FILE: &str = "data/tags.tsv";
    let mut entries = BTreeMap::new();
    for (line, f) in rows(FILE, text, 10) {
        let [
            tag,
            format,
            min,
            max,
            source,
            templates,
            origin,
            render,
            name,
            other,
        ] = <[&str; 10]>::try_from(f).unwrap();
        let value = tag_value(FILE, line, tag);
        let format = match format {
            "a" | "an" | "ans" | "b" | "cn" | "n" | "var" => pascal(format),
            _ => panic!("{FILE}:{line}: unknown format {format}"),
        };
        let source = match source {
            "icc" => "Icc",
            "terminal" => "Terminal",
            "issuer" => "Issuer",
            "issuer-terminal" => "IssuerOrTerminal",
            _ => panic!("{FILE}:{line}: unknown source {source}"),
        };
        let origin = match origin {
            "emv" => "Emv",
            "entry" => "EntryPoint",
            "token" => "Tokenisation",
            "visa" => "Visa",
            "mastercard" => "Mastercard",
            "unionpay" => "UnionPay",
            "cups" => "CupsTerminal",
            _ => panic!("{FILE}:{line}: unknown origin {origin}"),
        };
        let render = match render {
            "-" => "Plain",
            "date" => "Date",
            "time" => "Time",
            "amount" => "Amount",
            "dol" => "Dol",
            "taglist" => "TagList",
            _ => panic!("{FILE}:{line}: unknown render {render}"),
        };
        let (min, max): (u16, u16) = (min.parse().unwrap(), max.parse().unwrap());
        if min > max {
            panic!("{FILE}:{line}: min {min} > max {max}");
        }
        let templates: Vec<String> = match templates {
            "-" => Vec::new(),
            list => list
                .split(',')
                .map(|t| format!("tag(0x{:X})", tag_value(FILE, line, t)))
                .collect(),
        };
        let other = match other {
            "-" => "None".to_owned(),
            o => format!("Some({})", rust_str(o)),
        };
        let entry = format!(
            "TagInfo {{ tag: tag(0x{value:X}), name: {}, other: {other}, format: Format::{format}, \
             min_len: {min}, max_len: {max}, source: Source::{source}, templates: &[{}], \
             origin: Origin::{origin}, render: Render::{render} }}",
            rust_str(name),
            templates.join(", "),
        );
        if entries.insert(value, entry).is_some() {
            panic!("{FILE}:{line}: tag {tag} listed twice");
        }
    }
    let mut out = String::from("// Generated by build.rs from data/tags.tsv. Do not edit.\n");
    writeln!(
        out,
        "/// Tag values, ascending: the binary-search index into [`INFO`]."
    )
    .unwrap();
    writeln!(out, "static KEYS: [u32; {}] = [", entries.len()).unwrap();
    for value in entries.keys() {
        writeln!(out, "    0x{value:X},").unwrap();
    }
    writeln!(out, "];\n/// The entries, in the order of [`KEYS`].").unwrap();
    writeln!(out, "static INFO: [TagInfo; {}] = [", entries.len()).unwrap();
    for entry in entries.values() {
        writeln!(out, "    {entry},").unwrap();
    }
    out.push_str("];\n");
    out
}

fn bits(text: &str) -> String {
    const FILE: &str = "data/bits.tsv";
    // layout → (flags, fields), in file order
    let mut layouts: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line, f) in rows(FILE, text, 6) {
        let [layout, byte, bits, key, values, name] = <[&str; 6]>::try_from(f).unwrap();
        let byte: u8 = byte.parse().unwrap();
        let (hi, lo): (u8, u8) = match bits.split_once('-') {
            Some((h, l)) => (h.parse().unwrap(), l.parse().unwrap()),
            None => (bits.parse().unwrap(), bits.parse().unwrap()),
        };
        if !(1..=8).contains(&lo) || hi < lo || hi > 8 || byte == 0 {
            panic!("{FILE}:{line}: bad position byte {byte} bits {bits}");
        }
        if !seen.insert((layout.to_owned(), key.to_owned())) {
            panic!("{FILE}:{line}: {layout}.{key} listed twice");
        }
        if layouts.last().is_none_or(|(l, _, _)| l != layout) {
            if layouts.iter().any(|(l, _, _)| l == layout) {
                panic!("{FILE}:{line}: rows of layout {layout} are not together");
            }
            layouts.push((layout.to_owned(), Vec::new(), Vec::new()));
        }
        let (_, flags, fields) = layouts.last_mut().unwrap();
        let konst = key.to_ascii_uppercase();
        let doc = format!(
            "/// Byte {byte}, bit{} {bits}: {name}.",
            if hi == lo { "" } else { "s" }
        );
        if hi == lo {
            if values != "-" {
                panic!("{FILE}:{line}: a single bit has no value list");
            }
            flags.push(format!(
                "{doc}\npub const {konst}: Flag<Layout> = Flag::new({byte}, {hi}, {}, {});",
                rust_str(key),
                rust_str(name)
            ));
        } else {
            let values: Vec<String> = match values {
                "-" => Vec::new(),
                list => list
                    .split('|')
                    .map(|v| {
                        let (n, meaning) = v
                            .split_once('=')
                            .unwrap_or_else(|| panic!("{FILE}:{line}: value {v} lacks '='"));
                        let n: u8 = n.parse().unwrap();
                        format!("({n}, {})", rust_str(meaning))
                    })
                    .collect(),
            };
            fields.push(format!(
                "{doc}\npub const {konst}: Field<Layout> = Field::new({byte}, {hi}, {lo}, {}, {}, &[{}]);",
                rust_str(key),
                rust_str(name),
                values.join(", ")
            ));
        }
    }
    let mut out = String::from("// Generated by build.rs from data/bits.tsv. Do not edit.\n");
    for (layout, flags, fields) in &layouts {
        let names = |items: &[String]| -> Vec<String> {
            items
                .iter()
                .map(|i| {
                    let after = i.split("pub const ").nth(1).unwrap();
                    after.split(':').next().unwrap().to_owned()
                })
                .collect()
        };
        writeln!(
            out,
            "/// The named bits and bit ranges of [`{0}`](crate::bits::{0}).",
            pascal(layout)
        )
        .unwrap();
        writeln!(
            out,
            "pub mod {layout} {{\n    use crate::bits::{{Field, Flag, {} as Layout}};",
            pascal(layout)
        )
        .unwrap();
        for item in flags.iter().chain(fields) {
            for l in item.lines() {
                writeln!(out, "    {l}").unwrap();
            }
        }
        writeln!(out, "    /// Every single-bit flag, in byte and bit order.").unwrap();
        writeln!(
            out,
            "    pub const FLAGS: &[Flag<Layout>] = &[{}];",
            names(flags).join(", ")
        )
        .unwrap();
        writeln!(out, "    /// Every multi-bit field, in byte and bit order.").unwrap();
        writeln!(
            out,
            "    pub const FIELDS: &[Field<Layout>] = &[{}];",
            names(fields).join(", ")
        )
        .unwrap();
        out.push_str("}\n");
    }
    out
}

fn qr_ids(text: &str) -> String {
    const FILE: &str = "data/qr_ids.tsv";
    let mut out = String::from("// Generated by build.rs from data/qr_ids.tsv. Do not edit.\n");
    out.push_str("/// `(scope, first ID, last ID, is a template, name)`, in file order.\n");
    out.push_str("static QR_IDS: &[(Scope, u8, u8, bool, &str)] = &[\n");
    // scope → template ID ranges, for a `matches!` that compiles to a few comparisons.
    let mut templates: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (line, f) in rows(FILE, text, 5) {
        let [scope, from, to, kind, name] = <[&str; 5]>::try_from(f).unwrap();
        let scope = match scope {
            "top" => "Top",
            "account" => "Account",
            "additional" => "AdditionalData",
            "language" => "Language",
            _ => panic!("{FILE}:{line}: unknown scope {scope}"),
        };
        let (from, to): (u8, u8) = (from.parse().unwrap(), to.parse().unwrap());
        if from > to || to > 99 {
            panic!("{FILE}:{line}: bad range");
        }
        let template = match kind {
            "value" => false,
            "template" => true,
            _ => panic!("{FILE}:{line}: unknown kind {kind}"),
        };
        let ranges = templates.entry(scope).or_default();
        if template {
            ranges.push(if from == to {
                format!("{from}")
            } else {
                format!("{from}..={to}")
            });
        }
        writeln!(
            out,
            "    (Scope::{scope}, {from}, {to}, {template}, {}),",
            rust_str(name)
        )
        .unwrap();
    }
    out.push_str("];\n\n/// Whether `id` is a template in `scope`.\nconst fn is_template(scope: Scope, id: u8) -> bool {\n    match scope {\n");
    for (scope, ranges) in &templates {
        let body = if ranges.is_empty() {
            "false".to_owned()
        } else {
            format!("matches!(id, {})", ranges.join(" | "))
        };
        writeln!(out, "        Scope::{scope} => {body},").unwrap();
    }
    out.push_str("    }\n}\n");
    out
}
