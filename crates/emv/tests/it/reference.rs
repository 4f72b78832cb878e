//! A reference BER-TLV reader, written as plainly as the rules read (EMV 4.4 Book 3 Annex B,
//! with this crate's strict and lenient modes): recursive, byte by byte, no fast paths. The
//! optimised `Walk` and `Reader` are checked against it here (random inputs) and in the
//! `tlv_walk` fuzz target, which includes this file.
//!
//! It depends on nothing but the standard library, so it cannot share a mistake with the
//! crate's reader.

/// The deepest nesting of templates: objects live at depths 0 to 15.
pub const MAX_DEPTH: usize = 16;

/// One data object: where it starts, its tag bytes, its depth, where its value starts and how
/// long it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub offset: usize,
    pub tag: Vec<u8>,
    pub depth: usize,
    pub value_offset: usize,
    pub len: usize,
}

/// The first fault: the crate's `ErrorKind` name (with `needed`/`available` for
/// `ValuePastEnd`) and its offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: String,
    pub offset: usize,
}

fn fault(kind: &str, offset: usize) -> Fault {
    Fault {
        kind: kind.to_owned(),
        offset,
    }
}

fn is_padding(b: u8) -> bool {
    b == 0x00 || b == 0xFF
}

/// Every object of `data` in pre-order, then the first fault if there is one.
pub fn walk(data: &[u8], lenient: bool) -> (Vec<Object>, Option<Fault>) {
    let mut objects = Vec::new();
    let fault = level(data, 0, data.len(), 0, lenient, &mut objects).err();
    (objects, fault)
}

/// Reads the objects of `data[start..end]`, which sit at `depth`.
fn level(
    data: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    lenient: bool,
    out: &mut Vec<Object>,
) -> Result<(), Fault> {
    let mut pos = start;
    loop {
        if lenient {
            while pos < end && is_padding(data[pos]) {
                pos += 1;
            }
        }
        if pos == end {
            return Ok(());
        }
        // The tag: one byte, or more while bit 8 says another follows (four at most).
        let b0 = data[pos];
        if b0 == 0x00 {
            return Err(fault("Padding", pos));
        }
        let mut tag_len = 1;
        if b0 & 0x1F == 0x1F {
            loop {
                if pos + tag_len >= end {
                    return Err(fault("Truncated", end));
                }
                let b = data[pos + tag_len];
                tag_len += 1;
                if b & 0x80 == 0 {
                    break;
                }
                if tag_len == 4 {
                    return Err(fault("TagTooLong", pos));
                }
            }
        }
        // The length: short form below 80, else 81–84 and that many bytes.
        let at = pos + tag_len;
        if at >= end {
            return Err(fault("Truncated", end));
        }
        let lead = data[at];
        let (len, len_len) = match lead {
            0x00..=0x7F => (usize::from(lead), 1),
            0x80 => return Err(fault("IndefiniteLength", at)),
            0x81..=0x84 => {
                let n = usize::from(lead - 0x80);
                if at + 1 + n > end {
                    return Err(fault("Truncated", end));
                }
                let bytes = &data[at + 1..at + 1 + n];
                let len = bytes.iter().fold(0usize, |v, &b| v << 8 | usize::from(b));
                let shortest = if n == 1 { len >= 0x80 } else { bytes[0] != 0 };
                if !shortest && !lenient {
                    return Err(fault("NonMinimalLength", at));
                }
                (len, 1 + n)
            }
            _ => return Err(fault("LengthTooLong", at)),
        };
        let value_offset = at + len_len;
        if value_offset + len > end {
            let kind = format!(
                "ValuePastEnd {{ needed: {len}, available: {} }}",
                end - value_offset
            );
            return Err(fault(&kind, value_offset));
        }
        let constructed = b0 & 0x20 != 0;
        if constructed && len > 0 && depth + 1 >= MAX_DEPTH {
            // Its children would sit at depth 16: the first of them is refused, the template
            // is not reported. A value of lenient padding alone holds no child.
            let first =
                (value_offset..value_offset + len).find(|&i| !(lenient && is_padding(data[i])));
            if let Some(child) = first {
                return Err(fault("TooDeep", child));
            }
        }
        out.push(Object {
            offset: pos,
            tag: data[pos..at].to_vec(),
            depth,
            value_offset,
            len,
        });
        if constructed && len > 0 && depth + 1 < MAX_DEPTH {
            level(
                data,
                value_offset,
                value_offset + len,
                depth + 1,
                lenient,
                out,
            )?;
        }
        pos = value_offset + len;
    }
}
