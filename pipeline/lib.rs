//! Settle: an operations-data pipeline for direct-to-consumer and
//! cash-on-delivery stores. Events come in, go through the bus, land in a
//! Parquet lake, and SQL jobs build reconciliation and rate tables from it.

pub mod alerts;
pub mod bench;
pub mod bus;
pub mod config;
pub mod dashboards;
pub mod demo;
pub mod events;
pub mod exports;
pub mod generate;
pub mod ingest;
pub mod intake;
pub mod jobs;
pub mod lake;
pub mod money;
pub mod output;
pub mod schedule;
pub mod sources;
pub mod sql;
pub mod triggers;
