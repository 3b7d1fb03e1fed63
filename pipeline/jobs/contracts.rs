//! Carrier contract fees (`jobs/carrier_contracts.toml`), parsed into minor units.

use serde::Deserialize;

use super::{Error, Result};
use crate::money::Currency;

/// The contracts shipped with Settle.
pub const DEFAULT_CONTRACTS: &str = include_str!("../../jobs/carrier_contracts.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    contract: Vec<RawContract>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    /// Carrier name as in tracking and remittance events.
    carrier: String,
    /// ISO 4217 code the fees are in.
    currency: String,
    /// Flat shipping fee per delivered parcel, major units.
    shipping_fee: String,
    /// COD handling fee in basis points of cash collected.
    cod_fee_bps: i64,
    /// Flat fee per parcel returned to origin, major units.
    return_fee: String,
}

/// One carrier's fees in one currency, in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Carrier name.
    pub carrier: String,
    /// Currency.
    pub currency: Currency,
    /// Shipping fee per delivered parcel.
    pub shipping_fee: i64,
    /// COD fee in basis points of collected cash.
    pub cod_fee_bps: i64,
    /// Fee per returned parcel.
    pub return_fee: i64,
}

impl Contract {
    /// The COD fee for `collected` minor units, rounded half up.
    pub fn cod_fee(&self, collected: i64) -> i64 {
        (collected * self.cod_fee_bps + 5_000) / 10_000
    }
}

/// Parses contracts from TOML text; `origin` names the file in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Contract>> {
    let file: File = toml::from_str(text).map_err(|e| Error::Config {
        origin: origin.to_string(),
        why: e.to_string(),
    })?;
    file.contract
        .into_iter()
        .map(|c| {
            let bad = |why: String| Error::Config {
                origin: origin.to_string(),
                why: format!("contract {}/{}: {why}", c.carrier, c.currency),
            };
            let currency = Currency::parse(&c.currency).map_err(|e| bad(e.to_string()))?;
            let fee = |t: &str| {
                currency
                    .parse_non_negative(t)
                    .map_err(|e| bad(e.to_string()))
            };
            if !(0..=10_000).contains(&c.cod_fee_bps) {
                return Err(bad("cod_fee_bps must be between 0 and 10000".into()));
            }
            Ok(Contract {
                shipping_fee: fee(&c.shipping_fee)?,
                return_fee: fee(&c.return_fee)?,
                cod_fee_bps: c.cod_fee_bps,
                currency,
                carrier: c.carrier.clone(),
            })
        })
        .collect()
}

/// The contracts shipped with Settle.
pub fn defaults() -> Vec<Contract> {
    parse(DEFAULT_CONTRACTS, "jobs/carrier_contracts.toml").expect("shipped contracts parse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_contracts_parse_in_minor_units() {
        let c = defaults();
        let kwd = c
            .iter()
            .find(|c| c.carrier == "swiftpost" && c.currency.code() == "KWD")
            .unwrap();
        assert_eq!(kwd.shipping_fee, 1500);
        assert_eq!(kwd.cod_fee(12_345), 185); // 185.175 rounds to 185
        assert!(parse("[[contract]]\ncarrier='x'\ncurrency='ZZZ'\nshipping_fee='1'\ncod_fee_bps=1\nreturn_fee='1'", "t.toml")
            .unwrap_err()
            .to_string()
            .contains("unknown currency"));
    }
}
