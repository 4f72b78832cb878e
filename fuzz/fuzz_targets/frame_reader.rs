//! Any bytes as a stream of frames in every frame format: the reader never panics, never
//! claims more than it was given, and a frame it reads writes back to the same bytes.
#![no_main]

use cardwire_iso8583::frame::{FrameFormat, LengthHeader, Progress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let formats = [
        FrameFormat::CUPS,
        FrameFormat::NAC,
        FrameFormat::length_only(LengthHeader::Ascii4),
        FrameFormat::length_only(LengthHeader::Bcd2),
        FrameFormat::length_only(LengthHeader::None),
    ];
    for format in formats {
        let mut rest = data;
        while !rest.is_empty() {
            match format.read(rest) {
                Ok(Progress::Complete(f)) => {
                    assert!(f.len <= rest.len() && f.len > 0);
                    let mut out = vec![0u8; f.len];
                    let n = format
                        .write(f.tpdu, f.header, f.message, &mut out)
                        .expect("a frame read is a frame that can be written");
                    assert_eq!(&out[..n], &rest[..f.len]);
                    rest = &rest[f.len..];
                }
                Ok(Progress::NeedMore(k)) => {
                    assert!(k > 0);
                    break;
                }
                Err(_) => break,
            }
        }
    }
});
