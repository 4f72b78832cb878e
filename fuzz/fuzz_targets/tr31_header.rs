//! Any text as a TR-31 header template with optional blocks (short and extended lengths):
//! `HeaderWriter::from_header` never panics; a header it accepts wraps, parses back with the
//! same optional blocks (padding aside) and unwraps to the key.
#![no_main]

use cardwire_crypto::tr31::{self, HeaderWriter, KeyBlock, KeyLengthMasking};
use libfuzzer_sys::fuzz_target;

struct Zeros;
impl rand_core::TryRng for Zeros {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0x5A);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Zeros {}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let mut buf = vec![0u8; text.len() + 16];
    let Ok(writer) = HeaderWriter::from_header(text, &mut buf) else {
        return;
    };
    let header = writer.as_str().to_owned();
    let kbpk: &[u8] = match header.as_bytes().first() {
        Some(b'A' | b'B' | b'C') => &[0x11; 16],
        _ => &[0x22; 32],
    };
    let key = [0x33u8; 16];
    let Ok(len) = tr31::wrapped_len(&header, key.len(), KeyLengthMasking::None) else {
        return;
    };
    let mut out = vec![0u8; len];
    let n = tr31::wrap(
        kbpk,
        &header,
        &key,
        KeyLengthMasking::None,
        &mut Zeros,
        &mut out,
    )
    .expect("a header the writer accepts wraps, sized by wrapped_len");
    assert_eq!(n, len);
    let block = KeyBlock::parse(core::str::from_utf8(&out).unwrap()).unwrap();
    assert_eq!(block.unwrap(kbpk).unwrap().expose(), key);
    // The template's blocks, in order, then only padding.
    let mut again = vec![0u8; header.len() + 16];
    let kept = HeaderWriter::from_header(block.header(), &mut again).unwrap();
    assert_eq!(&kept.as_str()[16..], &header[16..]);
});
