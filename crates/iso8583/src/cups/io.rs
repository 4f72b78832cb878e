//! Whole CUPS frames on a byte stream (a TCP connection): the 2-byte big-endian length, then
//! TPDU, header and message. The terminal's client and the acquirer's server both read and
//! write frames here; what a frame holds is [`FrameFormat::CUPS`](crate::frame::FrameFormat)'s
//! business.

use alloc::vec::Vec;
use std::io::{self, Read, Write};

/// The largest frame: the 2-byte length and up to 65 535 bytes after it.
pub const MAX_FRAME: usize = 2 + 0xFFFF;

/// Reads one frame (length header included) into `buf`, replacing its content. `Ok(false)` at
/// a clean end of stream before a frame starts.
///
/// # Errors
/// The stream's error (`WouldBlock` or `TimedOut` when its read timeout passes);
/// `UnexpectedEof` for a stream that ends inside a frame.
pub fn read_frame(stream: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut len = [0u8; 2];
    let mut got = 0;
    while let Some(slot) = len.get_mut(got..).filter(|s| !s.is_empty()) {
        match stream.read(slot) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let body = usize::from(u16::from_be_bytes(len));
    buf.clear();
    buf.extend_from_slice(&len);
    buf.resize(2 + body, 0);
    let (_, rest) = buf.split_at_mut(2);
    stream.read_exact(rest)?;
    Ok(true)
}

/// Writes one frame (length header included, as [`read_frame`] returns it) and flushes.
///
/// # Errors
/// The stream's error (`WouldBlock` or `TimedOut` when its write timeout passes).
pub fn write_frame(stream: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    stream.write_all(frame)?;
    stream.flush()
}

/// Whether an I/O error is a timeout (no reply in time) rather than a failed connection.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_stream_may_end_between_them() {
        let mut wire = Vec::new();
        write_frame(&mut wire, &[0, 3, 1, 2, 3]).unwrap();
        write_frame(&mut wire, &[0, 0]).unwrap();
        let mut r = wire.as_slice();
        let mut buf = Vec::new();
        assert!(read_frame(&mut r, &mut buf).unwrap());
        assert_eq!(buf, [0, 3, 1, 2, 3]);
        assert!(read_frame(&mut r, &mut buf).unwrap());
        assert_eq!(buf, [0, 0]);
        assert!(!read_frame(&mut r, &mut buf).unwrap());
        let cut = [0u8, 5, 1];
        let e = read_frame(&mut cut.as_slice(), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let e = read_frame(&mut [0u8].as_slice(), &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(is_timeout(&io::ErrorKind::TimedOut.into()));
        assert!(!is_timeout(&io::ErrorKind::ConnectionReset.into()));
    }
}
