//! Decoding: [`Message`] is a borrowed view of a message; [`Field`] a borrowed view of one field.
//! Nothing here allocates: the view stores the end offset of each field it read.

use core::fmt;
use core::ops::Range;

use cardwire_emv::tlv::{Mode, Reader};

use crate::bitmap::Bitmap;
use crate::chars::{Chars, Repr};
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::mti::Mti;
use crate::spec::{
    BitmapEncoding, Check, Class, Encoding, FieldSpec, Format, Length, LengthUnit, MessageSpec,
    MtiEncoding, Plan, RUN_BCD, RUN_NONE, Shape, SubfieldSpec, Subfields,
};
use crate::text::{
    ascii_ok, char_ok, first_bad_ascii, first_bad_bcd_digit, from_ebcdic_byte, hex_value, nibble,
    range8, read_prefix,
};

/// The longest TLV field checked when it travels as hex text (decoded on the stack).
const MAX_HEX_TLV: usize = 1024;

/// A decoded message: the MTI, the bitmap and where each field lies in the borrowed bytes.
///
/// ```
/// use cardwire_iso8583::{Message, specs};
/// let bytes = cardwire_emv::hex::decode_to_vec(
///     "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084\
///      393136363838303134303030303030303030303030303031313536ACF46E73838A82F926000000000000\
///      000008220000013841394539314238",
/// ).unwrap();
/// let msg = Message::decode(&specs::CUPS, &bytes)?;
/// assert_eq!(msg.mti().as_str(), "0200");
/// assert_eq!(msg.get(4).and_then(|a| a.to_u64()), Some(51));
/// assert_eq!(msg.field(60).unwrap().subfield(2).unwrap().to_string(), "000001");
/// assert_eq!(msg.mab().unwrap().len(), 91);
/// # Ok::<(), cardwire_iso8583::Error>(())
/// ```
#[derive(Clone)]
pub struct Message<'a, 's> {
    spec: &'s MessageSpec,
    buf: &'a [u8],
    mti: Mti,
    bitmap: Bitmap,
    present: Bitmap,
    body: u16,
    ends: [u16; MAX_PRESENT],
}

/// The most data fields one decoded message may carry. Two-bitmap messages have at most 127;
/// only a three-bitmap message could carry more, and one that does is refused with
/// [`ErrorKind::TooManyFields`] (the view keeps its offsets in a fixed array).
pub const MAX_PRESENT: usize = 128;

/// The outcome of [`Message::decode_partial`]: the fields read before the first error.
#[derive(Clone, Debug)]
pub struct Partial<'a, 's> {
    /// Every field read (and validated) before the error; all of them if there was none.
    pub message: Message<'a, 's>,
    /// The first error, if any.
    pub error: Option<Error>,
}

impl<'a, 's> Message<'a, 's> {
    fn empty(spec: &'s MessageSpec, buf: &'a [u8]) -> Self {
        Self {
            spec,
            buf,
            mti: Mti::UNSET,
            bitmap: Bitmap::EMPTY,
            present: Bitmap::EMPTY,
            body: 0,
            ends: [0; MAX_PRESENT],
        }
    }

    /// Decodes and fully validates `buf`: structure, lengths, every character against its
    /// class, BCD nibbles and pads, subfields and field 55's TLV. Decoding allocates nothing.
    ///
    /// # Errors
    /// The first problem, with its field path and byte offset. Use
    /// [`Message::decode_partial`] to keep the fields read before it.
    #[inline]
    pub fn decode(spec: &'s MessageSpec, buf: &'a [u8]) -> Result<Self, Error> {
        // Built inside the result so that the view is not copied out of a local.
        let mut out = Ok(Self::empty(spec, buf));
        if let Ok(msg) = &mut out
            && let Err(e) = msg.read::<true>(usize::MAX)
        {
            return Err(e);
        }
        out
    }

    /// Decodes the structure only (MTI, bitmaps, length prefixes, bounds); field contents are
    /// checked when read with [`Field::validate`] or all at once with [`Message::validate`].
    /// Safe on untrusted input: every access is bounds-checked.
    ///
    /// # Errors
    /// The first structural problem.
    pub fn decode_lazy(spec: &'s MessageSpec, buf: &'a [u8]) -> Result<Self, Error> {
        let mut msg = Self::empty(spec, buf);
        msg.read::<false>(usize::MAX)?;
        Ok(msg)
    }

    /// Decodes and validates as far as possible: the message holds every field read before
    /// the first error, so a host can still answer a malformed request with its fields 11
    /// and 41.
    pub fn decode_partial(spec: &'s MessageSpec, buf: &'a [u8]) -> Partial<'a, 's> {
        let mut message = Self::empty(spec, buf);
        let error = message.read::<true>(usize::MAX).err();
        Partial { message, error }
    }

    /// Reads only as far as field `n` (structure of the fields before it, full validation of
    /// field `n`) and returns it: the on-demand path for a router that needs one field.
    ///
    /// # Errors
    /// A structural problem before field `n`, or a problem in field `n`.
    pub fn peek(
        spec: &'s MessageSpec,
        buf: &'a [u8],
        n: usize,
    ) -> Result<Option<Field<'a, 's>>, Error> {
        let mut msg = Self::empty(spec, buf);
        msg.read::<false>(n)?;
        match msg.field(n) {
            Some(field) => {
                field.validate()?;
                Ok(Some(field))
            }
            None => Ok(None),
        }
    }

    /// The reading loop. `FULL` adds content validation; `stop` ends the walk after that
    /// field (skipping the trailing-bytes check).
    #[inline(always)]
    fn read<const FULL: bool>(&mut self, stop: usize) -> Result<(), Error> {
        let spec = self.spec;
        let buf = self.buf;
        if buf.len() > usize::from(u16::MAX) {
            return Err(at(ErrorKind::MessageTooLong, 0));
        }
        let (mti, mut off) = read_mti(spec, buf)?;
        self.mti = mti;
        let (bitmap, body) = read_bitmaps(spec, buf, off)?;
        self.bitmap = bitmap;
        off = body;
        self.body = u16::try_from(off).unwrap_or(u16::MAX);
        let mut data = bitmap;
        data.remove(1);
        if spec.bitmaps() >= 3 {
            data.remove(65);
        }
        // The fast walk handles well-formed messages; anything it cannot vouch for is read
        // again below by the precise walk, which names the field, offset and cause.
        let [w0, w1, w2] = data.words();
        if stop == usize::MAX && fast_walk::<FULL>(spec, buf, off, (w0, w1, w2), &mut self.ends) {
            self.present = data;
            return Ok(());
        }
        let mut slot = 0usize;
        // Runs of consecutive fields of one class are checked in one pass when the run ends:
        // the fields of a message lie back to back, and their length prefixes are digits of
        // the same class.
        let mut run = Run {
            key: RUN_NONE,
            class: Class::B,
            start: off,
            slot: 0,
        };
        // The bitmap words walked in place: the highest set bit of each word is the next field.
        for (word_index, word) in data.words().into_iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let lz = bits.leading_zeros() as usize;
                bits &= !(1u64 << (63 - lz));
                let n = word_index * 64 + lz + 1;
                if n > stop {
                    self.present = data.below(n);
                    return Ok(());
                }
                let p = spec.plan(n);
                let read = if p.slot == 0 {
                    Err(Error::new(
                        ErrorKind::UndefinedField,
                        off,
                        FieldPath::field(u8::try_from(n).unwrap_or(0)),
                    ))
                } else {
                    read_planned(&p, n, spec, buf, off)
                };
                let (start, chars, end) = match read {
                    Ok(r) => r,
                    Err(e) => return Err(self.fail::<FULL>(&run, off, data, n, e)),
                };
                if FULL {
                    if p.run != run.key || p.run == RUN_NONE {
                        self.flush(&run, off, data)?;
                        run = Run {
                            key: p.run,
                            class: p.class,
                            start: off,
                            slot,
                        };
                    }
                    let value = buf.get(start..end).unwrap_or_default();
                    let checked = match p.check {
                        Check::Nothing | Check::Run => Ok(()),
                        Check::RunPad => check_pad(p.pad_side, value, chars).map_err(|i| {
                            Error::new(
                                ErrorKind::InvalidPad { expected: b'0' },
                                start + i,
                                FieldPath::field(u8::try_from(n).unwrap_or(0)),
                            )
                        }),
                        Check::Generic => match spec.field(n) {
                            Some(f) => check_field_value(f, value, chars, start),
                            None => Ok(()),
                        },
                    };
                    if let Err(e) = checked {
                        return Err(self.fail::<FULL>(&run, off, data, n, e));
                    }
                }
                match self.ends.get_mut(slot) {
                    Some(e) => *e = u16::try_from(end).unwrap_or(u16::MAX),
                    None => {
                        let e = at(ErrorKind::TooManyFields { max: MAX_PRESENT }, off);
                        return Err(self.fail::<FULL>(&run, off, data, n, e));
                    }
                }
                slot += 1;
                off = end;
            }
        }
        if FULL {
            self.flush(&run, off, data)?;
        }
        self.present = data;
        if off != buf.len() {
            return Err(at(
                ErrorKind::TrailingBytes {
                    count: buf.len() - off,
                },
                off,
            ));
        }
        Ok(())
    }

    /// The error to report when field `n` failed with `e`: an earlier bad character in the
    /// pending run comes first. Keeps the fields before the failing one.
    #[cold]
    fn fail<const FULL: bool>(
        &mut self,
        run: &Run,
        off: usize,
        data: Bitmap,
        n: usize,
        e: Error,
    ) -> Error {
        if FULL && let Err(earlier) = self.flush(run, off, data) {
            return earlier;
        }
        self.present = data.below(n);
        e
    }

    /// Checks the characters of a run of fields ending at `end`; on failure names the field
    /// holding the first bad byte and keeps only the fields before it.
    #[inline(never)]
    fn flush(&mut self, run: &Run, end: usize, data: Bitmap) -> Result<(), Error> {
        let bytes = self.buf.get(run.start..end).unwrap_or_default();
        let bad = match run.key {
            RUN_NONE => return Ok(()),
            RUN_BCD => first_bad_bcd_digit(bytes).map(|nibble| nibble / 2),
            _ => first_bad_ascii(run.class, bytes),
        };
        let Some(p) = bad else { return Ok(()) };
        let at_byte = run.start + p;
        // The field holding the byte: the first of the run that ends after it.
        let mut slot = run.slot;
        while self
            .ends
            .get(slot)
            .is_some_and(|&e| usize::from(e) <= at_byte)
        {
            slot += 1;
        }
        let n = data.iter().nth(slot).unwrap_or(0);
        let class = self.spec.field(n).map_or(Class::N, |f| f.format.class);
        self.present = data.below(n);
        Err(Error::new(
            ErrorKind::InvalidCharacter { expected: class },
            at_byte,
            FieldPath::field(u8::try_from(n).unwrap_or(0)),
        ))
    }

    /// The spec the message was decoded with.
    pub fn spec(&self) -> &'s MessageSpec {
        self.spec
    }

    /// The MTI.
    pub fn mti(&self) -> Mti {
        self.mti
    }

    /// The bitmap as on the wire (bitmap indicator bits included).
    pub fn bitmap(&self) -> Bitmap {
        self.bitmap
    }

    /// The data fields decoded (for a partial decode: those read before the error).
    pub fn present(&self) -> Bitmap {
        self.present
    }

    /// The whole message as given.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Bytes the message takes (through its last field read).
    pub fn len(&self) -> usize {
        match self.present.len() {
            0 => usize::from(self.body),
            k => usize::from(self.ends.get(k - 1).copied().unwrap_or(0)),
        }
    }

    /// Whether no field was read.
    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// Where field `n` lies: start of its length prefix .. end of its value.
    fn span(&self, n: usize) -> Option<Range<usize>> {
        if !self.present.contains(n) {
            return None;
        }
        let rank = self.present.rank(n);
        let start = match rank {
            0 => self.body,
            r => *self.ends.get(r - 1)?,
        };
        Some(usize::from(start)..usize::from(*self.ends.get(rank)?))
    }

    /// Field `n`, if present.
    pub fn field(&self, n: usize) -> Option<Field<'a, 's>> {
        let spec = self.spec.field(n)?;
        let span = self.span(n)?;
        Field::at(spec, self.buf, span)
    }

    /// The characters of field `n` (binary fields as hex), if present.
    pub fn get(&self, n: usize) -> Option<Chars<'a>> {
        self.field(n).map(|f| f.chars())
    }

    /// Every field present, in order.
    pub fn fields(&self) -> impl Iterator<Item = Field<'a, 's>> + '_ {
        self.present.iter().filter_map(|n| self.field(n))
    }

    /// Validates every field's content (after [`Message::decode_lazy`]).
    ///
    /// # Errors
    /// The first invalid field.
    pub fn validate(&self) -> Result<(), Error> {
        self.fields().try_for_each(|f| f.validate())
    }

    /// The MAC field (64, or 128 / 192 in multi-bitmap messages) when it is the last field.
    pub fn mac(&self) -> Option<Field<'a, 's>> {
        let last = self.present.last()?;
        if last % 64 == 0 {
            self.field(last)
        } else {
            None
        }
    }

    /// The byte range the MAC is computed over: from the MTI up to (not including) the MAC
    /// field — for CUPS, MTI through field 63.
    pub fn mab_range(&self) -> Option<Range<usize>> {
        Some(0..self.mac()?.offset())
    }

    /// The MAC input block: the message bytes from the MTI up to the MAC field.
    pub fn mab(&self) -> Option<&'a [u8]> {
        self.buf.get(self.mab_range()?)
    }
}

impl fmt::Debug for Message<'_, '_> {
    // Field values may be card data: `Debug` names the fields, `Describe` shows them masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("spec", &self.spec.name())
            .field("mti", &self.mti)
            .field("fields", &self.present)
            .field("len", &self.len())
            .finish()
    }
}

fn truncated(buf: &[u8], end: usize, offset: usize, path: FieldPath) -> Error {
    Error::new(
        ErrorKind::Truncated {
            needed: end.saturating_sub(buf.len()),
        },
        offset,
        path,
    )
}

/// Reads the MTI; returns it and the offset after it.
#[inline(always)]
fn read_mti(spec: &MessageSpec, buf: &[u8]) -> Result<(Mti, usize), Error> {
    let len = spec.mti_len();
    let raw = buf
        .get(..len)
        .ok_or_else(|| truncated(buf, len, 0, FieldPath::MESSAGE))?;
    let digits = match (spec.mti_encoding(), raw) {
        (MtiEncoding::Ascii, &[a, b, c, d]) => [a, b, c, d],
        (MtiEncoding::Ebcdic, &[a, b, c, d]) => [a, b, c, d].map(from_ebcdic_byte),
        (MtiEncoding::Bcd, &[x, y]) => {
            [x >> 4, x & 15, y >> 4, y & 15].map(|n| if n <= 9 { b'0' + n } else { b'?' })
        }
        _ => return Err(at(ErrorKind::InvalidMti, 0)),
    };
    let mti = Mti::new(digits).ok_or(at(ErrorKind::InvalidMti, 0))?;
    Ok((mti, len))
}

/// Reads one 64-bit bitmap at `off`.
#[inline(always)]
fn read_bitmap_word(spec: &MessageSpec, buf: &[u8], off: usize) -> Result<u64, Error> {
    let len = spec.bitmap_len();
    let raw = buf
        .get(off..off + len)
        .ok_or_else(|| truncated(buf, off + len, off, FieldPath::MESSAGE))?;
    match spec.bitmap_encoding() {
        BitmapEncoding::Binary => Ok(u64::from_be_bytes(raw.try_into().unwrap_or([0; 8]))),
        BitmapEncoding::Hex => {
            let (hi, lo) = raw.split_at(8);
            match (hex8(hi), hex8(lo)) {
                (Some(h), Some(l)) => Ok((u64::from(h) << 32) | u64::from(l)),
                _ => {
                    let i = raw
                        .iter()
                        .position(|&c| hex_value(c).is_none())
                        .unwrap_or(0);
                    Err(at(ErrorKind::InvalidBitmap, off + i))
                }
            }
        }
    }
}

/// Eight upper-case hex characters as a number, eight at a time.
#[inline(always)]
fn hex8(chars: &[u8]) -> Option<u32> {
    let v = u64::from_be_bytes(chars.try_into().ok()?);
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let digit = range8(v, b'0', b'9');
    let letter = range8(v, b'A', b'F');
    if v & HIGH != 0 || (digit | letter) != HIGH {
        return None;
    }
    // Digits: low nibble; letters: low nibble + 9.
    let nibbles = (v & (0x0F * ONES)) + ((letter >> 7) * 9);
    // Gather the eight nibbles (big-endian bytes) into 32 bits.
    let mut x = nibbles;
    x = ((x >> 4) | x) & 0x00FF_00FF_00FF_00FF;
    x = ((x >> 8) | x) & 0x0000_FFFF_0000_FFFF;
    x = ((x >> 16) | x) & 0x0000_0000_FFFF_FFFF;
    u32::try_from(x).ok()
}

/// Reads the primary bitmap and the further ones it announces.
#[inline(always)]
fn read_bitmaps(spec: &MessageSpec, buf: &[u8], off: usize) -> Result<(Bitmap, usize), Error> {
    let step = spec.bitmap_len();
    let mut words = [read_bitmap_word(spec, buf, off)?, 0, 0];
    let mut end = off + step;
    if words[0] >> 63 == 1 {
        if spec.bitmaps() < 2 {
            return Err(at(
                ErrorKind::TooManyBitmaps {
                    allowed: spec.bitmaps(),
                },
                off,
            ));
        }
        words[1] = read_bitmap_word(spec, buf, end)?;
        // A further bitmap announces at least one field: an empty one could not be
        // re-encoded (the encoder writes the bitmaps the fields need), so it is malformed.
        let tertiary = spec.bitmaps() >= 3 && words[1] >> 63 == 1;
        let data = if spec.bitmaps() >= 3 {
            words[1] & !(1 << 63)
        } else {
            words[1]
        };
        if data == 0 && !tertiary {
            return Err(at(ErrorKind::InvalidBitmap, end));
        }
        end += step;
        if tertiary {
            words[2] = read_bitmap_word(spec, buf, end)?;
            if words[2] == 0 {
                return Err(at(ErrorKind::InvalidBitmap, end));
            }
            end += step;
        }
    }
    Ok((Bitmap::from_words(words), end))
}

/// Checks a run of fields' characters in one pass.
#[inline(always)]
fn run_ok(key: u8, class: Class, bytes: &[u8]) -> bool {
    match key {
        RUN_NONE => true,
        RUN_BCD => first_bad_bcd_digit(bytes).is_none(),
        _ => ascii_ok(class, bytes),
    }
}

/// The decoder's hot loop: reads and (when `FULL`) checks every field through its plan and
/// records where each ends. Answers only whether the message is well-formed; the precise walk
/// finds out what is wrong when it is not.
// Out of line: with its own registers the loop keeps its state out of memory.
#[inline(never)]
fn fast_walk<const FULL: bool>(
    spec: &MessageSpec,
    buf: &[u8],
    body: usize,
    // Three scalars rather than an array: the words were just written one by one, and an
    // array read back in wider pieces would stall on store forwarding.
    words: (u64, u64, u64),
    ends: &mut [u16; MAX_PRESENT],
) -> bool {
    let plans = spec.plans();
    let len = buf.len();
    let mut off = body;
    let mut slot = 0usize;
    let mut key = RUN_NONE;
    let mut class = Class::B;
    let mut run_start = off;
    for word_index in 0..3 {
        let mut bits = match word_index {
            0 => words.0,
            1 => words.1,
            _ => words.2,
        };
        while bits != 0 {
            let lz = bits.leading_zeros() as usize;
            bits &= !(1u64 << (63 - lz));
            let n = word_index * 64 + lz + 1;
            let Some(p) = plans.get(n) else { return false };
            if p.slot == 0 {
                return false;
            }
            let (start, chars, end) = match p.shape {
                Shape::Fixed => (off, usize::from(p.max), off + usize::from(p.wire)),
                Shape::Generic => return false,
                shape => {
                    let pl = usize::from(p.prefix_len);
                    let Some(raw) = buf.get(off..off + pl) else {
                        return false;
                    };
                    let Some(v) = prefix_value(raw, shape != Shape::AsciiChars) else {
                        return false;
                    };
                    if v > usize::from(p.max) {
                        return false;
                    }
                    let wire = if shape == Shape::BcdDigits {
                        v.div_ceil(2)
                    } else {
                        v
                    };
                    (off + pl, v, off + pl + wire)
                }
            };
            if end > len {
                return false;
            }
            if FULL {
                if p.run != key {
                    if !run_ok(key, class, buf.get(run_start..off).unwrap_or_default()) {
                        return false;
                    }
                    key = p.run;
                    class = p.class;
                    run_start = off;
                }
                let ok = match p.check {
                    Check::Nothing | Check::Run => true,
                    Check::RunPad => {
                        check_pad(p.pad_side, buf.get(start..end).unwrap_or_default(), chars)
                            .is_ok()
                    }
                    Check::Generic => match spec.field(n) {
                        Some(f) => {
                            let value = buf.get(start..end).unwrap_or_default();
                            check_field_value(f, value, chars, start).is_ok()
                        }
                        None => false,
                    },
                };
                if !ok {
                    return false;
                }
            }
            let Some(e) = ends.get_mut(slot) else {
                return false;
            };
            *e = u16::try_from(end).unwrap_or(u16::MAX);
            slot += 1;
            off = end;
        }
    }
    if FULL && !run_ok(key, class, buf.get(run_start..off).unwrap_or_default()) {
        return false;
    }
    off == len
}

/// A run of fields whose characters are checked together.
#[derive(Clone, Copy, Debug)]
struct Run {
    key: u8,
    class: Class,
    start: usize,
    slot: usize,
}

/// The pad nibble of an odd-length BCD value (the digits are checked by the run); the error
/// is the byte position in the value.
#[inline(always)]
fn check_pad(pad_side: u8, value: &[u8], chars: usize) -> Result<(), usize> {
    if chars.is_multiple_of(2) {
        return Ok(());
    }
    match pad_side {
        1 if value.first().is_some_and(|b| b >> 4 != 0) => Err(0),
        2 if value.last().is_some_and(|b| b & 0x0F != 0) => Err(value.len().saturating_sub(1)),
        _ => Ok(()),
    }
}

/// Reads a decimal length prefix of ASCII digits (`bcd == false`) or packed BCD.
#[inline(always)]
fn prefix_value(raw: &[u8], bcd: bool) -> Option<usize> {
    let mut v = 0usize;
    for &b in raw {
        if bcd {
            let (hi, lo) = (b >> 4, b & 0x0F);
            if hi > 9 || lo > 9 {
                return None;
            }
            v = v * 100 + usize::from(hi) * 10 + usize::from(lo);
        } else {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + usize::from(d);
        }
    }
    Some(v)
}

/// Reads a field's structure through its plan; the generic reader for unusual formats.
#[inline(always)]
fn read_planned(
    p: &Plan,
    n: usize,
    spec: &MessageSpec,
    buf: &[u8],
    off: usize,
) -> Result<(usize, usize, usize), Error> {
    let path = || FieldPath::field(u8::try_from(n).unwrap_or(0));
    let (start, chars, end) = match p.shape {
        Shape::Fixed => (off, usize::from(p.max), off + usize::from(p.wire)),
        Shape::Generic => {
            return match spec.field(n) {
                Some(f) => read_structure(f, buf, off),
                None => Err(Error::new(ErrorKind::UndefinedField, off, path())),
            };
        }
        shape => {
            let pl = usize::from(p.prefix_len);
            let raw = buf
                .get(off..off + pl)
                .ok_or_else(|| truncated(buf, off + pl, off, path()))?;
            let v = prefix_value(raw, shape != Shape::AsciiChars)
                .ok_or_else(|| Error::new(ErrorKind::InvalidPrefix, off, path()))?;
            if v > usize::from(p.max) {
                return Err(Error::new(
                    ErrorKind::InvalidLength {
                        max: p.max,
                        found: v,
                    },
                    off,
                    path(),
                ));
            }
            let wire = if shape == Shape::BcdDigits {
                v.div_ceil(2)
            } else {
                v
            };
            (off + pl, v, off + pl + wire)
        }
    };
    if end > buf.len() {
        return Err(truncated(buf, end, start, path()));
    }
    Ok((start, chars, end))
}

/// Reads one field's structure at `off`: its prefix and bounds.
/// Returns where its value starts, its length in characters, and where it ends.
#[inline(never)]
fn read_structure(f: &FieldSpec, buf: &[u8], off: usize) -> Result<(usize, usize, usize), Error> {
    let fmt = &f.format;
    let path = FieldPath::field(f.number);
    let (start, chars) = match fmt.length {
        Length::Fixed => (off, usize::from(fmt.max)),
        Length::Var(_) => {
            let pl = fmt.prefix_len();
            let raw = buf
                .get(off..off + pl)
                .ok_or_else(|| truncated(buf, off + pl, off, path))?;
            let v = read_prefix(fmt, raw).ok_or(Error::new(ErrorKind::InvalidPrefix, off, path))?;
            let chars = match fmt.unit {
                LengthUnit::Chars => v,
                LengthUnit::Bytes => fmt.chars_in(v).ok_or(Error::new(
                    ErrorKind::InvalidLength {
                        max: fmt.max,
                        found: v,
                    },
                    off,
                    path,
                ))?,
            };
            if chars > usize::from(fmt.max) {
                return Err(Error::new(
                    ErrorKind::InvalidLength {
                        max: fmt.max,
                        found: chars,
                    },
                    off,
                    path,
                ));
            }
            (off + pl, chars)
        }
    };
    let end = start + fmt.wire_len(chars);
    if end > buf.len() {
        return Err(truncated(buf, end, start, path));
    }
    Ok((start, chars, end))
}

/// Validates a field's value: characters, BCD digits and pad, subfields, TLV.
// Kept out of line: the decoder's loop stays small enough to live in registers.
#[inline(never)]
pub(crate) fn check_field_value(
    f: &FieldSpec,
    value: &[u8],
    chars: usize,
    start: usize,
) -> Result<(), Error> {
    let fmt = &f.format;
    let path = FieldPath::field(f.number);
    let bad_char = |i: usize| {
        Error::new(
            ErrorKind::InvalidCharacter {
                expected: fmt.class,
            },
            start + i,
            path,
        )
    };
    match fmt.data {
        Encoding::Ascii => {
            if let Some(i) = first_bad_ascii(fmt.class, value) {
                return Err(bad_char(i));
            }
        }
        Encoding::Ebcdic => {
            for (i, &b) in value.iter().enumerate() {
                let c = from_ebcdic_byte(b);
                if c == 0 || !char_ok(fmt.class, c, i) {
                    return Err(bad_char(i));
                }
            }
        }
        Encoding::Bcd | Encoding::BcdRight => {
            check_bcd(fmt, value, chars).map_err(|(i, kind)| Error::new(kind, start + i, path))?
        }
        Encoding::Binary => {}
        Encoding::Hex => {
            if let Some(i) = value.iter().position(|&c| hex_value(c).is_none()) {
                return Err(bad_char(i));
            }
        }
    }
    match &f.subfields {
        Subfields::None => Ok(()),
        Subfields::Tlv(mode) => check_tlv(f, value, start, *mode),
        Subfields::Positional(_) | Subfields::Bitmap(_) => {
            // Digits (already checked) are of every subfield class but `a`: then only the
            // lengths need checking, which positional subfields allow without cutting.
            let digits = fmt.class == Class::N;
            if digits && positional_lengths_fit(&f.subfields, chars) {
                return Ok(());
            }
            let chars = field_chars(fmt, value, chars);
            for sub in SubfieldIter::new(f, chars) {
                let sub = sub.map_err(|e| e.into_error(f, fmt, start))?;
                if digits && sub.spec.class != Class::A {
                    continue;
                }
                if let Some(i) = sub
                    .chars
                    .iter()
                    .enumerate()
                    .position(|(i, c)| !char_ok(sub.spec.class, c, i))
                {
                    let pos = sub.start + i;
                    return Err(Error::new(
                        ErrorKind::InvalidCharacter {
                            expected: sub.spec.class,
                        },
                        start + byte_of(fmt, pos),
                        FieldPath::subfield(f.number, sub.index),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Whether `chars` characters divide exactly into leading positional subfields (the last one
/// taken may be variable), none of class `a`. `false` sends the caller to the full check.
#[inline]
pub(crate) fn positional_lengths_fit(subfields: &Subfields, chars: usize) -> bool {
    let Subfields::Positional(list) = subfields else {
        return false;
    };
    let mut sum = 0usize;
    for sub in list.iter() {
        if sum == chars {
            return true;
        }
        if sub.class == Class::A {
            return false;
        }
        let len = usize::from(sub.len);
        if sub.var {
            return chars - sum <= len;
        }
        sum += len;
    }
    sum == chars
}

/// Checks packed BCD: the sign byte of `x+n`, the pad nibble, and each digit.
/// Errors carry the byte position inside the value.
fn check_bcd(fmt: &Format, value: &[u8], chars: usize) -> Result<(), (usize, ErrorKind)> {
    let bad = ErrorKind::InvalidCharacter {
        expected: fmt.class,
    };
    let (digits, digit_count, base) = if fmt.class == Class::XN {
        match value.split_first() {
            Some((&(b'C' | b'D'), rest)) => (rest, chars.saturating_sub(1), 1),
            _ => return Err((0, bad)),
        }
    } else {
        (value, chars, 0)
    };
    let nibbles = digits.len() * 2;
    let left = fmt.data == Encoding::Bcd;
    let padded = nibbles != digit_count;
    let pad = crate::text::char_nibble(fmt.pad).unwrap_or(0);
    if padded {
        let at_nib = if left { 0 } else { nibbles.saturating_sub(1) };
        if nibble(digits, at_nib) != Some(pad) {
            return Err((
                base + at_nib / 2,
                ErrorKind::InvalidPad { expected: fmt.pad },
            ));
        }
    }
    if fmt.class != Class::Z && (!padded || pad <= 9) {
        // The pad (if any) is a digit too: one pass over whole bytes.
        return match first_bad_bcd_digit(digits) {
            Some(i) => Err((base + i / 2, bad)),
            None => Ok(()),
        };
    }
    // Track data: digits and the separator D; the pad nibble (checked above) may be F.
    let z = fmt.class == Class::Z;
    let ok = |n: u8| n <= 9 || (z && n == 0x0D);
    let last = digits.len().saturating_sub(1);
    let edge_ok = |i: usize, b: u8| {
        let hi_is_pad = padded && left && i == 0;
        let lo_is_pad = padded && !left && i == last;
        (hi_is_pad || ok(b >> 4)) && (lo_is_pad || ok(b & 0x0F))
    };
    let inner = digits.get(1..last).unwrap_or_default();
    let table = if z { &TRACK_BYTE } else { &DIGIT_BYTE };
    if let Some(i) = inner
        .iter()
        .position(|&b| !table.get(usize::from(b)).copied().unwrap_or(false))
    {
        return Err((base + 1 + i, bad));
    }
    for (i, b) in [(0, digits.first()), (last, digits.last())] {
        if let Some(&b) = b
            && !edge_ok(i, b)
        {
            return Err((base + i, bad));
        }
    }
    Ok(())
}

/// Bytes whose two nibbles are decimal digits.
static DIGIT_BYTE: [bool; 256] = nibble_table(false);
/// Bytes whose two nibbles are digits or the track separator D.
static TRACK_BYTE: [bool; 256] = nibble_table(true);

// `b < 256` bounds the index; `get_mut` is not `const`.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn nibble_table(track: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let (hi, lo) = ((b >> 4) as u8, (b & 0x0F) as u8);
        t[b] = (hi <= 9 || (track && hi == 0x0D)) && (lo <= 9 || (track && lo == 0x0D));
        b += 1;
    }
    t
}

/// Validates a TLV field.
#[cold]
fn check_tlv(f: &FieldSpec, value: &[u8], start: usize, mode: Mode) -> Result<(), Error> {
    let tlv_error = |e: cardwire_emv::Error, scale: usize| {
        let path = match e.tag() {
            Some(t) => FieldPath::tag(f.number, t),
            None => FieldPath::field(f.number),
        };
        Error::new(ErrorKind::Tlv(e.kind()), start + e.offset() * scale, path)
    };
    if f.format.data == Encoding::Hex {
        let mut bytes = [0u8; MAX_HEX_TLV];
        let n = value.len() / 2;
        let dst = bytes.get_mut(..n).ok_or(Error::new(
            ErrorKind::InvalidLength {
                max: u16::try_from(MAX_HEX_TLV).unwrap_or(u16::MAX),
                found: n,
            },
            start,
            FieldPath::field(f.number),
        ))?;
        for (d, pair) in dst.iter_mut().zip(value.chunks_exact(2)) {
            if let [h, l] = pair {
                *d = (hex_value(*h).unwrap_or(0) << 4) | hex_value(*l).unwrap_or(0);
            }
        }
        Reader::with_mode(dst, mode)
            .validate()
            .map_err(|e| tlv_error(e, 2))
    } else {
        Reader::with_mode(value, mode)
            .validate()
            .map_err(|e| tlv_error(e, 1))
    }
}

/// The characters of a value in place.
#[inline]
pub(crate) fn field_chars<'a>(fmt: &Format, value: &'a [u8], chars: usize) -> Chars<'a> {
    match fmt.data {
        Encoding::Ascii => Chars::new(value, Repr::Ascii, 0, chars),
        Encoding::Ebcdic => Chars::new(value, Repr::Ebcdic, 0, chars),
        Encoding::Hex => Chars::new(value, Repr::Ascii, 0, chars * 2),
        Encoding::Binary => Chars::new(value, Repr::HexBytes, 0, chars * 2),
        Encoding::Bcd | Encoding::BcdRight => {
            let (repr, digit_bytes, digits) = if fmt.class == Class::XN {
                (
                    Repr::SignNibbles,
                    value.len().saturating_sub(1),
                    chars.saturating_sub(1),
                )
            } else {
                (Repr::Nibbles, value.len(), chars)
            };
            let nib = u8::from(fmt.data == Encoding::Bcd && digit_bytes * 2 != digits);
            Chars::new(value, repr, nib, chars)
        }
    }
}

/// Byte offset inside the value of character `pos` of the characters view.
fn byte_of(fmt: &Format, pos: usize) -> usize {
    match fmt.data {
        Encoding::Ascii | Encoding::Ebcdic | Encoding::Hex => pos,
        Encoding::Binary => pos / 2,
        Encoding::Bcd | Encoding::BcdRight => pos / 2,
    }
}

/// One field of a decoded message.
#[derive(Clone, Copy)]
pub struct Field<'a, 's> {
    spec: &'s FieldSpec,
    raw: &'a [u8],
    offset: usize,
    prefix: usize,
    chars: usize,
}

impl<'a, 's> Field<'a, 's> {
    fn at(spec: &'s FieldSpec, buf: &'a [u8], span: Range<usize>) -> Option<Self> {
        let offset = span.start;
        let raw = buf.get(span)?;
        let fmt = &spec.format;
        let prefix = fmt.prefix_len();
        let chars = match fmt.length {
            Length::Fixed => usize::from(fmt.max),
            Length::Var(_) => {
                let v = read_prefix(fmt, raw.get(..prefix)?)?;
                match fmt.unit {
                    LengthUnit::Chars => v,
                    LengthUnit::Bytes => fmt.chars_in(v)?,
                }
            }
        };
        Some(Self {
            spec,
            raw,
            offset,
            prefix,
            chars,
        })
    }

    /// The field number.
    pub fn number(&self) -> u8 {
        self.spec.number
    }

    /// The field's spec.
    pub fn spec(&self) -> &'s FieldSpec {
        self.spec
    }

    /// The field as on the wire: length prefix and value.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The value as on the wire (without the length prefix).
    pub fn value(&self) -> &'a [u8] {
        self.raw.get(self.prefix..).unwrap_or_default()
    }

    /// Offset of the field (its length prefix) in the message.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Offset of the value in the message.
    pub fn value_offset(&self) -> usize {
        self.offset + self.prefix
    }

    /// Length in characters (bytes for binary fields).
    #[allow(clippy::len_without_is_empty)] // emptiness is `len() == 0`
    pub fn len(&self) -> usize {
        self.chars
    }

    /// The value's characters (binary fields as upper-case hex).
    pub fn chars(&self) -> Chars<'a> {
        field_chars(&self.spec.format, self.value(), self.chars)
    }

    /// The value as a number (numeric fields of up to 19 digits).
    pub fn to_u64(&self) -> Option<u64> {
        self.chars().to_u64()
    }

    /// The text without copying, when the field travels as ASCII.
    pub fn as_str(&self) -> Option<&'a str> {
        (self.spec.format.data == Encoding::Ascii)
            .then(|| self.chars().as_str())
            .flatten()
    }

    /// The bytes of a binary field travelling as raw bytes.
    pub fn bytes(&self) -> Option<&'a [u8]> {
        (self.spec.format.data == Encoding::Binary).then(|| self.value())
    }

    /// Copies the value's logical bytes into `out`: the characters of a text or numeric
    /// field, the bytes of a binary field. Returns how many were written; `None` if `out` is
    /// too small. What it writes is what [`Encoder::field`](crate::Encoder::field) takes.
    pub fn copy_value(&self, out: &mut [u8]) -> Option<usize> {
        let fmt = &self.spec.format;
        match fmt.data {
            Encoding::Binary => {
                let v = self.value();
                out.get_mut(..v.len())?.copy_from_slice(v);
                Some(v.len())
            }
            Encoding::Hex => {
                let v = self.value();
                let dst = out.get_mut(..v.len() / 2)?;
                for (d, pair) in dst.iter_mut().zip(v.chunks_exact(2)) {
                    if let [h, l] = pair {
                        *d = (hex_value(*h)? << 4) | hex_value(*l)?;
                    }
                }
                Some(v.len() / 2)
            }
            _ => self.chars().copy_to(out),
        }
    }

    /// Subfield `i` (1-based) of a positional or bitmap composite.
    pub fn subfield(&self, i: u8) -> Option<Chars<'a>> {
        self.subfields()
            .filter_map(Result::ok)
            .find(|s| s.index == i)
            .map(|s| s.chars)
    }

    /// The subfields of a positional or bitmap composite, in order (nothing for other fields).
    pub fn subfields(&self) -> SubfieldIter<'a, 's> {
        SubfieldIter::new(self.spec, self.chars())
    }

    /// A BER-TLV reader over a TLV field travelling as raw bytes.
    pub fn tlv(&self) -> Option<Reader<'a>> {
        match self.spec.subfields {
            Subfields::Tlv(mode) if self.spec.format.data == Encoding::Binary => {
                Some(Reader::with_mode(self.value(), mode))
            }
            _ => None,
        }
    }

    /// Validates the content (for fields of a [`Message::decode_lazy`] message).
    ///
    /// # Errors
    /// The first invalid character, pad, subfield or data object.
    pub fn validate(&self) -> Result<(), Error> {
        check_field_value(self.spec, self.value(), self.chars, self.value_offset())
    }

    /// The value for display, masked as the spec says unless `clear`.
    pub fn display(&self, clear: bool) -> crate::describe::FieldValue<'a, 's> {
        crate::describe::FieldValue::new(*self, clear)
    }
}

impl fmt::Debug for Field<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("number", &self.spec.number)
            .field("offset", &self.offset)
            .field("len", &self.chars)
            .field("value", &format_args!("{}", self.display(false)))
            .finish()
    }
}

/// One subfield of a composite field.
#[derive(Clone, Copy, Debug)]
pub struct Subfield<'a, 's> {
    /// Subfield number, 1-based (`60.2` is 2).
    pub index: u8,
    /// Its spec.
    pub spec: &'s SubfieldSpec,
    /// Its characters (bytes of a binary field as hex).
    pub chars: Chars<'a>,
    /// Position of its first character in the parent's characters.
    pub start: usize,
}

/// A subfield that could not be cut: which, where (in parent characters), and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubfieldError {
    index: u8,
    pos: usize,
    kind: ErrorKind,
}

impl SubfieldError {
    fn into_error(self, f: &FieldSpec, fmt: &Format, start: usize) -> Error {
        Error::new(
            self.kind,
            start + byte_of(fmt, self.pos),
            FieldPath::subfield(f.number, self.index),
        )
    }
}

/// Iterator over the subfields of a composite field.
#[derive(Clone, Debug)]
pub struct SubfieldIter<'a, 's> {
    list: &'s [SubfieldSpec],
    chars: Chars<'a>,
    /// Characters per subfield length unit: 2 for binary fields (shown as hex).
    scale: usize,
    pos: usize,
    next: usize,
    /// For bitmap composites: the bits still to visit.
    bits: Option<u64>,
    done: bool,
}

impl<'a, 's> SubfieldIter<'a, 's> {
    fn new(f: &'s FieldSpec, chars: Chars<'a>) -> Self {
        let (list, bitmap): (&'s [SubfieldSpec], bool) = match &f.subfields {
            Subfields::Positional(l) => (l, false),
            Subfields::Bitmap(l) => (l, true),
            _ => (&[], false),
        };
        Self {
            list,
            chars,
            scale: if f.format.class == Class::B { 2 } else { 1 },
            pos: 0,
            next: 0,
            bits: bitmap.then_some(0),
            done: list.is_empty(),
        }
    }

    fn fail(
        &mut self,
        index: usize,
        kind: ErrorKind,
    ) -> Option<Result<Subfield<'a, 's>, SubfieldError>> {
        self.done = true;
        Some(Err(SubfieldError {
            index: u8::try_from(index).unwrap_or(u8::MAX),
            pos: self.pos,
            kind,
        }))
    }
}

impl<'a, 's> Iterator for SubfieldIter<'a, 's> {
    type Item = Result<Subfield<'a, 's>, SubfieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let remaining = self.chars.len() - self.pos;
        // Which subfield comes next.
        let index = match self.bits {
            None => {
                if remaining == 0 || self.next >= self.list.len() {
                    if remaining > 0 {
                        return self.fail(
                            self.list.len(),
                            ErrorKind::TrailingBytes {
                                count: remaining / self.scale,
                            },
                        );
                    }
                    self.done = true;
                    return None;
                }
                self.next
            }
            Some(0) if self.pos == 0 => {
                // The composite's own bitmap: 16 hex characters.
                let Some(head) = self.chars.slice(0, 16) else {
                    return self.fail(
                        0,
                        ErrorKind::Truncated {
                            needed: 16 - remaining.min(16),
                        },
                    );
                };
                let mut w = 0u64;
                for c in head.iter() {
                    match hex_value(c) {
                        Some(v) => w = (w << 4) | u64::from(v),
                        None => return self.fail(0, ErrorKind::InvalidBitmap),
                    }
                }
                self.pos = 16;
                self.bits = Some(w);
                return self.next();
            }
            Some(w) => {
                if w == 0 {
                    if remaining > 0 {
                        return self.fail(
                            0,
                            ErrorKind::TrailingBytes {
                                count: remaining / self.scale,
                            },
                        );
                    }
                    self.done = true;
                    return None;
                }
                let lz = w.leading_zeros() as usize;
                self.bits = Some(w & !(1u64 << (63 - lz)));
                lz
            }
        };
        let Some(spec) = self.list.get(index) else {
            return self.fail(index + 1, ErrorKind::UndefinedField);
        };
        let want = usize::from(spec.len) * self.scale;
        let take = if spec.var { want.min(remaining) } else { want };
        if take > remaining {
            return self.fail(
                index + 1,
                ErrorKind::InvalidLength {
                    max: spec.len,
                    found: remaining / self.scale,
                },
            );
        }
        let chars = self.chars.slice(self.pos, take)?;
        let start = self.pos;
        self.pos += take;
        self.next = index + 1;
        Some(Ok(Subfield {
            index: u8::try_from(index + 1).unwrap_or(u8::MAX),
            spec,
            chars,
            start,
        }))
    }
}
