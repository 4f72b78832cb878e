//! Any text as a TR-31 key block: parsing, the header accessors, the optional blocks and
//! unwrapping under protection keys of every allowed length never panic.
#![no_main]

use cardwire_crypto::tr31::KeyBlock;
use libfuzzer_sys::fuzz_target;

/// The protection keys of the published vectors (so seeds reach the decrypted payload) and
/// keys of each length.
const KBPKS: &[&[u8]] = &[
    &[
        0xEF, 0xE0, 0x85, 0x3B, 0x25, 0x6B, 0x58, 0x3D, 0x86, 0x8F, 0x25, 0x1C, 0xE9, 0x9E, 0xA1,
        0xD9,
    ],
    &[
        0xDD, 0x75, 0x15, 0xF2, 0xBF, 0xC1, 0x7F, 0x85, 0xCE, 0x48, 0xF3, 0xCA, 0x25, 0xCB, 0x21,
        0xF6,
    ],
    &[
        0x89, 0xE8, 0x8C, 0xF7, 0x93, 0x14, 0x44, 0xF3, 0x34, 0xBD, 0x75, 0x47, 0xFC, 0x3F, 0x38,
        0x0C,
    ],
    &[
        0xB8, 0xED, 0x59, 0xE0, 0xA2, 0x79, 0xA2, 0x95, 0xE9, 0xF5, 0xED, 0x79, 0x44, 0xFD, 0x06,
        0xB9,
    ],
    &[
        0x1D, 0x22, 0xBF, 0x32, 0x38, 0x7C, 0x60, 0x0A, 0xD9, 0x7F, 0x9B, 0x97, 0xA5, 0x13, 0x11,
        0xAC,
    ],
    &[0x41; 32],
    &[0x11; 24],
    &[0x11; 8],
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(block) = KeyBlock::parse(text) else {
        return;
    };
    let _ = (
        block.version(),
        block.usage(),
        block.algorithm(),
        block.mode_of_use(),
    );
    let _ = (
        block.key_version(),
        block.exportability(),
        block.header(),
        format!("{block:?}"),
    );
    for b in block.optional_blocks() {
        let _ = (b.id, b.data);
    }
    let mut buf = vec![0u8; block.payload_len()];
    for kbpk in KBPKS {
        if let Ok(key) = block.unwrap(kbpk) {
            let n = block
                .unwrap_into(kbpk, &mut buf)
                .expect("unwrap_into agrees with unwrap");
            assert_eq!(&buf[..n], key.expose());
        }
    }
});
