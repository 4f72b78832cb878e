//! Specs as JSON (through serde): the format of the files in `specs/`.
//!
//! ```json
//! { "name": "cups", "note": "…", "mti": "bcd", "bitmap": "binary", "bitmaps": 1,
//!   "fields": { "2": { "name": "Primary account number", "class": "n", "len": "LL",
//!                      "max": 19, "data": "bcd-right", "prefix": "bcd", "pad": "0",
//!                      "mask": "pan" }, … } }
//! ```
//! Defaults: `len` fixed, `prefix` ascii, `counts` chars, `pad` 0 for numerics / space for
//! text, `mask` none, no `subfields`. `subfields` is `{"positional": [...]}`,
//! `{"bitmap": [...]}` or `{"tlv": "strict" | "lenient"}`; a subfield is
//! `{"name", "class", "len", "var"?, "min"?}` (`min`: the fewest characters a fixed subfield
//! may have when the field ends inside it).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use cardwire_emv::tlv::Mode;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    BitmapEncoding, Class, Encoding, FieldSpec, Format, Length, LengthUnit, Mask, MessageSpec,
    MtiEncoding, PrefixEncoding, SpecList, SpecStr, SubfieldSpec, Subfields, default_pad,
};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: String,
    #[serde(default)]
    note: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    source: String,
    mti: String,
    bitmap: String,
    bitmaps: u8,
    fields: BTreeMap<u16, FieldFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    name: String,
    class: String,
    #[serde(default = "fixed")]
    len: String,
    max: u16,
    data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    counts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pad: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mask: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subfields: Option<SubfieldsFile>,
}

fn fixed() -> String {
    "fixed".into()
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum SubfieldsFile {
    Positional(Vec<SubfieldFile>),
    Bitmap(Vec<SubfieldFile>),
    Tlv(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubfieldFile {
    name: String,
    class: String,
    len: u16,
    #[serde(default, skip_serializing_if = "is_false")]
    var: bool,
    /// Absent for a subfield that is always whole (`min` = `len`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<u16>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn named<T>(what: &'static str, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, String> {
    parse(name).ok_or_else(|| alloc::format!("unknown {what} {name:?}"))
}

fn subfields_from(list: Vec<SubfieldFile>) -> Result<SpecList<SubfieldSpec>, String> {
    let items = list
        .into_iter()
        .map(|s| {
            Ok(SubfieldSpec {
                name: SpecStr::Owned(s.name.into()),
                class: named("class", &s.class, Class::from_name)?,
                len: s.len,
                var: s.var,
                // No `min` in the file: the subfield is always whole.
                min: s.min.unwrap_or(s.len),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SpecList::Owned(items.into_boxed_slice()))
}

impl TryFrom<SpecFile> for MessageSpec {
    type Error = String;

    fn try_from(file: SpecFile) -> Result<Self, String> {
        let mut fields = Vec::with_capacity(file.fields.len());
        for (n, f) in file.fields {
            let number =
                u8::try_from(n).map_err(|_| alloc::format!("field number {n} too large"))?;
            let class = named("class", &f.class, Class::from_name)?;
            let pad = match f.pad.as_deref() {
                None => default_pad(class),
                Some(p) => match *p.as_bytes() {
                    [b] => b,
                    _ => return Err(alloc::format!("field {n}: pad {p:?} is not one character")),
                },
            };
            // Absent keys take the file format's documented defaults (see the module docs).
            let format = Format {
                class,
                length: named("len", &f.len, Length::from_name)?,
                max: f.max,
                data: named("data encoding", &f.data, Encoding::from_name)?,
                // The file format's documented defaults (see the module docs): `prefix` ascii,
                // `counts` chars, `mask` none.
                prefix: named(
                    "prefix encoding",
                    f.prefix.as_deref().unwrap_or("ascii"),
                    PrefixEncoding::from_name,
                )?,
                unit: named(
                    "counts",
                    f.counts.as_deref().unwrap_or("chars"),
                    LengthUnit::from_name,
                )?,
                pad,
            };
            let subfields = match f.subfields {
                None => Subfields::None,
                Some(SubfieldsFile::Positional(l)) => Subfields::Positional(subfields_from(l)?),
                Some(SubfieldsFile::Bitmap(l)) => Subfields::Bitmap(subfields_from(l)?),
                Some(SubfieldsFile::Tlv(m)) => Subfields::Tlv(match m.as_str() {
                    "strict" => Mode::Strict,
                    "lenient" => Mode::Lenient,
                    _ => return Err(alloc::format!("field {n}: tlv mode {m:?}")),
                }),
            };
            fields.push(FieldSpec {
                number,
                name: SpecStr::Owned(f.name.into()),
                format,
                mask: named("mask", f.mask.as_deref().unwrap_or("none"), Mask::from_name)?,
                subfields,
            });
        }
        let spec = MessageSpec::from_parts(
            &file.name,
            &file.note,
            named("mti encoding", &file.mti, MtiEncoding::from_name)?,
            named("bitmap encoding", &file.bitmap, BitmapEncoding::from_name)?,
            file.bitmaps,
            fields,
        );
        spec.check()
            .map_err(|(n, why)| alloc::format!("field {n}: {why}"))?;
        Ok(spec)
    }
}

fn subfields_to(list: &[SubfieldSpec]) -> Vec<SubfieldFile> {
    list.iter()
        .map(|s| SubfieldFile {
            name: s.name.to_string(),
            class: s.class.name().into(),
            len: s.len,
            var: s.var,
            min: (s.min != s.len).then_some(s.min),
        })
        .collect()
}

impl From<&MessageSpec> for SpecFile {
    fn from(spec: &MessageSpec) -> Self {
        let fields = spec
            .fields()
            .iter()
            .map(|f| {
                let fmt = &f.format;
                let var = fmt.length != Length::Fixed;
                let file = FieldFile {
                    name: f.name.to_string(),
                    class: fmt.class.name().into(),
                    len: fmt.length.name().into(),
                    max: fmt.max,
                    data: fmt.data.name().into(),
                    prefix: var.then(|| fmt.prefix.name().into()),
                    counts: (fmt.unit != LengthUnit::Chars).then(|| fmt.unit.name().into()),
                    pad: (fmt.pad != default_pad(fmt.class))
                        .then(|| char::from(fmt.pad).to_string()),
                    mask: (f.mask != Mask::None).then(|| f.mask.name().into()),
                    subfields: match &f.subfields {
                        Subfields::None => None,
                        Subfields::Positional(l) => {
                            Some(SubfieldsFile::Positional(subfields_to(l)))
                        }
                        Subfields::Bitmap(l) => Some(SubfieldsFile::Bitmap(subfields_to(l))),
                        Subfields::Tlv(Mode::Strict) => Some(SubfieldsFile::Tlv("strict".into())),
                        Subfields::Tlv(Mode::Lenient) => Some(SubfieldsFile::Tlv("lenient".into())),
                    },
                };
                (u16::from(f.number), file)
            })
            .collect();
        SpecFile {
            name: spec.name().into(),
            note: spec.note().into(),
            source: String::new(),
            mti: spec.mti_encoding().name().into(),
            bitmap: spec.bitmap_encoding().name().into(),
            bitmaps: spec.bitmaps(),
            fields,
        }
    }
}

#[cfg(feature = "json")]
impl MessageSpec {
    /// Loads a spec file at run time, as the build resolves the built-in ones: a file with
    /// `"base": NAME` names only what differs from the built-in spec `NAME`
    /// ([`crate::specs::by_name`]), merged by the one rule the build uses
    /// (`spec/base.rs`); a file without `base` is read whole. The result is checked
    /// ([`MessageSpec::check`]).
    ///
    /// ```
    /// use cardwire_iso8583::{MessageSpec, specs};
    /// let text = r#"{"name": "cups-sm4", "base": "cups", "note": "…",
    ///   "fields": {"52": {"name": "PIN data", "class": "b", "max": 16, "data": "binary"}}}"#;
    /// let spec = MessageSpec::from_json(text).unwrap();
    /// assert_eq!(spec.field(52).unwrap().format.max, 16);
    /// assert_eq!(spec.field(35), specs::CUPS.field(35));
    /// ```
    ///
    /// # Errors
    /// Text that is no spec file, a `base` that names no built-in spec, or a merged spec
    /// that does not read or check.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: serde_json::Value =
            serde_json::from_str(text).map_err(|e| alloc::format!("{e}"))?;
        let builtin =
            |name: &str| crate::specs::by_name(name).and_then(|s| serde_json::to_value(s).ok());
        let merged = super::base::resolve(file, builtin)?;
        serde_json::from_value(merged).map_err(|e| alloc::format!("{e}"))
    }
}

impl Serialize for MessageSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SpecFile::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for MessageSpec {
    /// Loads and checks a spec ([`MessageSpec::check`]); an incoherent one is an error.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        MessageSpec::try_from(SpecFile::deserialize(d)?).map_err(D::Error::custom)
    }
}
