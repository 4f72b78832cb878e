//! Framing: the partial-buffer reader at every split point, TPDU swap, the three length
//! headers, and frames built around an encoded message.

use cardwire_iso8583::frame::{CupsHeader, FrameFormat, LengthHeader, Progress, Tpdu};
use cardwire_iso8583::{ErrorKind, Message, specs};

const MSG: &str = "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084393136363838303134303030303030303030303030303031313536ACF46E73838A82F926000000000000000008220000013841394539314238";

#[test]
fn partial_buffers_say_how_much_is_missing() {
    let msg = cardwire_emv::hex::decode_to_vec(MSG).unwrap();
    let tpdu = Tpdu::new([0x00, 0x03], [0x00, 0x00]);
    let header = [0x60, 0x31, 0x00, 0x31, 0x02, 0x08];
    let mut frame = vec![0u8; 200];
    let n = FrameFormat::CUPS
        .write(Some(tpdu), &header, &msg, &mut frame)
        .unwrap();
    frame.truncate(n);
    assert_eq!(&frame[..2], &[0x00, 0x6E]); // 5 + 6 + 99 bytes follow the length
    // Two frames back to back, fed a byte at a time.
    let mut stream = frame.clone();
    stream.extend(&frame);
    for cut in 0..frame.len() {
        match FrameFormat::CUPS.read(&stream[..cut]).unwrap() {
            Progress::NeedMore(k) => assert!(cut + k <= frame.len() && k > 0, "cut {cut}"),
            Progress::Complete(_) => panic!("complete at {cut}"),
        }
    }
    let Progress::Complete(f) = FrameFormat::CUPS.read(&stream).unwrap() else {
        panic!()
    };
    assert_eq!(f.len, frame.len());
    assert_eq!(f.message, &msg[..]);
    assert_eq!(f.tpdu, Some(tpdu));
    let h = f.cups_header().unwrap();
    assert_eq!(
        (
            h.application(),
            h.version(),
            h.terminal_status(),
            h.processing_requirement(),
            h.sub_version()
        ),
        (60, 31, 0, 0, 310208)
    );
    assert_eq!(CupsHeader(header).to_string(), "603100310208");
    assert!(Message::decode(&specs::CUPS, f.message).is_ok());
    let Progress::Complete(g) = FrameFormat::CUPS.read(&stream[f.len..]).unwrap() else {
        panic!()
    };
    assert_eq!(g.message, f.message);
}

#[test]
fn tpdu_swaps_on_reply_and_bad_frames_are_typed() {
    let t = Tpdu::parse(&[0x60, 0x01, 0x51, 0x00, 0x00]).unwrap();
    assert_eq!(t.reply().to_bytes(), [0x60, 0x00, 0x00, 0x01, 0x51]);
    assert_eq!(t.reply().reply(), t);
    assert_eq!(
        Tpdu::parse(&[0x61, 0, 0, 0, 0]).unwrap_err().kind(),
        ErrorKind::InvalidTpdu
    );
    assert!(matches!(
        Tpdu::parse(&[0x60, 0]).unwrap_err().kind(),
        ErrorKind::Truncated { needed: 3 }
    ));
    // A length too short to hold TPDU and header.
    let err = FrameFormat::CUPS
        .read(&[0x00, 0x03, 0x60, 0, 0])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFrameLength);
    // BCD and ASCII length headers that are not digits.
    let bcd = FrameFormat::length_only(LengthHeader::Bcd2);
    assert_eq!(
        bcd.read(&[0x0A, 0x00, 1]).unwrap_err().kind(),
        ErrorKind::InvalidFrameLength
    );
    let ascii = FrameFormat::length_only(LengthHeader::Ascii4);
    assert_eq!(
        ascii.read(b"00x2ab").unwrap_err().kind(),
        ErrorKind::InvalidFrameLength
    );
}

#[test]
fn every_length_header_round_trips() {
    let msg = b"0800822000000000000004000000000000001125153012000001301";
    for (length, head) in [
        (LengthHeader::Binary2, vec![0x00, 0x37]),
        (LengthHeader::Bcd2, vec![0x00, 0x55]),
        (LengthHeader::Ascii4, b"0055".to_vec()),
    ] {
        let format = FrameFormat::length_only(length);
        let mut out = [0u8; 80];
        let n = format.write(None, &[], msg, &mut out).unwrap();
        assert_eq!(&out[..head.len()], &head[..], "{length:?}");
        let Progress::Complete(f) = format.read(&out[..n]).unwrap() else {
            panic!()
        };
        assert_eq!(f.message, msg);
        assert_eq!(
            format.read(&out[..1]).unwrap(),
            Progress::NeedMore(head.len() - 1)
        );
    }
    // A frame head written in front of a message encoded in place.
    let format = FrameFormat::NAC;
    let mut out = [0u8; 80];
    let head = format.head_len();
    out[head..head + msg.len()].copy_from_slice(msg);
    format
        .write_head(Some(Tpdu::new([0, 1], [0, 2])), &[], msg.len(), &mut out)
        .unwrap();
    assert_eq!(&out[..head], &[0x00, 0x3C, 0x60, 0, 1, 0, 2]);
    assert_eq!(
        format
            .write_head(None, &[], msg.len(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidSpec("TPDU or header do not match the frame format")
    );
}
