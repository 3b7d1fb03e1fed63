//! Event contracts: the four kinds of event Settle takes in, and their decoding
//! into lake rows. The JSON Schemas in `schemas/` describe the same shapes.

pub mod amount;
pub mod decode;
pub mod order;
pub mod remittance;
pub mod tracking;

use std::fmt;
use std::str::FromStr;

/// The kinds of event Settle takes in; each has its own topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Kind {
    /// A Stripe event envelope, exactly as Stripe sends it.
    Stripe,
    /// A store order snapshot after create, update or cancel.
    Order,
    /// A carrier tracking update.
    Tracking,
    /// One line of a carrier COD remittance statement.
    Remittance,
}

impl Kind {
    /// Every kind, in topic order.
    pub const ALL: [Kind; 4] = [Kind::Stripe, Kind::Order, Kind::Tracking, Kind::Remittance];

    /// The contract name, as in `schemas/` and the lake's `kind` column.
    pub fn contract(self) -> &'static str {
        match self {
            Kind::Stripe => "stripe_event",
            Kind::Order => "order_change",
            Kind::Tracking => "tracking_update",
            Kind::Remittance => "remittance_line",
        }
    }

    /// The topic name without the configurable prefix.
    pub fn topic(self) -> &'static str {
        match self {
            Kind::Stripe => "stripe.events",
            Kind::Order => "orders",
            Kind::Tracking => "tracking",
            Kind::Remittance => "remittances",
        }
    }

    /// The outside system family the event comes from.
    pub fn source(self) -> &'static str {
        match self {
            Kind::Stripe => "stripe",
            Kind::Order => "store",
            Kind::Tracking | Kind::Remittance => "carrier",
        }
    }

    /// The short name used on the command line and in bus headers.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Stripe => "stripe",
            Kind::Order => "order",
            Kind::Tracking => "tracking",
            Kind::Remittance => "remittance",
        }
    }

    /// The file name the generator writes this kind to.
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Stripe => "stripe_events.jsonl",
            Kind::Order => "orders.jsonl",
            Kind::Tracking => "tracking.jsonl",
            Kind::Remittance => "remittances.jsonl",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s || k.contract() == s)
            .ok_or_else(|| {
                format!("unknown event kind {s:?}: use stripe, order, tracking or remittance")
            })
    }
}

/// Parses an RFC 3339 timestamp into microseconds since the epoch (UTC).
pub fn parse_timestamp(field: &str, text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_micros())
        .map_err(|e| format!("{field} {text:?} is not an RFC 3339 timestamp ({e}); write e.g. \"2026-10-01T09:30:00Z\""))
}

/// Parses a `YYYY-MM-DD` date into days since the epoch.
pub fn parse_date(field: &str, text: &str) -> Result<i32, String> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("{field} {text:?} is not a date like \"2026-10-15\" ({e})"))?;
    Ok((d - chrono::NaiveDate::default()).num_days() as i32)
}
