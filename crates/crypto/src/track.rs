//! Track data enciphered under the track data key (TDK) of a CUPS sign-in: field 35 (track 2)
//! and field 36 (track 3) of a request with field 53.3 = `1`.
//!
//! # The construction
//!
//! The track's characters are its packed BCD nibbles (`0`–`9`, the separator `=` as `D`; an
//! odd count is padded on the right). The block enciphered is the cipher's block of packed
//! bytes that **ends one byte before the last byte**: for TDES, 8 bytes (16 digits) under the
//! double-length TDK, ECB. The ciphertext replaces those bytes in place, so the field keeps
//! its length; the digits before the block (the PAN's first digits) and in the last byte stay
//! as they were. Source: the CUPS POS practice as a terminal integration guide publishes it,
//! doc.xrtinfo.com/docs/ss_api/ss_api-1cb9530kl7sa4 §4.4 ("从结束标志向左第2个字节开始,再向左取
//! 8个字节", with its track 2 example, checked in the tests), which also says to pad a short
//! track on the right with `F`.
//!
//! **This project's choices**, where no public source fixes the rule:
//! - **SM4** (16-byte block): the same rule with 16 bytes (32 digits) under the SM4 TDK.
//! - **A short track** (fewer packed bytes than one block plus the last byte, e.g. a 24-digit
//!   track 2 under SM4) is padded on the right with `F` nibbles to exactly a block plus one
//!   byte, then enciphered by the same rule: it travels longer than it is (34 digits under
//!   SM4, 18 under TDES). No track character is `F`, so the reader strips trailing `F`s.
//!
//! The output of [`encrypt`] is upper-case hex characters (`D` for the separator); [`decrypt`]
//! reads those (`=` as `D`) and gives back digits and `D`, refusing a result that is no track
//! (a changed ciphertext or another key) as [`ErrorKind::Verification`]. Clear digits pass
//! through caller buffers and a stack buffer wiped after use.

use zeroize::Zeroizing;

use crate::TdesKey;
use crate::error::{Error, ErrorKind, Result};
use crate::sm::Sm4Key;

/// The most characters a track has: track 3 (field 36, 104 digits).
pub const MAX_TRACK_LEN: usize = 104;

/// The track data key of either profile.
#[derive(Clone, Copy, Debug)]
pub enum TrackKey<'a> {
    /// A TDES TDK (double length in the CUPS profile): 8-byte blocks.
    Tdes(&'a TdesKey),
    /// An SM4 TDK: 16-byte blocks.
    Sm4(&'a Sm4Key),
}

impl TrackKey<'_> {
    /// Bytes of the cipher's block.
    pub fn block_len(&self) -> usize {
        match self {
            Self::Tdes(_) => 8,
            Self::Sm4(_) => 16,
        }
    }

    /// The fewest characters an enciphered track has: a block and one byte, in digits.
    pub fn min_enciphered_len(&self) -> usize {
        2 * (self.block_len() + 1)
    }

    /// Enciphers (`decrypt` false) or deciphers one block in place.
    fn apply(&self, block: &mut [u8], decrypt: bool) -> Result<()> {
        match (self, decrypt) {
            (Self::Tdes(k), false) => k.cipher().encrypt_ecb(block),
            (Self::Tdes(k), true) => k.cipher().decrypt_ecb(block),
            (Self::Sm4(k), false) => k.cipher().encrypt_ecb(block),
            (Self::Sm4(k), true) => k.cipher().decrypt_ecb(block),
        }
    }
}

/// Enciphers the clear `track` (digits and the separator `=` or `D`) under `key` and writes
/// it to `out` as hex characters; returns the length written: the track's, or the padded
/// length of a short track (see the module).
///
/// # Errors
/// [`ErrorKind::InvalidDigit`] at the first character that is no track character;
/// [`ErrorKind::Length`] for an empty track or one over [`MAX_TRACK_LEN`];
/// [`ErrorKind::BufferTooSmall`].
pub fn encrypt(key: TrackKey<'_>, track: &[u8], out: &mut [u8]) -> Result<usize> {
    transform(key, track, out, false)
}

/// Deciphers an enciphered track (hex characters, as [`encrypt`] writes them) under `key`
/// and writes the clear track to `out` (digits, the separator as `D`); returns its length.
///
/// # Errors
/// [`ErrorKind::InvalidHex`] at the first character that is no hex digit;
/// [`ErrorKind::Length`] for fewer characters than a block and a byte, or over
/// [`MAX_TRACK_LEN`]; [`ErrorKind::Verification`] when the result is no track (changed on
/// the way, or another key); [`ErrorKind::BufferTooSmall`].
pub fn decrypt(key: TrackKey<'_>, enciphered: &[u8], out: &mut [u8]) -> Result<usize> {
    transform(key, enciphered, out, true)
}

fn transform(key: TrackKey<'_>, input: &[u8], out: &mut [u8], decrypt: bool) -> Result<usize> {
    let len = input.len();
    let min = key.min_enciphered_len();
    if len == 0 || len > MAX_TRACK_LEN || (decrypt && len < min) {
        return Err(Error::at(ErrorKind::Length { len }, 0));
    }
    // The nibbles, a short clear track padded with F to a block and one byte.
    let mut nibbles = Zeroizing::new([0x0Fu8; MAX_TRACK_LEN]);
    for (i, (n, &c)) in nibbles.iter_mut().zip(input).enumerate() {
        *n = if decrypt {
            hex_nibble(c)
        } else {
            track_nibble(c)
        }
        .ok_or_else(|| {
            let kind = if decrypt {
                ErrorKind::InvalidHex
            } else {
                ErrorKind::InvalidDigit
            };
            Error::at(kind, i)
        })?;
    }
    let count = len.max(min);
    // The block ends one byte before the last packed byte (an odd count's last byte holds
    // the last digit and the pad).
    let packed = count.div_ceil(2);
    let block_len = key.block_len();
    let start = 2 * (packed - 1 - block_len);
    let digits = nibbles
        .get_mut(start..start + 2 * block_len)
        .ok_or(Error::new(ErrorKind::Length { len }))?;
    let mut block = Zeroizing::new([0u8; 16]);
    let bytes = block
        .get_mut(..block_len)
        .ok_or(Error::new(ErrorKind::Length { len }))?;
    for (b, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *b = (*hi << 4) | *lo;
        }
    }
    key.apply(bytes, decrypt)?;
    for (b, pair) in bytes.iter().zip(digits.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            *hi = b >> 4;
            *lo = b & 0x0F;
        }
    }
    let result = nibbles.get(..count).unwrap_or_default();
    let result = if decrypt {
        // A short track's pad: no track character is F. What remains must be track data.
        let clear = result.len() - result.iter().rev().take_while(|&&n| n == 0x0F).count();
        let clear = result.get(..clear).unwrap_or_default();
        if clear.is_empty() || clear.iter().any(|&n| n > 9 && n != 0x0D) {
            return Err(Error::new(ErrorKind::Verification));
        }
        clear
    } else {
        result
    };
    let dst = out
        .get_mut(..result.len())
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    for (o, &n) in dst.iter_mut().zip(result) {
        *o = hex_char(n);
    }
    Ok(result.len())
}

/// The nibble of a clear track character.
fn track_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'=' | b'D' => Some(0x0D),
        _ => None,
    }
}

/// The nibble of an enciphered track character (upper-case hex, `=` for `D`).
fn hex_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'=' => Some(0x0D),
        _ => None,
    }
}

/// The upper-case hex character of a nibble.
fn hex_char(n: u8) -> u8 {
    if n < 10 { b'0' + n } else { b'A' + n - 10 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use hex_literal::hex;

    fn tdk() -> TdesKey {
        TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap()
    }

    fn round_trip(key: TrackKey<'_>, track: &str) -> String {
        let mut enc = [0u8; MAX_TRACK_LEN];
        let n = encrypt(key, track.as_bytes(), &mut enc).unwrap();
        let mut clear = [0u8; MAX_TRACK_LEN];
        let m = decrypt(key, &enc[..n], &mut clear).unwrap();
        assert_eq!(
            core::str::from_utf8(&clear[..m]).unwrap(),
            track.replace('=', "D")
        );
        String::from_utf8(enc[..n].to_vec()).unwrap()
    }

    #[test]
    fn the_published_track_2_block_is_the_one_enciphered() {
        // The guide's example: track 2 `1234567890123456789=0508201781999168302` packs into 20
        // bytes; the block is `0820178199916830`, the 8 bytes before the last byte.
        let track = "1234567890123456789=0508201781999168302";
        let tdk = tdk();
        let enc = round_trip(TrackKey::Tdes(&tdk), track);
        let mut block = hex!("0820178199916830");
        tdk.cipher().encrypt_block(&mut block);
        let expected = format!(
            "1234567890123456789D05{}2",
            block.iter().map(|b| format!("{b:02X}")).collect::<String>()
        );
        assert_eq!(enc, expected);
    }

    #[test]
    fn even_odd_and_short_tracks_under_both_ciphers() {
        let tdk = tdk();
        let sm4 = Sm4Key::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        for key in [TrackKey::Tdes(&tdk), TrackKey::Sm4(&sm4)] {
            let b = 2 * key.block_len();
            let track3 = format!("99{}D{}", "1234567890".repeat(5), "0".repeat(51));
            assert_eq!(track3.len(), MAX_TRACK_LEN);
            for track in [
                "6225880123456789=25122011234567890123",
                "6225880123456789D2512201123456789012",
                "6225880123456789=2512201",
                "1",
                &track3,
            ] {
                let enc = round_trip(key, track);
                assert_eq!(enc.len(), track.len().max(b + 2), "{track}");
                // Before the block and after it, in clear; the block itself changed.
                let start = 2 * (enc.len().div_ceil(2) - 1) - b;
                let clear = track.replace('=', "D");
                if track.len() >= b + 2 {
                    assert_eq!(enc[..start], clear[..start]);
                    assert_eq!(enc[start + b..], clear[start + b..]);
                }
                assert_ne!(
                    enc.get(start..start + b),
                    clear.get(start..start + b),
                    "{track}"
                );
            }
        }
    }

    #[test]
    fn a_changed_ciphertext_or_another_key_is_no_track() {
        let sm4 = Sm4Key::new(&[0x42; 16]).unwrap();
        let key = TrackKey::Sm4(&sm4);
        let mut enc = [0u8; 64];
        let n = encrypt(key, b"6225880123456789=25122011234567890123", &mut enc).unwrap();
        let mut clear = [0u8; 64];
        let mut bad = enc;
        bad[10] = if bad[10] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            decrypt(key, &bad[..n], &mut clear).unwrap_err().kind(),
            ErrorKind::Verification
        );
        let other = Sm4Key::new(&[0x43; 16]).unwrap();
        assert_eq!(
            decrypt(TrackKey::Sm4(&other), &enc[..n], &mut clear)
                .unwrap_err()
                .kind(),
            ErrorKind::Verification
        );
    }

    #[test]
    fn inputs_are_checked() {
        let tdk = tdk();
        let key = TrackKey::Tdes(&tdk);
        let mut out = [0u8; 128];
        let err = encrypt(key, b"6225X", &mut out).unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::InvalidDigit, Some(4))
        );
        let err = decrypt(key, b"0123456789abcdef01", &mut out).unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::InvalidHex, Some(10))
        );
        assert_eq!(
            decrypt(key, b"01234567890123456", &mut out)
                .unwrap_err()
                .kind(),
            ErrorKind::Length { len: 17 }
        );
        assert!(encrypt(key, b"", &mut out).is_err());
        assert!(encrypt(key, &[b'1'; 105], &mut out).is_err());
        assert_eq!(
            encrypt(key, b"6225880123456789=2512", &mut out[..20])
                .unwrap_err()
                .kind(),
            ErrorKind::BufferTooSmall
        );
    }
}
