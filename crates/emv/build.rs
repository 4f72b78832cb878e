//! Generates the crate's lookup tables from the data files in `data/`:
//! - `data/tags.tsv`   → the named tag constants (`src/tags.rs`) and the tag dictionary
//!   (`src/dict.rs`), sorted for binary search;
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
    for (input, generate) in [
        ("data/tags.tsv", tags as fn(&str) -> Generated),
        ("data/bits.tsv", bits),
        ("data/qr_ids.tsv", qr_ids),
    ] {
        println!("cargo:rerun-if-changed={input}");
        let text = std::fs::read_to_string(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        for (output, code) in generate(&text) {
            std::fs::write(Path::new(&out).join(output), code).unwrap();
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// Generated files: `(name in OUT_DIR, code)`.
type Generated = Vec<(&'static str, String)>;

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

/// The constant name of a dictionary name (the rule `src/tags.rs` documents): the words in
/// upper snake case, parenthesised abbreviations left out — except one that ends the name,
/// which names the tag alone.
///
/// `Amount, Authorised (Numeric)` → `AMOUNT_AUTHORISED_NUMERIC`;
/// `Dedicated File (DF) Name` → `DEDICATED_FILE_NAME`;
/// `Terminal Verification Results (TVR)` → `TVR`.
fn const_name(name: &str) -> String {
    let is_abbreviation = |group: &str| {
        group.len() >= 2
            && group.starts_with(|c: char| c.is_ascii_uppercase())
            && group
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let mut words: Vec<String> = Vec::new();
    let mut rest = name;
    while !rest.is_empty() {
        let (text, after) = match rest.find('(') {
            Some(open) => {
                let close = rest[open..]
                    .find(')')
                    .map(|c| open + c)
                    .unwrap_or_else(|| panic!("{name}: unbalanced parenthesis"));
                let group = &rest[open + 1..close];
                let after = &rest[close + 1..];
                if is_abbreviation(group) {
                    if after.trim().is_empty() {
                        return group.to_owned();
                    }
                    (&rest[..open], after)
                } else {
                    // A qualifier such as "(Numeric)" or "(terminal)": its words count.
                    words.extend(split_words(&rest[..open]));
                    (group, after)
                }
            }
            None => (rest, ""),
        };
        words.extend(split_words(text));
        rest = after;
    }
    words.join("_")
}

/// Runs of ASCII letters and digits, upper-cased.
fn split_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// One row of `data/tags.tsv`, checked.
struct TagRow {
    line: usize,
    hex: String,
    name: String,
    konst: String,
    format: String,
    min: u16,
    max: u16,
    source: &'static str,
    templates: Vec<u32>,
    origin: &'static str,
    render: &'static str,
    other: Option<String>,
}

fn tag_rows(text: &str) -> BTreeMap<u32, TagRow> {
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
            "qr" => "EmvQr",
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
        let templates = match templates {
            "-" => Vec::new(),
            list => list.split(',').map(|t| tag_value(FILE, line, t)).collect(),
        };
        let konst = const_name(name);
        if !konst.starts_with(|c: char| c.is_ascii_uppercase()) {
            panic!("{FILE}:{line}: the name {name:?} gives no constant name");
        }
        let row = TagRow {
            line,
            hex: tag.to_owned(),
            name: name.to_owned(),
            konst,
            format,
            min,
            max,
            source,
            templates,
            origin,
            render,
            other: (other != "-").then(|| other.to_owned()),
        };
        if entries.insert(value, row).is_some() {
            panic!("{FILE}:{line}: tag {tag} listed twice");
        }
    }
    // Two tags whose names give the same constant are told apart by their hex.
    let mut by_name: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (value, row) in &entries {
        by_name.entry(row.konst.clone()).or_default().push(*value);
    }
    for values in by_name.values().filter(|v| v.len() > 1) {
        for value in values {
            let row = entries.get_mut(value).unwrap();
            row.konst = format!("{}_{}", row.konst, row.hex);
        }
    }
    for row in entries.values() {
        for t in &row.templates {
            if !entries.contains_key(t) {
                panic!(
                    "{FILE}:{}: template {t:X} is not in the dictionary",
                    row.line
                );
            }
        }
    }
    entries
}

/// `tags.rs`: one named constant per tag; `dict.rs`: the dictionary table over them.
fn tags(text: &str) -> Generated {
    let entries = tag_rows(text);
    let mut consts = String::from("// Generated by build.rs from data/tags.tsv. Do not edit.\n");
    for (value, row) in &entries {
        let len = if row.min == row.max {
            format!("{} bytes", row.min)
        } else {
            format!("{}–{} bytes", row.min, row.max)
        };
        writeln!(
            consts,
            "/// `{}` {}: format {}, {len}.",
            row.hex,
            row.name,
            row.format.to_ascii_lowercase()
        )
        .unwrap();
        if let Some(other) = &row.other {
            writeln!(consts, "///\n/// Also: {other}.").unwrap();
        }
        writeln!(
            consts,
            "pub const {}: Tag = crate::tag!(0x{value:X});",
            row.konst
        )
        .unwrap();
    }

    let mut table = String::from("// Generated by build.rs from data/tags.tsv. Do not edit.\n");
    writeln!(
        table,
        "/// Tag values, ascending: the binary-search index into [`INFO`]."
    )
    .unwrap();
    writeln!(table, "static KEYS: [u32; {}] = [", entries.len()).unwrap();
    for value in entries.keys() {
        writeln!(table, "    0x{value:X},").unwrap();
    }
    writeln!(table, "];\n/// The entries, in the order of [`KEYS`].").unwrap();
    writeln!(table, "static INFO: [TagInfo; {}] = [", entries.len()).unwrap();
    let konst = |v: &u32| format!("tags::{}", entries[v].konst);
    for (value, row) in &entries {
        let other = match &row.other {
            None => "None".to_owned(),
            Some(o) => format!("Some({})", rust_str(o)),
        };
        writeln!(
            table,
            "    TagInfo {{ tag: {}, name: {}, other: {other}, format: Format::{}, \
             min_len: {}, max_len: {}, source: Source::{}, templates: &[{}], \
             origin: Origin::{}, render: Render::{} }},",
            konst(value),
            rust_str(&row.name),
            row.format,
            row.min,
            row.max,
            row.source,
            row.templates
                .iter()
                .map(konst)
                .collect::<Vec<_>>()
                .join(", "),
            row.origin,
            row.render,
        )
        .unwrap();
    }
    table.push_str("];\n");
    vec![("tags.rs", consts), ("dict.rs", table)]
}

fn bits(text: &str) -> Generated {
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
    vec![("bits.rs", out)]
}

fn qr_ids(text: &str) -> Generated {
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
    vec![("qr_ids.rs", out)]
}
