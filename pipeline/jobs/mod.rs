//! Jobs: a DataFusion session over the lake, SQL from `queries/`, job specs
//! from `jobs/`, and outputs written back to the lake as Parquet tables.

pub mod contracts;
pub mod queries;
pub mod run;
pub mod session;
pub mod spec;
pub mod udf;

/// Errors from jobs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config or job file is wrong.
    #[error("{origin}: {why}")]
    Config {
        /// File or source of the config.
        origin: String,
        /// What was wrong.
        why: String,
    },
    /// A job or query name is unknown.
    #[error("unknown {what} {name:?}; known: {known}")]
    Unknown {
        /// job or query.
        what: &'static str,
        /// The name asked for.
        name: String,
        /// Names that exist.
        known: String,
    },
    /// DataFusion failed planning or running SQL.
    #[error("query {query}: {source}")]
    Sql {
        /// Query name or text.
        query: String,
        /// The DataFusion error.
        source: datafusion::error::DataFusionError,
    },
    /// The lake failed.
    #[error(transparent)]
    Lake(#[from] crate::lake::Error),
}

/// Result alias for jobs.
pub type Result<T, E = Error> = std::result::Result<T, E>;
