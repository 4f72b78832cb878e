#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "emv")]
pub use cardwire_emv as emv;

#[cfg(feature = "iso8583")]
pub use cardwire_iso8583 as iso8583;

#[cfg(feature = "crypto")]
pub use cardwire_crypto as crypto;

#[cfg(feature = "merchant")]
pub use cardwire_merchant as merchant;

#[cfg(feature = "pos")]
pub use cardwire_pos as pos;

#[cfg(feature = "acquirer")]
pub use cardwire_acquirer as acquirer;
