//! A human dump of a message: field number, format, name and value, with card data masked
//! unless the caller asks for clear values.

use core::fmt::{self, Write};

use cardwire_emv::hex::Hex;
use cardwire_emv::mask::{MaskedValue, Masking, write_masked};
use cardwire_emv::tlv::{Mode, Reader};

use crate::message::{Field, Message};
use crate::spec::{Encoding, Format, Length, Mask, Subfields};

/// A field's value for display: masked by the field spec's [`Mask`] unless `clear`.
///
/// PAN: first 6 and last 4 digits; track data: the PAN masked, the separator shown, the rest
/// hidden; PIN block, MAC and track 3: hidden; TLV fields: the values of tags `5A`, `57`,
/// `5F20` and `99` masked in place.
#[derive(Clone, Copy, Debug)]
pub struct FieldValue<'a, 's> {
    field: Field<'a, 's>,
    clear: bool,
}

impl<'a, 's> FieldValue<'a, 's> {
    pub(crate) fn new(field: Field<'a, 's>, clear: bool) -> Self {
        Self { field, clear }
    }
}

/// How a field spec's mask maps onto the EMV crate's masking rules.
pub(crate) fn masking(mask: Mask, clear: bool) -> Masking {
    match (clear, mask) {
        (true, _) | (false, Mask::None) => Masking::Clear,
        (false, Mask::Pan) => Masking::Pan,
        (false, Mask::Track) => Masking::Track2,
        (false, Mask::Hidden) => Masking::Hidden,
    }
}

impl fmt::Display for FieldValue<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.field.spec();
        let how = masking(spec.mask, self.clear);
        if let (Subfields::Tlv(mode), false) = (&spec.subfields, self.clear) {
            if let Some(bytes) = self.field.bytes() {
                return write_masked_tlv(f, bytes, *mode);
            }
            // Hex-text TLV: decoded on the stack so that tags 5A/57 can be found and masked.
            let mut buf = [0u8; 1024];
            return match self.field.value_into(&mut buf) {
                Some(bytes) => write_masked_tlv(f, bytes, *mode),
                None => write_masked(f, self.field.chars().chars(), Masking::Hidden),
            };
        }
        write_masked(f, self.field.chars().chars(), how)
    }
}

/// Hex of TLV data with the sensitive values masked in place; padding shown as is.
pub(crate) fn write_masked_tlv<W: Write + ?Sized>(
    out: &mut W,
    data: &[u8],
    mode: Mode,
) -> fmt::Result {
    // Offsets come from the reader over `data`: padding and headers lie between `cursor` and
    // each value; a range outside `data` would be a reader bug and ends the output.
    let mut cursor = 0;
    for tlv in Reader::with_mode(data, mode) {
        let Ok(tlv) = tlv else {
            // Unreadable rest: hidden rather than risk showing card data.
            for _ in cursor..data.len() {
                out.write_str("**")?;
            }
            return Ok(());
        };
        let head = data.get(cursor..tlv.value_offset()).ok_or(fmt::Error)?;
        write!(out, "{}", Hex(head))?;
        write!(out, "{}", MaskedValue::new(&tlv, false))?;
        cursor = tlv.offset() + tlv.raw().len();
    }
    write!(out, "{}", Hex(data.get(cursor..).ok_or(fmt::Error)?))
}

/// The ISO notation of a format: `n 6`, `z ..37`, `ans ...163`, `b 8`.
#[derive(Clone, Copy, Debug)]
pub struct Notation<'f>(pub &'f Format);

impl fmt::Display for Notation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fmt = self.0;
        write!(f, "{} ", fmt.class)?;
        if let Length::Var(d) = fmt.length {
            for _ in 0..d {
                f.write_char('.')?;
            }
        }
        write!(f, "{}", fmt.max)?;
        match fmt.data {
            Encoding::Ascii => Ok(()),
            other => write!(f, " {other}"),
        }
    }
}

/// The human dump of a message, one field per line, subfields and data objects indented:
///
/// ```text
/// MTI 0200 (cups)
///   3 n 6 bcd-right        Processing code                           000000
///  35 z ..37 bcd-right     Track 2 data                              439226******2820D****************
///  60 n ...17 bcd-right    Reserved private: transaction data        22000001
///       60.1 Transaction type code                                   22
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Describe<'m, 'a, 's> {
    msg: &'m Message<'a, 's>,
    clear: bool,
}

impl<'m, 'a, 's> Describe<'m, 'a, 's> {
    /// A masked dump of `msg`.
    pub fn new(msg: &'m Message<'a, 's>) -> Self {
        Self { msg, clear: false }
    }

    /// Shows PAN, tracks, PIN block and MAC in clear.
    #[must_use]
    pub fn clear(mut self, clear: bool) -> Self {
        self.clear = clear;
        self
    }
}

/// Writes `text` left-aligned in `width` columns (names are ASCII in the built-in specs).
fn column(f: &mut fmt::Formatter<'_>, text: fmt::Arguments<'_>, width: usize) -> fmt::Result {
    struct Counter<'x, 'y> {
        f: &'x mut fmt::Formatter<'y>,
        n: usize,
    }
    impl Write for Counter<'_, '_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.n += s.chars().count();
            self.f.write_str(s)
        }
    }
    let mut c = Counter { f, n: 0 };
    c.write_fmt(text)?;
    let n = c.n;
    for _ in n..width {
        f.write_char(' ')?;
    }
    if n >= width {
        f.write_char(' ')?;
    }
    Ok(())
}

impl fmt::Display for Describe<'_, '_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = self.msg;
        writeln!(f, "MTI {} ({})", msg.mti(), msg.spec().name())?;
        for field in msg.fields() {
            let spec = field.spec();
            write!(f, "{:>3} ", field.number())?;
            column(f, format_args!("{}", Notation(&spec.format)), 20)?;
            column(f, format_args!("{}", spec.name), 44)?;
            match (&spec.subfields, field.bytes()) {
                (Subfields::Tlv(mode), Some(bytes)) => {
                    writeln!(f, "[{} bytes]", bytes.len())?;
                    describe_tlv(f, bytes, *mode, self.clear)?;
                }
                (Subfields::Positional(_) | Subfields::Bitmap(_), _) => {
                    writeln!(f, "{}", field.display(self.clear))?;
                    if spec.mask == Mask::None || self.clear {
                        for sub in field.subfields() {
                            let Ok(sub) = sub else { break };
                            f.write_str("      ")?;
                            column(
                                f,
                                format_args!("{}.{} {}", field.number(), sub.index, sub.spec.name),
                                62,
                            )?;
                            writeln!(f, "{}", sub.chars)?;
                        }
                    }
                }
                _ => writeln!(f, "{}", field.display(self.clear))?,
            }
        }
        Ok(())
    }
}

fn describe_tlv(f: &mut fmt::Formatter<'_>, bytes: &[u8], mode: Mode, clear: bool) -> fmt::Result {
    for tlv in Reader::with_mode(bytes, mode).walk() {
        let Ok(tlv) = tlv else {
            return writeln!(f, "      (malformed TLV)");
        };
        f.write_str("      ")?;
        for _ in 0..tlv.depth() {
            f.write_str("  ")?;
        }
        write!(f, "{} [{}]", tlv.tag(), tlv.len())?;
        if !tlv.is_constructed() {
            write!(f, " {}", MaskedValue::new(&tlv, clear))?;
        }
        f.write_char('\n')?;
    }
    Ok(())
}
