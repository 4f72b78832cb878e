//! The EMV tags the terminal and the simulated card exchange.

use cardwire_emv::tlv::Tag;

/// `t(0x9F26)`: a tag known at compile time. Each constant below is evaluated by the
/// compiler, so a value that is no tag fails the build instead of standing in for another tag.
// Once cardwire-emv generates its named tag constants from the dictionary, these become
// re-exports of those.
#[allow(clippy::panic)] // only ever evaluated at compile time (const items)
const fn t(value: u32) -> Tag {
    match Tag::from_u32(value) {
        Some(tag) => tag,
        None => panic!("not a BER-TLV tag"),
    }
}

macro_rules! tags {
    ($($(#[$m:meta])* $name:ident = $value:expr;)+) => {
        $( $(#[$m])* pub const $name: Tag = t($value); )+
        #[cfg(test)]
        pub(crate) const ALL: &[(Tag, u32)] = &[$(($name, $value)),+];
    };
}

tags! {
    /// `4F` Application Identifier (card).
    AID = 0x4F;
    /// `50` Application Label.
    LABEL = 0x50;
    /// `57` Track 2 Equivalent Data.
    TRACK2 = 0x57;
    /// `5A` PAN.
    PAN = 0x5A;
    /// `5F24` Application Expiration Date (YYMMDD).
    EXPIRY = 0x5F24;
    /// `5F2A` Transaction Currency Code.
    CURRENCY = 0x5F2A;
    /// `5F30` Service Code.
    SERVICE_CODE = 0x5F30;
    /// `5F34` PAN Sequence Number.
    PSN = 0x5F34;
    /// `61` Application Template (directory entry).
    APP_TEMPLATE = 0x61;
    /// `6F` FCI Template.
    FCI = 0x6F;
    /// `70` READ RECORD Response Message Template.
    RECORD = 0x70;
    /// `77` Response Message Template Format 2.
    FORMAT2 = 0x77;
    /// `82` Application Interchange Profile.
    AIP = 0x82;
    /// `84` Dedicated File Name.
    DF_NAME = 0x84;
    /// `87` Application Priority Indicator.
    PRIORITY = 0x87;
    /// `8A` Authorisation Response Code.
    ARC = 0x8A;
    /// `8C` CDOL1.
    CDOL1 = 0x8C;
    /// `8D` CDOL2.
    CDOL2 = 0x8D;
    /// `91` Issuer Authentication Data (ARPC ‖ ARC).
    ISSUER_AUTH = 0x91;
    /// `94` Application File Locator.
    AFL = 0x94;
    /// `95` Terminal Verification Results.
    TVR = 0x95;
    /// `9A` Transaction Date.
    DATE = 0x9A;
    /// `9C` Transaction Type.
    TXN_TYPE = 0x9C;
    /// `9F02` Amount, Authorised.
    AMOUNT = 0x9F02;
    /// `9F03` Amount, Other.
    AMOUNT_OTHER = 0x9F03;
    /// `9F09` Application Version Number (terminal).
    APP_VERSION = 0x9F09;
    /// `9F10` Issuer Application Data.
    IAD = 0x9F10;
    /// `9F1A` Terminal Country Code.
    COUNTRY = 0x9F1A;
    /// `9F1E` Interface Device Serial Number.
    IFD_SERIAL = 0x9F1E;
    /// `9F21` Transaction Time.
    TIME = 0x9F21;
    /// `9F26` Application Cryptogram.
    AC = 0x9F26;
    /// `9F27` Cryptogram Information Data.
    CID = 0x9F27;
    /// `9F33` Terminal Capabilities.
    CAPABILITIES = 0x9F33;
    /// `9F34` CVM Results.
    CVM_RESULTS = 0x9F34;
    /// `9F35` Terminal Type.
    TERMINAL_TYPE = 0x9F35;
    /// `9F36` Application Transaction Counter.
    ATC = 0x9F36;
    /// `9F37` Unpredictable Number.
    UN = 0x9F37;
    /// `9F38` PDOL.
    PDOL = 0x9F38;
    /// `9F41` Transaction Sequence Counter.
    SEQUENCE = 0x9F41;
    /// `9F66` Terminal Transaction Qualifiers (contactless).
    TTQ = 0x9F66;
    /// `A5` FCI Proprietary Template.
    FCI_PROPRIETARY = 0xA5;
    /// `BF0C` FCI Issuer Discretionary Data.
    FCI_DISCRETIONARY = 0xBF0C;
    /// `8E` CVM List.
    CVM_LIST = 0x8E;
    /// `85` Payload Format Indicator (consumer-presented QR).
    PAYLOAD_FORMAT = 0x85;
    /// `63` Application Specific Transparent Template (consumer-presented QR).
    APP_TRANSPARENT = 0x63;
    /// `DF31` Issuer Script Results.
    SCRIPT_RESULTS = 0xDF31;
    /// `71` Issuer Script Template 1.
    SCRIPT1 = 0x71;
    /// `72` Issuer Script Template 2.
    SCRIPT2 = 0x72;
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_constant_is_its_value() {
        for &(tag, value) in super::ALL {
            assert_eq!(tag.to_u32(), value);
        }
    }
}
