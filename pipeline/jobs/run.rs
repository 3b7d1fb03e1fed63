//! Running jobs: each job's last query becomes a Parquet table in the lake.

use std::time::Instant;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use super::session::{self, Options, register_listing};
use super::spec::JobSpec;
use super::{Error, Result, queries};
use crate::lake::Lake;
use crate::lake::parquet_io::{encode, put};

/// The outcome of one job.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// Job name.
    pub name: String,
    /// Output table.
    pub output: String,
    /// Rows written.
    pub rows: usize,
    /// Wall time in milliseconds.
    pub millis: u128,
}

/// Runs a query by name and collects its result.
pub async fn query(ctx: &SessionContext, name: &str) -> Result<Vec<RecordBatch>> {
    let sql = queries::get(name)?;
    let map = |source| Error::Sql {
        query: name.to_string(),
        source,
    };
    let df = ctx.sql(sql).await.map_err(map)?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let mut batches = df.collect().await.map_err(map)?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// Runs `jobs` in order on a fresh session; each output is registered before
/// the next job runs, so jobs may build on earlier outputs.
pub async fn run(lake: &Lake, jobs: &[JobSpec], opts: &Options) -> Result<Vec<JobRun>> {
    let ctx = session::open(lake, opts).await?;
    let mut runs = Vec::with_capacity(jobs.len());
    for job in jobs {
        let started = Instant::now();
        let (last, before) = job.queries.split_last().ok_or_else(|| Error::Config {
            origin: format!("jobs/{}.toml", job.name),
            why: "queries must name at least one query".into(),
        })?;
        for q in before {
            let sql = queries::get(q)?;
            let df = ctx.sql(sql).await.map_err(|source| Error::Sql {
                query: q.clone(),
                source,
            })?;
            ctx.register_table(q.as_str(), df.into_view())
                .map_err(|source| Error::Sql {
                    query: q.clone(),
                    source,
                })?;
        }
        let batches = query(&ctx, last).await?;
        let rows = batches.iter().map(|b| b.num_rows()).sum();
        write_output(lake, &job.output, &batches).await?;
        register_listing(&ctx, lake, &job.output, None).await?;
        runs.push(JobRun {
            name: job.name.clone(),
            output: job.output.clone(),
            rows,
            millis: started.elapsed().as_millis(),
        });
    }
    Ok(runs)
}

/// Replaces a job output table with `batches` in one atomic PUT.
async fn write_output(lake: &Lake, table: &str, batches: &[RecordBatch]) -> Result<()> {
    let bytes = encode(batches)?;
    put(lake, &format!("{table}/{table}.parquet"), bytes).await?;
    Ok(())
}
