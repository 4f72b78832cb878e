//! The forms a user submits, checked field by field: each refusal says which field and why,
//! and nothing is stored before every field passed.

use cardwire_merchant::{MerchantId, Region};
use serde::Deserialize;

/// A business type a merchant may apply for: its key, its words, the MCC it claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BusinessType {
    /// The form value.
    pub key: &'static str,
    /// What the merchant reads.
    pub label: &'static str,
    /// The MCC it claims.
    pub mcc: &'static str,
}

/// The business types offered on the application form.
pub const BUSINESS_TYPES: [BusinessType; 7] = [
    BusinessType {
        key: "restaurant",
        label: "Restaurant 餐饮",
        mcc: "5812",
    },
    BusinessType {
        key: "hotel",
        label: "Hotel 住宿",
        mcc: "7011",
    },
    BusinessType {
        key: "supermarket",
        label: "Supermarket 超市",
        mcc: "5411",
    },
    BusinessType {
        key: "clothing",
        label: "Clothing shop 服装",
        mcc: "5651",
    },
    BusinessType {
        key: "pharmacy",
        label: "Pharmacy 药店",
        mcc: "5912",
    },
    BusinessType {
        key: "jewellery",
        label: "Jewellery 珠宝",
        mcc: "5944",
    },
    BusinessType {
        key: "fuel",
        label: "Fuel station 加油站",
        mcc: "5541",
    },
];

/// The business type of a form value.
pub fn business_type(key: &str) -> Option<&'static BusinessType> {
    BUSINESS_TYPES.iter().find(|b| b.key == key)
}

/// The sign-up and log-in form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Credentials {
    /// E-mail address or mainland mobile number.
    #[serde(default)]
    pub login: String,
    /// The password.
    #[serde(default)]
    pub password: String,
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// A login as stored: an e-mail address in lower case, or an 11-digit mobile number.
///
/// # Errors
/// What is wrong with it, in words.
pub fn login(text: &str) -> Result<String, &'static str> {
    let t = text.trim();
    if t.len() == 11 && t.starts_with('1') && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(t.into());
    }
    let Some((local, domain)) = t.split_once('@') else {
        return Err("Enter an e-mail address or an 11-digit mobile number.");
    };
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && t.len() <= 254
        && t.chars().all(|c| c.is_ascii_graphic())
        && !domain.contains('@');
    if ok {
        Ok(t.to_ascii_lowercase())
    } else {
        Err("Enter an e-mail address or an 11-digit mobile number.")
    }
}

/// A new password.
///
/// # Errors
/// What is wrong with it, in words.
pub fn new_password(p: &str) -> Result<(), &'static str> {
    if p.chars().count() < MIN_PASSWORD {
        Err("The password needs at least 10 characters.")
    } else if p.len() > 256 {
        Err("The password is longer than 256 bytes.")
    } else {
        Ok(())
    }
}

/// The application form.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct ApplyForm {
    /// The business name.
    #[serde(default)]
    pub business_name: String,
    /// A [`BUSINESS_TYPES`] key.
    #[serde(default)]
    pub business_type: String,
    /// The 4-digit region code.
    #[serde(default)]
    pub region: String,
    /// The settlement bank account number.
    #[serde(default, skip_serializing)]
    pub account: String,
    /// The CSRF token.
    #[serde(default, skip_serializing)]
    pub csrf: String,
}

/// An application's fields, checked.
#[derive(Clone, Debug)]
pub struct CheckedApplication {
    /// The business name, trimmed.
    pub business_name: String,
    /// Its type.
    pub business_type: &'static BusinessType,
    /// The region code.
    pub region: String,
    /// The account's digits.
    pub account: String,
}

impl ApplyForm {
    /// The fields checked.
    ///
    /// # Errors
    /// The first field that is wrong, in words.
    pub fn check(&self) -> Result<CheckedApplication, &'static str> {
        let name = self.business_name.trim();
        if name.is_empty() {
            return Err("Enter the business name.");
        }
        if name.chars().count() > 60 {
            return Err("The business name has more than 60 characters.");
        }
        if name.chars().any(char::is_control) {
            return Err("The business name has a control character.");
        }
        let business_type =
            business_type(&self.business_type).ok_or("Choose a business type from the list.")?;
        let region = self.region.trim();
        if region.len() != 4 || Region::parse(region.as_bytes()).is_err() {
            return Err("The region code is 4 digits (e.g. 3100 for Shanghai).");
        }
        let account: String = self
            .account
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !(12..=30).contains(&account.len()) || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err("The settlement account is 12 to 30 digits.");
        }
        Ok(CheckedApplication {
            business_name: name.into(),
            business_type,
            region: region.into(),
            account,
        })
    }
}

/// A settlement account as shown after entry: its first 4 and last 4 digits.
pub fn mask_account(digits: &str) -> String {
    let n = digits.len();
    let head = digits.get(..4).unwrap_or("");
    let tail = digits.get(n.saturating_sub(4)..).unwrap_or("");
    format!("{head}{}{tail}", "*".repeat(n.saturating_sub(8)))
}

/// The terminal binding form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BindForm {
    /// The device's serial number.
    #[serde(default)]
    pub serial: String,
    /// The activation code delivered with it.
    #[serde(default)]
    pub code: String,
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// The operator's approval form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ApproveForm {
    /// The merchant number assigned.
    #[serde(default)]
    pub merchant_no: String,
    /// The fee rate in basis points (empty: 60).
    #[serde(default)]
    pub fee_bps: String,
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// The fee rate when the operator leaves it empty.
pub const DEFAULT_FEE_BPS: u16 = 60;

impl ApproveForm {
    /// The merchant number and fee rate, checked against the application's MCC and region.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn check(&self, mcc: &str, region: &str) -> Result<(String, u16), &'static str> {
        let no = self.merchant_no.trim();
        let id = MerchantId::parse(no.as_bytes())
            .map_err(|_| "The merchant number is 15 digits: acquirer, region, MCC, serial.")?;
        let view = id.view();
        if Some(view.mcc().get()) != mcc.parse::<u16>().ok() {
            return Err("The merchant number's MCC (digits 8 to 11) is not the application's.");
        }
        if Some(view.region().get()) != region.parse::<u16>().ok() {
            return Err("The merchant number's region (digits 4 to 7) is not the application's.");
        }
        let bps = match self.fee_bps.trim() {
            "" => DEFAULT_FEE_BPS,
            t => t
                .parse::<u16>()
                .ok()
                .filter(|b| (1..=500).contains(b))
                .ok_or("The fee rate is 1 to 500 basis points.")?,
        };
        Ok((no.into(), bps))
    }
}

/// The operator's rejection form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RejectForm {
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// A form that carries only its CSRF token.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CsrfOnly {
    /// The CSRF token.
    #[serde(default)]
    pub csrf: String,
}
