//! Running SQL text for `settle sql`: split into statements, refuse writes,
//! plan, run, and print each result.

use std::io::Write;
use std::time::{Duration, Instant};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

use super::{Error, Result, guard};
use crate::output::{self, Format};

/// One statement's result.
pub struct Outcome {
    /// Result columns.
    pub schema: SchemaRef,
    /// Result rows.
    pub batches: Vec<RecordBatch>,
    /// Planning and running time.
    pub elapsed: Duration,
}

/// The statements of `sql` (Postgres dialect, `;`-separated).
pub fn split(sql: &str) -> Result<Vec<Statement>> {
    let dialect = PostgreSqlDialect {};
    let mut parser = DFParserBuilder::new(sql).with_dialect(&dialect).build()?;
    Ok(parser.parse_statements()?.into_iter().collect())
}

/// Runs one statement, refusing anything that is not a read.
pub async fn execute(ctx: &SessionContext, statement: Statement) -> Result<Outcome> {
    guard::check_df(&statement)?;
    let started = Instant::now();
    let plan = ctx.state().statement_to_plan(statement).await?;
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .verify_plan(&plan)?;
    collect(ctx.execute_logical_plan(plan).await?, started).await
}

/// Runs a planned query to the end; `started` is when planning began.
pub async fn collect(df: datafusion::dataframe::DataFrame, started: Instant) -> Result<Outcome> {
    let schema = df.schema().inner().clone();
    let batches = df.collect().await?;
    Ok(Outcome {
        schema,
        batches,
        elapsed: started.elapsed(),
    })
}

/// Runs every statement of `sql` in order and writes each result to `out`;
/// stops at the first error. Parquet takes exactly one statement.
pub async fn run_text(
    ctx: &SessionContext,
    sql: &str,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<usize> {
    let statements = split(sql)?;
    if statements.is_empty() {
        return Err(Error::Usage("no SQL statement given".into()));
    }
    if format == Format::Parquet && statements.len() > 1 {
        return Err(Error::Usage(format!(
            "--format parquet writes one result, but {} statements were given",
            statements.len()
        )));
    }
    let n = statements.len();
    for (i, statement) in statements.into_iter().enumerate() {
        let outcome = execute(ctx, statement).await?;
        print(out, &outcome, format)?;
        if format == Format::Table && i + 1 < n {
            writeln!(out).map_err(io("the result"))?;
        }
    }
    Ok(n)
}

/// Writes one result.
pub fn print(out: &mut (dyn Write + Send), outcome: &Outcome, format: Format) -> Result<()> {
    output::write(out, &outcome.schema, &outcome.batches, format)?;
    out.flush().map_err(io("the result"))?;
    Ok(())
}

/// An I/O error while writing `what`.
pub fn io(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        what: what.to_string(),
        source,
    }
}
