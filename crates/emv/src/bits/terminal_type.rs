//! Terminal Type, tag `9F35` (Book 4 Annex A1): two BCD digits, who operates the terminal
//! and where it stands.

use core::fmt;

use crate::{Error, ErrorKind};

/// Who controls the terminal (first digit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationalControl {
    /// `1`: financial institution.
    FinancialInstitution,
    /// `2`: merchant.
    Merchant,
    /// `3`: cardholder.
    Cardholder,
}

/// Attendance and online capability (second digit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `1`: attended, online only.
    AttendedOnlineOnly,
    /// `2`: attended, offline with online capability.
    AttendedOfflineWithOnline,
    /// `3`: attended, offline only.
    AttendedOfflineOnly,
    /// `4`: unattended, online only.
    UnattendedOnlineOnly,
    /// `5`: unattended, offline with online capability.
    UnattendedOfflineWithOnline,
    /// `6`: unattended, offline only.
    UnattendedOfflineOnly,
}

impl OperationalControl {
    /// `financial_institution`, `merchant` or `cardholder`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FinancialInstitution => "financial_institution",
            Self::Merchant => "merchant",
            Self::Cardholder => "cardholder",
        }
    }
}

impl Environment {
    /// `attended_online_only`, `attended_offline_with_online`, … `unattended_offline_only`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AttendedOnlineOnly => "attended_online_only",
            Self::AttendedOfflineWithOnline => "attended_offline_with_online",
            Self::AttendedOfflineOnly => "attended_offline_only",
            Self::UnattendedOnlineOnly => "unattended_online_only",
            Self::UnattendedOfflineWithOnline => "unattended_offline_with_online",
            Self::UnattendedOfflineOnly => "unattended_offline_only",
        }
    }

    /// Whether an attendant is present.
    pub const fn attended(self) -> bool {
        matches!(
            self,
            Self::AttendedOnlineOnly | Self::AttendedOfflineWithOnline | Self::AttendedOfflineOnly
        )
    }

    /// Whether the terminal can go online.
    pub const fn online_capable(self) -> bool {
        !matches!(
            self,
            Self::AttendedOfflineOnly | Self::UnattendedOfflineOnly
        )
    }

    /// Whether the terminal can approve offline.
    pub const fn offline_capable(self) -> bool {
        !matches!(self, Self::AttendedOnlineOnly | Self::UnattendedOnlineOnly)
    }
}

/// A terminal type such as `22` (merchant, attended, offline with online capability).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TerminalType {
    /// Who controls the terminal.
    pub control: OperationalControl,
    /// Attendance and online capability.
    pub environment: Environment,
}

impl TerminalType {
    /// Reads the byte (`n 2`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for digits outside 1–3 and 1–6.
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        let control = match byte >> 4 {
            1 => OperationalControl::FinancialInstitution,
            2 => OperationalControl::Merchant,
            3 => OperationalControl::Cardholder,
            _ => return Err(Error::new(ErrorKind::InvalidValue, 0, None)),
        };
        let environment = match byte & 0x0F {
            1 => Environment::AttendedOnlineOnly,
            2 => Environment::AttendedOfflineWithOnline,
            3 => Environment::AttendedOfflineOnly,
            4 => Environment::UnattendedOnlineOnly,
            5 => Environment::UnattendedOfflineWithOnline,
            6 => Environment::UnattendedOfflineOnly,
            _ => return Err(Error::new(ErrorKind::InvalidValue, 0, None)),
        };
        Ok(Self {
            control,
            environment,
        })
    }

    /// Reads the value of tag `9F35`, which must be one byte.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLength`], or as [`TerminalType::from_byte`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match *bytes {
            [b] => Self::from_byte(b),
            _ => Err(Error::new(
                ErrorKind::InvalidLength,
                bytes.len().min(1),
                None,
            )),
        }
    }

    /// The byte.
    pub const fn to_byte(self) -> u8 {
        let control = match self.control {
            OperationalControl::FinancialInstitution => 1,
            OperationalControl::Merchant => 2,
            OperationalControl::Cardholder => 3,
        };
        let environment = match self.environment {
            Environment::AttendedOnlineOnly => 1,
            Environment::AttendedOfflineWithOnline => 2,
            Environment::AttendedOfflineOnly => 3,
            Environment::UnattendedOnlineOnly => 4,
            Environment::UnattendedOfflineWithOnline => 5,
            Environment::UnattendedOfflineOnly => 6,
        };
        (control << 4) | environment
    }
}

impl fmt::Display for TerminalType {
    /// The two digits, e.g. `22`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X}", self.to_byte())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_valid_codes_round_trip() {
        let mut valid = 0;
        for b in 0..=255u8 {
            if let Ok(t) = TerminalType::from_byte(b) {
                assert_eq!(t.to_byte(), b);
                valid += 1;
            }
        }
        assert_eq!(valid, 18);
        let t = TerminalType::from_byte(0x22).unwrap();
        assert_eq!(t.control, OperationalControl::Merchant);
        assert!(t.environment.attended() && t.environment.online_capable());
        assert!(TerminalType::from_bytes(&[0x22, 0x00]).is_err());
    }
}
