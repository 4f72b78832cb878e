//! Wrap then unwrap: for any version, protection key, key, header fields and optional
//! blocks built from the input, the block parses, keeps its header fields and unwraps to the
//! same key; a flipped character makes it fail.
#![no_main]

use cardwire_crypto::tr31::{self, KeyBlock, KeyLengthMasking};
use libfuzzer_sys::fuzz_target;

/// Deterministic padding bytes drawn from the input.
struct Bytes(u64);
impl rand_core::TryRng for Bytes {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = (self.try_next_u64()? >> 33) as u8;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Bytes {}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (version, kbpk_len, key_len) = match data[0] % 5 {
        0 => (
            'A',
            [16, 24][usize::from(data[1] % 2)],
            [8, 16, 24][usize::from(data[2] % 3)],
        ),
        1 => (
            'B',
            [16, 24][usize::from(data[1] % 2)],
            [8, 16, 24][usize::from(data[2] % 3)],
        ),
        2 => (
            'C',
            [16, 24][usize::from(data[1] % 2)],
            [8, 16, 24][usize::from(data[2] % 3)],
        ),
        3 => (
            'D',
            [16, 24, 32][usize::from(data[1] % 3)],
            1 + usize::from(data[2] % 32),
        ),
        _ => (
            'E',
            [16, 24, 32][usize::from(data[1] % 3)],
            1 + usize::from(data[2] % 32),
        ),
    };
    let pick =
        |i: usize| ALNUM[usize::from(data.get(i).copied().unwrap_or(0)) % ALNUM.len()] as char;
    let fields: String = (3..10).map(pick).collect();
    // An optional block whose data is the rest of the input, printable.
    let extra: String = data[8..]
        .iter()
        .take(40)
        .map(|b| (0x20 + b % 0x5F) as char)
        .collect();
    let opt = if extra.is_empty() {
        String::new()
    } else {
        format!("TT{:02X}{extra}", extra.len() + 4)
    };
    let count = if opt.is_empty() { "00" } else { "01" };
    let header = format!("{version}0000{fields}{count}00{opt}");
    let kbpk: Vec<u8> = (0..kbpk_len)
        .map(|i| data[i % data.len()] ^ i as u8)
        .collect();
    let key: Vec<u8> = (0..key_len)
        .map(|i| data[(i * 7) % data.len()].wrapping_add(i as u8))
        .collect();
    let masking =
        [KeyLengthMasking::AlgorithmMaximum, KeyLengthMasking::None][usize::from(data[3] % 2)];
    let mut out = vec![0u8; 1024];
    let seed = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
    let n = match tr31::wrap(&kbpk, &header, &key, masking, &mut Bytes(seed), &mut out) {
        Ok(n) => n,
        Err(e) => panic!("wrap failed for {header}: {e}"),
    };
    let text = core::str::from_utf8(&out[..n]).expect("ASCII");
    let block = KeyBlock::parse(text).expect("wrapped block parses");
    assert_eq!(&text[5..12], &fields);
    assert_eq!(block.unwrap(&kbpk).expect("unwraps").expose(), &key[..]);
    if !extra.is_empty() {
        assert!(
            block
                .optional_blocks()
                .any(|b| b.id == "TT" && b.data == extra)
        );
    }
    // Any changed character of the payload or MAC is caught.
    let at = block.header().len() + usize::from(data[4]) % (n - block.header().len());
    let mut bad = text.as_bytes().to_vec();
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).expect("ASCII");
    assert!(KeyBlock::parse(&bad).and_then(|b| b.unwrap(&kbpk)).is_err());
});
