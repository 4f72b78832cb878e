//! The China-domestic UnionPay merchant QR code: a URL on `qr.95516.com`, not EMVCo data
//! objects. A terminal that scans merchant codes must recognise it and hand it to the
//! UnionPay QR service as it is.

/// A recognised UnionPay URL code, e.g. `https://qr.95516.com/00010000/62028489073949969691921655610979`.
///
/// ```
/// use cardwire_emv::qr::UnionPayUrl;
///
/// let url = UnionPayUrl::parse("https://qr.95516.com/00010000/62028489073949969691921655610979").unwrap();
/// assert_eq!(url.path(), "00010000/62028489073949969691921655610979");
/// assert_eq!(url.segments().collect::<Vec<_>>(), ["00010000", "62028489073949969691921655610979"]);
/// assert!(UnionPayUrl::parse("https://qr.95516.com.example/1").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnionPayUrl<'a> {
    url: &'a str,
    path: &'a str,
}

/// The host, compared without regard to case.
const HOST: &str = "qr.95516.com/";

impl<'a> UnionPayUrl<'a> {
    /// Recognises `http(s)://qr.95516.com/PATH` with a non-empty path of URL characters.
    pub fn parse(text: &'a str) -> Option<Self> {
        let after_scheme = ["https://", "http://"].iter().find_map(|scheme| {
            let head = text.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| text.get(scheme.len()..))
                .flatten()
        })?;
        let host = after_scheme.get(..HOST.len())?;
        if !host.eq_ignore_ascii_case(HOST) {
            return None;
        }
        let path = after_scheme.get(HOST.len()..)?;
        let url_char = |b: u8| b.is_ascii_alphanumeric() || b"/-._~%?=&+".contains(&b);
        (!path.is_empty() && path.bytes().all(url_char)).then_some(Self { url: text, path })
    }

    /// The whole URL as scanned.
    pub fn as_str(&self) -> &'a str {
        self.url
    }

    /// The path after the host.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The non-empty path segments.
    pub fn segments(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.path.split('/').filter(|s| !s.is_empty())
    }
}
