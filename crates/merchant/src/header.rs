//! CSV headers: a column is found by name, case-insensitively, ignoring spaces around it and
//! a byte-order mark before the first.

/// The position of the column called `name`.
pub(crate) fn find(header: &csv::ByteRecord, name: &str) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.strip_prefix("\u{feff}".as_bytes()).unwrap_or(h);
        h.trim_ascii().eq_ignore_ascii_case(name.as_bytes())
    })
}
