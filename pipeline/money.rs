//! Money: integer minor units plus an ISO 4217 code, and exact decimal parsing.
//!
//! Settle never stores money as a float. Amounts arrive either as integer
//! minor units (Stripe) or as decimal text in major units (stores, carriers:
//! `"249.00"`, `"12.500"`, `"3980"`); both become `i64` minor units here,
//! checked against the currency's exponent.

use std::fmt;

/// Errors from currency lookups and amount parsing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The code is not in Settle's currency table.
    #[error("unknown currency {0:?}: use an ISO 4217 code Settle knows (see pipeline/money.rs)")]
    UnknownCurrency(String),
    /// The text is not a plain decimal number.
    #[error("amount {0:?} is not a decimal number like \"249.00\"")]
    NotDecimal(String),
    /// More fractional digits than the currency allows.
    #[error("amount {text:?} has {digits} decimals but {currency} has {exponent}")]
    TooManyDecimals {
        /// The amount as written.
        text: String,
        /// Fractional digits written.
        digits: usize,
        /// The currency.
        currency: &'static str,
        /// The currency's exponent.
        exponent: u32,
    },
    /// The amount is below zero where only zero or more makes sense.
    #[error("amount {0:?} is negative; this field must be zero or more")]
    Negative(String),
    /// The amount does not fit in 64-bit minor units.
    #[error("amount {0:?} is too large")]
    Overflow(String),
}

/// Result alias for this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Currencies Settle knows, with their ISO 4217 minor-unit exponent.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("BHD", 3),
    ("DZD", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("OMR", 3),
    ("QAR", 2),
    ("SAR", 2),
    ("TND", 3),
    ("TRY", 2),
    ("USD", 2),
];

/// A validated ISO 4217 currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

impl Currency {
    /// Looks a code up case-insensitively (Stripe sends lower case).
    pub fn parse(code: &str) -> Result<Self> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| Error::UnknownCurrency(code.to_string()))
    }

    /// The upper-case ISO code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (2 for MAD, 3 for KWD, 0 for JPY).
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    /// Parses decimal text in major units into minor units, exactly.
    pub fn parse_major(&self, text: &str) -> Result<i64> {
        let t = text.trim();
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() && frac_part.is_empty()
            || !valid(int_part)
            || !valid(frac_part)
            || digits.ends_with('.') && frac_part.is_empty() && int_part.is_empty()
        {
            return Err(Error::NotDecimal(text.to_string()));
        }
        let significant = frac_part.trim_end_matches('0');
        if significant.len() > self.exponent as usize {
            return Err(Error::TooManyDecimals {
                text: text.to_string(),
                digits: significant.len(),
                currency: self.code,
                exponent: self.exponent,
            });
        }
        let overflow = || Error::Overflow(text.to_string());
        let mut value: i64 = 0;
        for b in int_part.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        for i in 0..self.exponent as usize {
            let d = significant.as_bytes().get(i).map_or(0, |b| b - b'0');
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(d)))
                .ok_or_else(overflow)?;
        }
        Ok(if negative { -value } else { value })
    }

    /// Like [`Currency::parse_major`] but refuses negative amounts.
    pub fn parse_non_negative(&self, text: &str) -> Result<i64> {
        let v = self.parse_major(text)?;
        if v < 0 {
            return Err(Error::Negative(text.to_string()));
        }
        Ok(v)
    }

    /// Formats minor units as major-unit text (`12500` KWD -> `"12.500"`).
    pub fn format(&self, minor: i64) -> String {
        if self.exponent == 0 {
            return minor.to_string();
        }
        let scale = 10i64.pow(self.exponent);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = self.exponent as usize
        )
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(cur("kwd").exponent(), 3);
        for c in ["BHD", "OMR", "JOD", "TND"] {
            assert_eq!(cur(c).exponent(), 3, "{c}");
        }
        assert_eq!(cur("JPY").exponent(), 0);
        for c in ["MAD", "SAR", "AED", "EGP", "USD", "EUR"] {
            assert_eq!(cur(c).exponent(), 2, "{c}");
        }
        assert_eq!(
            Currency::parse("XYZ"),
            Err(Error::UnknownCurrency("XYZ".into()))
        );
    }

    #[test]
    fn parses_major_units_exactly() {
        assert_eq!(cur("MAD").parse_major("249.00"), Ok(24900));
        assert_eq!(cur("MAD").parse_major("249.5"), Ok(24950));
        assert_eq!(cur("MAD").parse_major("249"), Ok(24900));
        assert_eq!(cur("KWD").parse_major("12.345"), Ok(12345));
        assert_eq!(cur("KWD").parse_major(".5"), Ok(500));
        assert_eq!(cur("JPY").parse_major("3980"), Ok(3980));
        assert_eq!(cur("JPY").parse_major("3980.0"), Ok(3980));
        assert_eq!(cur("SAR").parse_major("-10.10"), Ok(-1010));
        assert_eq!(cur("SAR").parse_major("0.10"), Ok(10));
        // 0.1 + 0.2 style float traps do not exist here.
        assert_eq!(cur("USD").parse_major("0.30"), Ok(30));
    }

    #[test]
    fn refuses_bad_amounts() {
        assert!(matches!(
            cur("MAD").parse_major("12.345"),
            Err(Error::TooManyDecimals { digits: 3, .. })
        ));
        assert!(matches!(
            cur("JPY").parse_major("1.5"),
            Err(Error::TooManyDecimals { .. })
        ));
        for bad in ["", ".", "1,50", "1e3", "abc", "1.2.3", "--1"] {
            assert!(cur("MAD").parse_major(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            cur("MAD").parse_non_negative("-1.00"),
            Err(Error::Negative("-1.00".into()))
        );
        assert!(matches!(
            cur("MAD").parse_major("99999999999999999999"),
            Err(Error::Overflow(_))
        ));
    }

    #[test]
    fn formats_minor_units() {
        assert_eq!(cur("KWD").format(12500), "12.500");
        assert_eq!(cur("MAD").format(-5), "-0.05");
        assert_eq!(cur("JPY").format(3980), "3980");
    }
}
