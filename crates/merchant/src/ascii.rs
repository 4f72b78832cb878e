//! Text views of byte arrays the crate validated as ASCII when it built them.

/// `bytes` as text. Every caller passes bytes it checked to be ASCII on construction (merchant
/// numbers, terminal ids, RRNs), so the conversion cannot fail; the empty text is what a
/// broken invariant would show, never a panic.
pub(crate) fn as_str(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}
