//! Merchant-presented mode: parsing and reading.

use core::fmt;

use super::{Scope, template_scope};
use crate::{Error, ErrorKind};

/// CRC-16/CCITT-FALSE (polynomial `1021`, initial `FFFF`, no reflection, no final XOR), which
/// the crc catalogue calls CRC-16/IBM-3740.
const CRC: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_IBM_3740);

/// The EMV QR CRC of `bytes`.
pub fn crc16(bytes: &[u8]) -> u16 {
    CRC.checksum(bytes)
}

/// One object as read: its ID, the byte offset of its value in the payload and the value.
#[derive(Clone, Copy)]
struct Span<'a> {
    id: u8,
    start: usize,
    value: &'a str,
}

impl Span<'_> {
    /// Byte offset just past the value.
    fn end(&self) -> usize {
        self.start + self.value.len()
    }
}

fn two_digits(bytes: &[u8], at: usize) -> Option<u8> {
    match (bytes.get(at), bytes.get(at + 1)) {
        (Some(&a), Some(&b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some((a - b'0') * 10 + (b - b'0'))
        }
        _ => None,
    }
}

/// Reads the object at `pos` of `s`, which ends at `end`.
fn read_object(s: &str, pos: usize, end: usize) -> Result<Span<'_>, Error> {
    let bytes = s
        .as_bytes()
        .get(..end)
        .ok_or(Error::new(ErrorKind::Truncated, s.len(), None))?;
    if bytes.len() < pos + 4 {
        return Err(Error::new(ErrorKind::Truncated, pos, None));
    }
    let id = two_digits(bytes, pos).ok_or(Error::new(ErrorKind::QrSyntax, pos, None))?;
    let len = two_digits(bytes, pos + 2).ok_or(Error::new(ErrorKind::QrSyntax, pos + 2, None))?;
    if len == 0 {
        return Err(Error::new(ErrorKind::InvalidLength, pos + 2, None));
    }
    let start = pos + 4;
    let len = usize::from(len);
    // Fast path: an ASCII value is as many bytes as characters.
    if let Some(value) = s.get(start..start + len).filter(|v| v.is_ascii())
        && start + len <= end
    {
        return Ok(Span { id, start, value });
    }
    let rest = s
        .get(start..end)
        .ok_or(Error::new(ErrorKind::QrSyntax, start, None))?;
    let mut chars = rest.char_indices();
    match chars.nth(len - 1) {
        Some((i, c)) => {
            let (value, _) = rest.split_at_checked(i + c.len_utf8()).ok_or(Error::new(
                ErrorKind::QrSyntax,
                start,
                None,
            ))?;
            Ok(Span { id, start, value })
        }
        None => Err(Error::new(
            ErrorKind::ValuePastEnd {
                needed: len,
                available: rest.chars().count(),
            },
            start,
            None,
        )),
    }
}

/// Checks every object of `s[start..end]` in `scope`, templates included.
fn validate_run(s: &str, start: usize, end: usize, scope: Scope) -> Result<(), Error> {
    let mut pos = start;
    while pos < end {
        let object = read_object(s, pos, end)?;
        if let Some(inner) = template_scope(scope, object.id) {
            validate_run(s, object.start, object.end(), inner).map_err(|e| {
                Error::new(ErrorKind::QrTemplate { id: object.id }, e.offset(), None)
            })?;
        }
        pos = object.end();
    }
    Ok(())
}

/// A merchant-presented EMV QR payload, validated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mpm<'a> {
    payload: &'a str,
    stated: u16,
    computed: u16,
}

impl<'a> Mpm<'a> {
    /// Parses and checks `payload` completely, CRC included.
    ///
    /// # Errors
    /// As [`Mpm::parse_ignoring_crc`], plus [`ErrorKind::QrCrcMismatch`] at the offset of the
    /// CRC's value.
    pub fn parse(payload: &'a str) -> Result<Self, Error> {
        let mpm = Self::parse_ignoring_crc(payload)?;
        if mpm.crc_valid() {
            Ok(mpm)
        } else {
            Err(Error::new(
                ErrorKind::QrCrcMismatch {
                    stated: mpm.stated,
                    computed: mpm.computed,
                },
                payload.len() - 4,
                None,
            ))
        }
    }

    /// Parses `payload` and checks its structure, but accepts a CRC that does not match
    /// (see [`Mpm::crc_valid`]), for inspecting damaged codes.
    ///
    /// # Errors
    /// With the byte offset of the fault: [`ErrorKind::QrSyntax`] (an ID or length not two
    /// digits), [`ErrorKind::Truncated`] (the payload ends inside an ID or length),
    /// [`ErrorKind::ValuePastEnd`] (a length past the end, in characters),
    /// [`ErrorKind::InvalidLength`] (length `00`), [`ErrorKind::QrTemplate`] (a malformed
    /// nested template; the offset is inside it), [`ErrorKind::QrPayloadFormat`] (not
    /// starting `000201`), [`ErrorKind::QrCrcMissing`] (no CRC as the last object).
    pub fn parse_ignoring_crc(payload: &'a str) -> Result<Self, Error> {
        if !payload.starts_with("000201") {
            return Err(Error::new(ErrorKind::QrPayloadFormat, 0, None));
        }
        let end = payload.len();
        let mut pos = 0;
        let mut crc = None;
        while pos < end {
            let object = read_object(payload, pos, end)?;
            if crc.is_some() {
                return Err(Error::new(ErrorKind::QrCrcMissing, pos, None));
            }
            if object.id == 63 {
                let hex = object.value;
                let stated = (hex.len() == 4 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u16::from_str_radix(hex, 16).ok())
                    .flatten()
                    .ok_or(Error::new(ErrorKind::QrCrcMissing, pos, None))?;
                crc = Some(stated);
            } else if let Some(inner) = template_scope(Scope::Top, object.id) {
                validate_run(payload, object.start, object.end(), inner).map_err(|e| {
                    Error::new(ErrorKind::QrTemplate { id: object.id }, e.offset(), None)
                })?;
            }
            pos = object.end();
        }
        let stated = crc.ok_or(Error::new(ErrorKind::QrCrcMissing, end, None))?;
        // The CRC's four digits end the payload; it covers everything before them.
        let (covered, _) = payload
            .as_bytes()
            .split_last_chunk::<4>()
            .ok_or(Error::new(ErrorKind::QrCrcMissing, end, None))?;
        let computed = crc16(covered);
        Ok(Self {
            payload,
            stated,
            computed,
        })
    }

    /// The payload text.
    pub fn as_str(&self) -> &'a str {
        self.payload
    }

    /// Whether the stated CRC matches the payload.
    pub fn crc_valid(&self) -> bool {
        self.stated == self.computed
    }

    /// The CRC the payload states.
    pub fn crc(&self) -> u16 {
        self.stated
    }

    /// The CRC computed over the payload up to and including `6304`.
    pub fn computed_crc(&self) -> u16 {
        self.computed
    }

    /// The top-level data objects in order, the CRC last.
    pub fn objects(&self) -> Objects<'a> {
        Objects {
            payload: self.payload,
            pos: 0,
            end: self.payload.len(),
            scope: Scope::Top,
        }
    }

    /// The first top-level data object with `id`.
    pub fn get(&self, id: u8) -> Option<DataObject<'a>> {
        self.objects().find(|o| o.id == id)
    }

    fn value(&self, id: u8) -> Option<&'a str> {
        self.get(id).map(|o| o.value())
    }

    /// The point of initiation method: `11` static, `12` dynamic.
    pub fn point_of_initiation(&self) -> Option<&'a str> {
        self.value(1)
    }

    /// The UnionPay merchant account information (ID 15, else 16).
    pub fn unionpay_account(&self) -> Option<&'a str> {
        self.value(15).or_else(|| self.value(16))
    }

    /// The merchant fields, for merchant checks (one pass over the payload; the first
    /// occurrence of each ID counts).
    pub fn merchant(&self) -> Merchant<'a> {
        let mut m = Merchant::default();
        let first = |slot: &mut Option<&'a str>, value| {
            slot.get_or_insert(value);
        };
        for o in self.objects() {
            let slot = match o.id {
                52 => &mut m.mcc,
                53 => &mut m.currency,
                54 => &mut m.amount,
                58 => &mut m.country,
                59 => &mut m.name,
                60 => &mut m.city,
                61 => &mut m.postal_code,
                64 if m.language.is_none() && m.name_alternate.is_none() => {
                    for c in o.children().into_iter().flatten() {
                        match c.id {
                            0 => first(&mut m.language, c.value()),
                            1 => first(&mut m.name_alternate, c.value()),
                            2 => first(&mut m.city_alternate, c.value()),
                            _ => {}
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            first(slot, o.value());
        }
        m
    }
}

impl fmt::Debug for Mpm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mpm")
            .field("len", &self.payload.len())
            .field("crc", &format_args!("{:04X}", self.stated))
            .field("crc_valid", &self.crc_valid())
            .finish()
    }
}

/// The merchant fields of a payload (all as written in it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Merchant<'a> {
    /// `52` Merchant Category Code (ISO 18245), four digits.
    pub mcc: Option<&'a str>,
    /// `59` Merchant Name.
    pub name: Option<&'a str>,
    /// `60` Merchant City.
    pub city: Option<&'a str>,
    /// `58` Country Code (ISO 3166-1 alpha-2).
    pub country: Option<&'a str>,
    /// `61` Postal Code.
    pub postal_code: Option<&'a str>,
    /// `53` Transaction Currency (ISO 4217 numeric).
    pub currency: Option<&'a str>,
    /// `54` Transaction Amount.
    pub amount: Option<&'a str>,
    /// `64`/`00` Language Preference (ISO 639-1).
    pub language: Option<&'a str>,
    /// `64`/`01` Merchant Name in the alternate language.
    pub name_alternate: Option<&'a str>,
    /// `64`/`02` Merchant City in the alternate language.
    pub city_alternate: Option<&'a str>,
}

impl Merchant<'_> {
    /// The MCC as a number, if it is four digits.
    pub fn mcc_code(&self) -> Option<u16> {
        self.mcc
            .filter(|m| m.len() == 4 && m.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|m| m.parse().ok())
    }
}

/// A data object of a validated payload.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DataObject<'a> {
    payload: &'a str,
    id: u8,
    offset: usize,
    /// Byte offset of the value in the payload.
    start: usize,
    value: &'a str,
    scope: Scope,
}

impl<'a> DataObject<'a> {
    /// The ID (0–99).
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The value text (for a template: its encoded children).
    pub fn value(&self) -> &'a str {
        self.value
    }

    /// The value's length in characters, as the payload states it.
    pub fn char_len(&self) -> usize {
        self.value().chars().count()
    }

    /// Byte offset of the ID within the payload.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The scope the ID belongs to.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The specification's name for the ID.
    pub fn name(&self) -> Option<&'static str> {
        super::name(self.scope, self.id)
    }

    /// Whether the value is a template of further data objects.
    pub fn is_template(&self) -> bool {
        template_scope(self.scope, self.id).is_some()
    }

    /// A template's data objects; `None` for a plain value.
    pub fn children(&self) -> Option<Objects<'a>> {
        template_scope(self.scope, self.id).map(|scope| Objects {
            payload: self.payload,
            pos: self.start,
            end: self.start + self.value.len(),
            scope,
        })
    }

    /// The first child with `id`.
    pub fn get(&self, id: u8) -> Option<DataObject<'a>> {
        self.children()?.find(|o| o.id == id)
    }
}

impl fmt::Debug for DataObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02} {:?}", self.id, self.value())
    }
}

/// Iterates over the data objects of one level of a validated payload.
#[derive(Clone, Debug)]
pub struct Objects<'a> {
    payload: &'a str,
    pos: usize,
    end: usize,
    scope: Scope,
}

impl<'a> Iterator for Objects<'a> {
    type Item = DataObject<'a>;

    fn next(&mut self) -> Option<DataObject<'a>> {
        if self.pos >= self.end {
            return None;
        }
        // The payload was validated; a failure here ends the iteration rather than panics.
        let read = read_object(self.payload, self.pos, self.end).ok()?;
        let object = DataObject {
            payload: self.payload,
            id: read.id,
            offset: self.pos,
            start: read.start,
            value: read.value,
            scope: self.scope,
        };
        self.pos = read.end();
        Some(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEST: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";

    #[test]
    fn crc_catalogue_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn emvco_sample() {
        let m = Mpm::parse(BEST).unwrap();
        assert_eq!(BEST.chars().count(), 248);
        assert_eq!(BEST.len(), 260);
        assert_eq!(m.crc(), 0xA13A);
        let ids: [u8; 15] = core::array::from_fn(|i| m.objects().nth(i).unwrap().id());
        assert_eq!(
            ids,
            [0, 1, 29, 31, 52, 58, 59, 60, 64, 54, 53, 55, 62, 91, 63]
        );
        assert_eq!(m.objects().count(), 15);
        let lang = m.get(64).unwrap();
        assert_eq!(lang.char_len(), 20);
        assert_eq!(lang.get(2).unwrap().value(), "北京");
        assert_eq!(m.merchant().mcc_code(), Some(4111));
        assert_eq!(
            m.get(91).unwrap().get(0).unwrap().value(),
            "A011223344998877"
        );
        assert_eq!(
            m.get(91).unwrap().get(0).unwrap().name(),
            Some("Globally Unique Identifier")
        );
    }

    #[test]
    fn rejections_with_positions() {
        let e = |s: &str| Mpm::parse(s).unwrap_err();
        // Wrong CRC.
        let bad = BEST.replace("6304A13A", "6304A13B");
        assert_eq!(
            e(&bad).kind(),
            ErrorKind::QrCrcMismatch {
                stated: 0xA13B,
                computed: 0xA13A
            }
        );
        assert!(Mpm::parse_ignoring_crc(&bad).is_ok_and(|m| !m.crc_valid()));
        // A length past the end.
        let e1 = e("0002010102115999ABC");
        assert_eq!(
            (e1.kind(), e1.offset()),
            (
                ErrorKind::ValuePastEnd {
                    needed: 99,
                    available: 3
                },
                16
            )
        );
        // A template whose own length runs past the end is a top-level fault.
        let e2 = e("0002016206039");
        assert_eq!(
            (e2.kind(), e2.offset()),
            (
                ErrorKind::ValuePastEnd {
                    needed: 6,
                    available: 3
                },
                10
            )
        );
        // A bad nested template: 62 holds "0399AB".
        let e3 = e("00020162060399AB63040000");
        assert_eq!(
            (e3.kind(), e3.offset()),
            (ErrorKind::QrTemplate { id: 62 }, 14)
        );
        // Syntax, format indicator, CRC placement.
        assert_eq!(e("00020101X1").kind(), ErrorKind::QrSyntax);
        assert_eq!(e("000202").kind(), ErrorKind::QrPayloadFormat);
        assert_eq!(e("000201").kind(), ErrorKind::QrCrcMissing);
        assert_eq!(e("00020163040000010211").kind(), ErrorKind::QrCrcMissing);
        assert_eq!(e("0002015900").kind(), ErrorKind::InvalidLength);
        assert_eq!(e("00020159").kind(), ErrorKind::Truncated);
    }
}
