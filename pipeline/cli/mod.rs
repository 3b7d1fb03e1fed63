//! The binary's pieces: arguments, daemons, benchmark runners.

pub(crate) mod alerts;
pub(crate) mod args;
pub(crate) mod bench;
pub(crate) mod daemons;
pub(crate) mod dashboards;
pub(crate) mod jobs;
pub(crate) mod sql;
pub(crate) mod triggers;
