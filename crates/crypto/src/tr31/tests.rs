use super::*;

struct Fixed(u8);
impl rand_core::TryRng for Fixed {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        Ok(u32::from(self.0))
    }
    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        Ok(u64::from(self.0))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
        dst.fill(self.0);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Fixed {}

#[test]
fn header_errors_are_typed() {
    let kind = |s: &str| KeyBlock::parse(s).unwrap_err().kind();
    assert_eq!(kind("B0016P0TE00N00"), ErrorKind::Header);
    assert_eq!(
        kind("Z0016P0TE00N0000"),
        ErrorKind::UnsupportedVersion { version: b'Z' }
    );
    assert_eq!(kind("B00x6P0TE00N0000"), ErrorKind::Header);
    assert_eq!(
        kind("B0017P0TE00N0000"),
        ErrorKind::BlockLength {
            declared: 17,
            actual: 16
        }
    );
    // An optional block announced but missing.
    assert_eq!(kind("B0016P0TE00N0100"), ErrorKind::OptionalBlock);
}

#[test]
fn wrap_adds_a_padding_block_and_round_trips() {
    let kbpk = [0x11u8; 16];
    let key = [0x22u8; 16];
    let mut out = [0u8; 256];
    for version in ["A", "B", "C"] {
        let header = format!("{version}0000P0TE00N0100KS0600");
        let n = wrap(
            &kbpk,
            &header,
            &key,
            KeyLengthMasking::default(),
            &mut Fixed(7),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            n,
            wrapped_len(&header, key.len(), KeyLengthMasking::default()).unwrap()
        );
        let text = core::str::from_utf8(&out[..n]).unwrap();
        let block = KeyBlock::parse(text).unwrap();
        assert_eq!(block.header().len() % 8, 0);
        let ids: alloc::vec::Vec<_> = block.optional_blocks().map(|b| b.id).collect();
        assert_eq!(ids, ["KS", "PB"]);
        assert_eq!(block.unwrap(&kbpk).unwrap().expose(), key);
        // Masked to 24 bytes: 2 + 24 padded to 32 bytes of payload.
        assert_eq!(block.payload_len(), 32);
    }
}

#[test]
fn extended_length_blocks_round_trip() {
    let kbpk = [0x33u8; 32];
    let key = [0x44u8; 32];
    let long = "X".repeat(400);
    let mut buf = [0u8; 1024];
    let mut header = HeaderWriter::new("D0000P0AE00E0000", &mut buf).unwrap();
    header.optional_block("KS", "00604B120F9292800000").unwrap();
    header.optional_block("CT", &long).unwrap();
    // A block of exactly 255 characters keeps the short length; one more goes extended.
    header.optional_block("T1", &"y".repeat(251)).unwrap();
    header.optional_block("T2", &"z".repeat(252)).unwrap();
    let template = alloc::string::String::from(header.as_str());
    assert!(template.contains("CT0002019A"), "{template}");
    assert!(template.contains("T1FFyyy"));
    assert!(template.contains("T200020106zzz"));
    let n = wrapped_len(&template, 32, KeyLengthMasking::None).unwrap();
    let mut out = alloc::vec![0u8; n];
    assert_eq!(
        wrap(
            &kbpk,
            &template,
            &key,
            KeyLengthMasking::None,
            &mut Fixed(1),
            &mut out
        )
        .unwrap(),
        n
    );
    let text = core::str::from_utf8(&out).unwrap();
    let block = KeyBlock::parse(text).unwrap();
    let blocks: alloc::vec::Vec<_> = block.optional_blocks().collect();
    assert_eq!(blocks.len(), 5);
    assert_eq!(blocks[1].id, "CT");
    assert_eq!(blocks[1].data, long);
    assert_eq!(blocks[4].id, "PB");
    assert_eq!(block.unwrap(&kbpk).unwrap().expose(), key);
    // A length of length of zero, or a length pointing past the header, is refused.
    let bad = text.replacen("CT0002019A", "CT0000019A", 1);
    assert_eq!(
        KeyBlock::parse(&bad).unwrap_err().kind(),
        ErrorKind::OptionalBlock
    );
    let bad = text.replacen("CT0002019A", "CT00020FFF", 1);
    assert!(KeyBlock::parse(&bad).is_err());
}

#[test]
fn header_writer_limits() {
    let mut buf = [0u8; 64];
    let mut header = HeaderWriter::new("B0000P0TE00N0000", &mut buf).unwrap();
    assert!(header.optional_block("K", "1").is_err());
    assert!(header.optional_block("KS", "\u{7}").is_err());
    assert_eq!(
        header
            .optional_block("KS", &"0".repeat(60))
            .unwrap_err()
            .kind(),
        ErrorKind::BufferTooSmall
    );
    header.optional_block("KS", "0011").unwrap();
    assert_eq!(header.as_str(), "B0000P0TE00N0100KS080011");
    assert!(HeaderWriter::new("B0000", &mut [0u8; 64]).is_err());
    // Starting from a header keeps its blocks, drops its padding block, and counts on.
    let mut buf = [0u8; 64];
    let mut header = HeaderWriter::from_header("B0000P0TE00N0200KS080011PB04", &mut buf).unwrap();
    header.optional_block("TT", "1").unwrap();
    assert_eq!(header.as_str(), "B0000P0TE00N0200KS080011TT051");
    assert!(HeaderWriter::from_header("B0000P0TE00N0100", &mut [0u8; 64]).is_err());
}

#[test]
fn unwrap_into_needs_room_for_the_payload() {
    let kbpk = [0x55u8; 16];
    let key = [0x66u8; 16];
    let header = "B0000P0TE00N0000";
    let mut out = [0u8; 512];
    let n = wrap(
        &kbpk,
        header,
        &key,
        KeyLengthMasking::None,
        &mut Fixed(9),
        &mut out,
    )
    .unwrap();
    let block = KeyBlock::parse(core::str::from_utf8(&out[..n]).unwrap()).unwrap();
    let mut small = [0u8; 8];
    assert_eq!(
        block.unwrap_into(&kbpk, &mut small).unwrap_err().kind(),
        ErrorKind::BufferTooSmall
    );
    let mut room = [0u8; 64];
    let len = block.unwrap_into(&kbpk, &mut room).unwrap();
    assert_eq!(&room[..len], key);
    assert!(room[len..].iter().all(|b| *b == 0));
}
