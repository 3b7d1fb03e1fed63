//! `[carriers.NAME]`: how one carrier sends tracking updates (and, later,
//! remittance statements): its format, the store its parcels belong to, how
//! its webhooks prove who they are, and status or field mappings.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::intake::settings::Secrets;
use crate::sources::secret::Secret;

/// One carrier.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CarrierSettings {
    /// yalidine, aramex, aftership or generic.
    pub format: String,
    /// Store the carrier's parcels belong to.
    pub store_id: String,
    /// ISO 4217 code of COD amounts when the payload names none
    /// (Yalidine: DZD).
    pub currency: Option<String>,
    /// Shared secret(s): `X-Settle-Signature: sha256=HEX` (HMAC-SHA256 of
    /// the body); AfterShip signs with `aftership-hmac-sha256` (base64).
    pub secret: Secrets,
    /// Or a token: `Authorization: Bearer TOKEN` or `X-Settle-Token: TOKEN`.
    pub token: Option<Secret>,
    /// UTC offset of times written without one (`"+01:00"` for Algeria).
    pub utc_offset: Option<String>,
    /// Extra or overriding entries of the status table: carrier text -> normalized status.
    pub statuses: BTreeMap<String, String>,
    /// `generic` only: JSON pointers to each field (see `sources/carriers/generic`).
    pub fields: BTreeMap<String, String>,
    /// `[carriers.NAME.remittance]`: how its COD remittance statements read.
    pub remittance: RemittanceMapping,
}

/// How one carrier's remittance statements (CSV or spreadsheet) read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemittanceMapping {
    /// Statement column header for each field: `tracking_number`,
    /// `collected`, `paid_date` (required); `net_remitted` (else collected
    /// minus fees), `fee_shipping`, `fee_cod`, `fee_return`, `fee_other`,
    /// `order_id`, `currency`, `statement_id`, `bank_reference`.
    pub columns: BTreeMap<String, String>,
    /// 1-based row holding the column names.
    pub header_row: usize,
    /// CSV delimiter (`;`, `,`, `tab`); detected from the header when unset.
    pub delimiter: Option<String>,
    /// Spreadsheet sheet name; the first when unset.
    pub sheet: Option<String>,
    /// Amounts are written `1.234,50` (the comma is the decimal mark).
    pub decimal_comma: bool,
    /// Characters separating thousands (spaces are always ignored).
    pub thousands: String,
    /// Date format of text dates (chrono syntax).
    pub date_format: String,
}

impl Default for RemittanceMapping {
    fn default() -> Self {
        RemittanceMapping {
            columns: BTreeMap::new(),
            header_row: 1,
            delimiter: None,
            sheet: None,
            decimal_comma: false,
            thousands: String::new(),
            date_format: "%Y-%m-%d".into(),
        }
    }
}
