//! Command APDUs of the payment flow and splitting responses into data and status word.

use crate::card::{CardReader, card_error};
use crate::error::{ErrorKind, Result};
use crate::text::Bytes;

/// Status word `9000`: success.
pub const SW_OK: u16 = 0x9000;

/// Largest command this module builds: header, Lc, 255 data bytes, Le.
pub const MAX_COMMAND: usize = 261;

/// Largest response (256 data bytes and SW1 SW2).
pub const MAX_RESPONSE: usize = 258;

/// A command APDU, built inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command(Bytes<MAX_COMMAND>);

impl Command {
    /// `CLA INS P1 P2 [Lc data] Le=00` (case 2 or 4; `data` empty for case 2).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for more than 255 data bytes.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8]) -> Result<Self> {
        let lc = u8::try_from(data.len()).map_err(|_| ErrorKind::InvalidInput)?;
        let mut b = Bytes::new();
        b.extend(&[cla, ins, p1, p2])?;
        if lc > 0 {
            b.extend(&[lc])?;
            b.extend(data)?;
        }
        b.extend(&[0])?;
        Ok(Self(b))
    }

    /// SELECT by name (`00 A4 04 00`): a directory (`1PAY.SYS.DDF01`, `2PAY.SYS.DDF01`) or an
    /// AID.
    pub fn select(name: &[u8]) -> Result<Self> {
        Self::new(0x00, 0xA4, 0x04, 0x00, name)
    }

    /// GET PROCESSING OPTIONS (`80 A8`) with the PDOL data in tag `83`.
    pub fn gpo(pdol_data: &[u8]) -> Result<Self> {
        let len = u8::try_from(pdol_data.len()).map_err(|_| ErrorKind::InvalidInput)?;
        let mut data = Bytes::<255>::new();
        data.extend(&[0x83, len])?;
        data.extend(pdol_data)?;
        Self::new(0x80, 0xA8, 0x00, 0x00, data.as_slice())
    }

    /// READ RECORD (`00 B2`) of record `record` in short file `sfi`.
    pub fn read_record(sfi: u8, record: u8) -> Result<Self> {
        Self::new(0x00, 0xB2, record, (sfi << 3) | 0x04, &[])
    }

    /// GENERATE AC (`80 AE`): `p1` = `0x80` ARQC, `0x40` TC, `0x00` AAC; `data` the CDOL data.
    pub fn generate_ac(p1: u8, data: &[u8]) -> Result<Self> {
        Self::new(0x80, 0xAE, p1, 0x00, data)
    }

    /// EXTERNAL AUTHENTICATE (`00 82`) with the issuer authentication data (ARPC ‖ ARC).
    pub fn external_authenticate(data: &[u8]) -> Result<Self> {
        let lc = u8::try_from(data.len()).map_err(|_| ErrorKind::InvalidInput)?;
        let mut b = Bytes::new();
        b.extend(&[0x00, 0x82, 0x00, 0x00, lc])?;
        b.extend(data)?;
        Ok(Self(b))
    }

    /// The bytes to send.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// Sends `command` and returns the response data when the status word is `9000`.
///
/// # Errors
/// [`ErrorKind::Card`] with the status word otherwise, or whatever the reader reports.
pub fn exchange<'r, R: CardReader + ?Sized>(
    reader: &mut R,
    command: &Command,
    response: &'r mut [u8; MAX_RESPONSE],
) -> Result<&'r [u8]> {
    let n = reader.transmit(command.as_bytes(), response)?;
    let body = response.get(..n).ok_or(ErrorKind::BufferTooSmall)?;
    let (data, sw) = split(body)?;
    if sw != SW_OK {
        return Err(card_error(sw));
    }
    Ok(data)
}

/// Splits a response into data and the status word.
///
/// # Errors
/// [`ErrorKind::Card`] with `sw: 0` for fewer than 2 bytes.
pub fn split(response: &[u8]) -> Result<(&[u8], u16)> {
    let at = response.len().checked_sub(2).ok_or(card_error(0))?;
    let (data, sw) = response.split_at(at);
    match *sw {
        [a, b] => Ok((data, u16::from_be_bytes([a, b]))),
        _ => Err(card_error(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(
            Command::select(b"2PAY.SYS.DDF01").unwrap().as_bytes()[..5],
            [0x00, 0xA4, 0x04, 0x00, 14]
        );
        assert_eq!(
            Command::read_record(1, 2).unwrap().as_bytes(),
            &[0, 0xB2, 2, 0x0C, 0]
        );
        assert_eq!(
            Command::gpo(&[1, 2]).unwrap().as_bytes(),
            &[0x80, 0xA8, 0, 0, 4, 0x83, 2, 1, 2, 0]
        );
        assert_eq!(split(&[1, 0x90, 0]).unwrap(), (&[1u8][..], 0x9000));
        assert!(split(&[0x90]).is_err());
        assert!(Command::new(0, 0, 0, 0, &[0; 256]).is_err());
    }
}
