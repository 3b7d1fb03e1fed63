//! Intake: turning outside input (files today; webhooks and API backfills
//! later) into bus records.

pub mod load;
