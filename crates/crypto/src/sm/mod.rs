//! The Chinese national algorithms (国密, "SM"), as China's payment industry uses them.
//!
//! | module | standard | what |
//! |---|---|---|
//! | [`sm4`] | GB/T 32907-2016 | [`Sm4Key`] (wiped on drop) with its check value, ECB and CBC |
//! | [`sm3`] | GB/T 32905-2016 | the hash, and HMAC-SM3 |
//! | [`mac`] | GB/T 15852.1 (ISO/IEC 9797-1), NIST SP 800-38B | SM4 CBC-MAC with padding methods 1–3, SM4-CMAC |
//! | [`pin`] | ISO 9564-1:2017 format 4 | PIN blocks enciphered under SM4 |
//! | [`sm2`] | GB/T 32918-2016 | key pairs, signatures with `Z_A`, encryption `C1 ‖ C3 ‖ C2` |
//! | [`cups`] | CUPS POS | field 62 working keys under an SM4 master key; TDES-or-SM4 profile |
//! | [`rkd`] | GB/T 32918 | remote key download: the master key sealed to a terminal's SM2 key |
//!
//! **TR-31 and SM4.** ANSI X9.143 (TR-31) and ISO 20038 define key blocks for TDES and AES
//! key block protection keys only; no public standard defines a TR-31-style block under an
//! SM4 key, so none is made here. SM4 working keys travel the CUPS way (field 62, [`cups`])
//! and the master key by remote key download ([`rkd`]).
//!
//! The primitives are RustCrypto's `sm4`, `sm3`, `cbc-mac`, `cmac`, `hmac` and `sm2`, of the
//! same generation as the rest of the crate; everything here is `no_std` without `alloc`.

pub mod cups;
pub mod mac;
pub mod pin;
pub mod rkd;
mod session_ciphers;
pub mod sm2;
pub mod sm3;
pub mod sm4;

pub use self::session_ciphers::{PinCipher, SessionCiphers};
pub use self::sm4::{Sm4Cipher, Sm4Key};
