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
}
