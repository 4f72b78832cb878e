//! Who the terminal is: identifiers, the merchant it is bound to, its framing and limits.
//! Card reading (the merchant QR code), the terminal and receipts all read it.

use cardwire_crypto::cups::MacAlgorithm;
use cardwire_iso8583::frame::{FrameFormat, Progress, Tpdu};
use cardwire_merchant::FeeRate;

use crate::error::{ErrorKind, Result};
use crate::text::{Text, all_digits};

/// A terminal's identity and parameters (downloaded from the acquirer's TMS on a real
/// terminal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    terminal_id: Text<8>,
    pub(crate) merchant_no: Text<15>,
    merchant_name: Text<40>,
    city: Text<15>,
    serial: Text<20>,
    operator: Text<3>,
    fee_rate: FeeRate,
    floor_limit: u64,
    tpdu: Tpdu,
    header: [u8; 6],
    mac: MacAlgorithm,
    track_encryption: bool,
}

impl Config {
    /// A terminal `terminal_id` (field 41, 8 characters) of merchant `merchant_no` (field 42,
    /// 15 digits: acquirer, region, MCC, sequence) named `merchant_name` (for receipts and the
    /// merchant QR code, up to 40 bytes). Defaults: TPDU `6000030000`, header `603100310208`,
    /// operator `001`, fee rate 0, contactless no-CVM limit 1 000.00 yuan, no serial, no city,
    /// MAC by the X9.19 retail MAC.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for identifiers of the wrong length or characters.
    pub fn new(terminal_id: &str, merchant_no: &str, merchant_name: &str) -> Result<Self> {
        let ok = terminal_id.len() == 8
            && terminal_id.bytes().all(|c| c.is_ascii_graphic())
            && merchant_no.len() == 15
            && all_digits(merchant_no.as_bytes())
            && !merchant_name.is_empty();
        if !ok {
            return Err(ErrorKind::InvalidInput.into());
        }
        Ok(Self {
            terminal_id: Text::copy_from(terminal_id)?,
            merchant_no: Text::copy_from(merchant_no)?,
            merchant_name: Text::copy_from(merchant_name).map_err(|_| ErrorKind::InvalidInput)?,
            city: Text::new(),
            serial: Text::new(),
            operator: Text::copy_from("001")?,
            fee_rate: FeeRate::default(),
            floor_limit: 100_000,
            tpdu: Tpdu::new([0x00, 0x03], [0x00, 0x00]),
            header: [0x60, 0x31, 0x00, 0x31, 0x02, 0x08],
            mac: MacAlgorithm::RetailX919,
            track_encryption: false,
        })
    }

    /// With the terminal's hardware serial number (sent in the sign-in's field 62).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for more than 20 characters or non-printable ones.
    pub fn with_serial(mut self, serial: &str) -> Result<Self> {
        if !serial.bytes().all(|c| c.is_ascii_graphic()) {
            return Err(ErrorKind::InvalidInput.into());
        }
        self.serial = Text::copy_from(serial).map_err(|_| ErrorKind::InvalidInput)?;
        Ok(self)
    }

    /// With the merchant's city (tag 60 of the merchant QR code).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for more than 15 bytes.
    pub fn with_city(mut self, city: &str) -> Result<Self> {
        self.city = Text::copy_from(city).map_err(|_| ErrorKind::InvalidInput)?;
        Ok(self)
    }

    /// With the operator number sent at sign-in (field 63, 3 characters).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] unless 3 alphanumeric characters.
    pub fn with_operator(mut self, operator: &str) -> Result<Self> {
        if operator.len() != 3 || !operator.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ErrorKind::InvalidInput.into());
        }
        self.operator = Text::copy_from(operator)?;
        Ok(self)
    }

    /// With the merchant's fee rate (e.g. `FeeRate::from_bps(60)`, 0.60 %), shown in quotes.
    #[must_use]
    pub fn with_fee_rate(mut self, rate: FeeRate) -> Self {
        self.fee_rate = rate;
        self
    }

    /// With the contactless no-CVM limit in fen: a tap above it needs the PIN.
    #[must_use]
    pub fn with_floor_limit(mut self, fen: u64) -> Self {
        self.floor_limit = fen;
        self
    }

    /// With the TPDU and the 6-byte message header.
    #[must_use]
    pub fn with_framing(mut self, tpdu: Tpdu, header: [u8; 6]) -> Self {
        self.tpdu = tpdu;
        self.header = header;
        self
    }

    /// With the MAC algorithm of the acquirer's profile for this terminal. The CUPS "ECB" MAC
    /// ([`MacAlgorithm::CupsEcbLegacy`]) is forgeable by compensated bit flips: only for an
    /// acquirer that declared the terminal legacy.
    #[must_use]
    pub fn with_mac(mut self, mac: MacAlgorithm) -> Self {
        self.mac = mac;
        self
    }

    /// With track data (field 35) enciphered under the TDK, field 53.3 `1`, as the acquirer's
    /// profile for this terminal asks (a TDES profile; the SM4 profile always enciphers).
    #[must_use]
    pub fn with_track_encryption(mut self, on: bool) -> Self {
        self.track_encryption = on;
        self
    }

    /// Whether track data travels enciphered under the TDK
    /// (`cardwire_crypto::track`): always under the SM4 profile, else as
    /// [`Self::with_track_encryption`] set.
    pub fn encrypts_tracks(&self) -> bool {
        self.track_encryption || self.mac.is_sm4()
    }

    /// How field 64 is computed, on requests and on the replies checked.
    pub fn mac(&self) -> MacAlgorithm {
        self.mac
    }

    /// Field 41.
    pub fn terminal_id(&self) -> &str {
        self.terminal_id.as_str()
    }

    /// Field 42.
    pub fn merchant_no(&self) -> &str {
        self.merchant_no.as_str()
    }

    /// The merchant's name.
    pub fn merchant_name(&self) -> &str {
        self.merchant_name.as_str()
    }

    /// The MCC inside the merchant number (digits 8–11).
    pub fn mcc(&self) -> &str {
        self.merchant_no.as_str().get(7..11).unwrap_or_default()
    }

    /// The merchant's city, if set.
    pub fn city(&self) -> &str {
        self.city.as_str()
    }

    /// The hardware serial number, if set.
    pub fn serial(&self) -> &str {
        self.serial.as_str()
    }

    /// The operator number.
    pub fn operator(&self) -> &str {
        self.operator.as_str()
    }

    /// The merchant's fee rate.
    pub fn fee_rate(&self) -> FeeRate {
        self.fee_rate
    }

    /// The contactless no-CVM limit in fen.
    pub fn floor_limit(&self) -> u64 {
        self.floor_limit
    }

    /// The TPDU of requests.
    pub fn tpdu(&self) -> Tpdu {
        self.tpdu
    }

    /// The message header of requests.
    pub fn header(&self) -> [u8; 6] {
        self.header
    }

    /// The message of a reply `frame` to this terminal: one whole CUPS frame, its TPDU the
    /// reply to ours and its header ours.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedReply`] for anything else.
    pub(crate) fn reply_message<'f>(&self, frame: &'f [u8]) -> Result<&'f [u8]> {
        match FrameFormat::CUPS.read(frame)? {
            Progress::Complete(f)
                if f.len == frame.len()
                    && f.tpdu == Some(self.tpdu.reply())
                    && f.header == self.header =>
            {
                Ok(f.message)
            }
            _ => Err(ErrorKind::UnexpectedReply.into()),
        }
    }
}
