//! Intake: turning outside input (files, signed webhooks, API backfills)
//! into bus records.

pub mod backfill;
pub mod dedupe;
pub mod load;
pub mod remit;
pub mod serve;
pub mod settings;
