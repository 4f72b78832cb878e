//! CSV headers: a column is found by name, case-insensitively, ignoring spaces around it and
//! a byte-order mark before the first.

/// The position of the column called `name`.
pub(crate) fn find(header: &csv::ByteRecord, name: &str) -> Option<usize> {
    find_in(header.iter(), name)
}

/// The position of the column called `name` among the header's fields.
pub(crate) fn find_in<'h>(mut header: impl Iterator<Item = &'h [u8]>, name: &str) -> Option<usize> {
    header.position(|h| {
        let h = h.strip_prefix("\u{feff}".as_bytes()).unwrap_or(h);
        h.trim_ascii().eq_ignore_ascii_case(name.as_bytes())
    })
}
