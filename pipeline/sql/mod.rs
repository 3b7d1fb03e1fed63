//! Finance SQL over the lake: `settle sql` (one-shot or an interactive
//! REPL) and a read-only Postgres-wire endpoint for psql and BI tools, both
//! on the same DataFusion session with the `raw`, `lake` and `reports` schemas.

pub mod catalog;
pub mod deadline;
pub mod guard;
pub mod pg;
pub mod repl;
pub mod run;
pub mod settings;

use std::sync::Arc;

use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionContext;

use crate::jobs::session::{self, Options};
use crate::lake::Lake;

/// Errors of the SQL endpoints.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A statement that would change something.
    #[error(transparent)]
    Refused(#[from] guard::Refused),
    /// DataFusion could not parse, plan or run a statement.
    #[error("{0}")]
    Sql(#[from] datafusion::error::DataFusionError),
    /// Opening the session over the lake failed.
    #[error(transparent)]
    Jobs(#[from] crate::jobs::Error),
    /// Writing results failed.
    #[error("writing {what}: {source}")]
    Io {
        /// What was being written.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// Arrow could not format results.
    #[error("formatting results: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// Parquet output failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    /// The command line asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}

/// Result alias for the SQL endpoints.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A runtime whose queries together hold at most `memory_limit` bytes
/// (spilling to a temporary folder first), or DataFusion's default.
pub fn runtime(memory_limit: Option<usize>) -> Result<Arc<RuntimeEnv>> {
    let mut builder = RuntimeEnvBuilder::new();
    if let Some(bytes) = memory_limit {
        builder = builder.with_memory_limit(bytes, 1.0);
    }
    Ok(builder.build_arc()?)
}

/// A session over `lake` with the finance schemas, on `runtime`, each query
/// stopped after `query_timeout`.
pub async fn open(
    lake: &Lake,
    runtime: Option<Arc<RuntimeEnv>>,
    query_timeout: Option<std::time::Duration>,
) -> Result<SessionContext> {
    let opts = Options {
        runtime,
        query_timeout,
        ..Options::default()
    };
    let ctx = session::open(lake, &opts).await?;
    catalog::organize(&ctx).await?;
    Ok(ctx)
}
