//! Decimal amount fields in store and carrier events: decimal strings in
//! major units (`"249.00"`) or JSON integers, never JSON fractions.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::money::Currency;

/// An amount exactly as written in the event, parsed once the currency is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountText(pub String);

impl<'de> Deserialize<'de> for AmountText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AmountText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal string like \"249.00\" or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AmountText, E> {
                Ok(AmountText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AmountText, E> {
                Ok(AmountText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AmountText, E> {
                Ok(AmountText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<AmountText, E> {
                Err(E::custom(format!(
                    "amount {v} is a JSON number with a fraction; write it as a decimal string like \"{v}\" so no float rounding can happen"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

impl AmountText {
    /// Minor units, refusing negatives; `field` names the field in errors.
    pub fn minor(&self, field: &str, currency: Currency) -> Result<i64, String> {
        currency
            .parse_non_negative(&self.0)
            .map_err(|e| format!("{field}: {e}"))
    }

    /// Minor units, allowing negatives (e.g. a statement's net after return fees).
    pub fn signed_minor(&self, field: &str, currency: Currency) -> Result<i64, String> {
        currency
            .parse_major(&self.0)
            .map_err(|e| format!("{field}: {e}"))
    }
}

/// Parses an optional amount, treating absent as zero.
pub fn minor_or_zero(
    v: &Option<AmountText>,
    field: &str,
    currency: Currency,
) -> Result<i64, String> {
    v.as_ref().map_or(Ok(0), |a| a.minor(field, currency))
}
