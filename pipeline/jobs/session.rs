//! The DataFusion session over a lake: every event table, job outputs that
//! exist, the shared views from `queries/`, and job parameters.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::TryStreamExt;

use super::contracts::Contract;
use super::{Error, Result, queries, spec};
use crate::lake::Lake;
use crate::lake::tables::{EVENT_TABLES, TYPED_TABLES, schema_of};

fn sql_err(query: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> Error + '_ {
    move |source| Error::Sql {
        query: query.to_string(),
        source,
    }
}

/// Options for opening a session.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Measure ages to this time (microseconds) instead of the lake's watermark.
    pub as_of: Option<i64>,
    /// Carrier contracts; the shipped ones when None.
    pub contracts: Option<Vec<Contract>>,
    /// The runtime (memory pool, disk for spilling) shared by sessions;
    /// DataFusion's unbounded default when None.
    pub runtime: Option<std::sync::Arc<datafusion::execution::runtime_env::RuntimeEnv>>,
    /// Every query stops with an error after this long (no limit when None).
    pub query_timeout: Option<std::time::Duration>,
}

/// Opens a session with every lake table and view registered.
pub async fn open(lake: &Lake, opts: &Options) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(2);
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features();
    if let Some(runtime) = &opts.runtime {
        state = state.with_runtime_env(runtime.clone());
    }
    if let Some(limit) = opts.query_timeout {
        state = state
            .with_physical_optimizer_rule(Arc::new(crate::sql::deadline::Deadline::new(limit)));
    }
    let ctx = SessionContext::new_with_state(state.build());
    ctx.register_udf(super::udf::format_money_udf());
    ctx.runtime_env()
        .register_object_store(&lake.store_url, lake.store.clone());
    for table in EVENT_TABLES {
        let schema = schema_of(table).expect("every event table has a schema");
        register_listing(&ctx, lake, table, Some(schema)).await?;
    }
    for table in TYPED_TABLES {
        register_delivered_once(&ctx, table).await?;
    }
    {
        use crate::lake::table::Table;
        use crate::schedule::runs::JobRunRow;
        use crate::{alerts::store::AlertEventRow, triggers::log::ActionLogRow};
        for (name, schema) in [
            (AlertEventRow::NAME, AlertEventRow::schema()),
            (ActionLogRow::NAME, ActionLogRow::schema()),
            (JobRunRow::NAME, JobRunRow::schema()),
        ] {
            if has_files(lake, name).await? {
                register_listing(&ctx, lake, name, Some(schema)).await?;
            }
        }
    }
    for job in spec::all()? {
        if has_files(lake, &job.output).await? {
            register_listing(&ctx, lake, &job.output, None).await?;
        }
    }
    let as_of = match opts.as_of {
        Some(t) => t,
        None => watermark(&ctx)
            .await?
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros()),
    };
    register_params(&ctx, as_of, spec::overdue_days())?;
    let contracts = opts
        .contracts
        .clone()
        .unwrap_or_else(super::contracts::defaults);
    register_contracts(&ctx, &contracts)?;
    for (name, sql) in queries::VIEWS {
        let df = ctx.sql(sql).await.map_err(sql_err(name))?;
        ctx.register_table(*name, df.into_view())
            .map_err(sql_err(name))?;
    }
    Ok(ctx)
}

/// Stripe (and other senders) deliver some events twice. raw_events keeps
/// every delivery; a typed row depends only on its event, so a redelivery
/// yields an identical row, and the typed table shows it once.
async fn register_delivered_once(ctx: &SessionContext, table: &str) -> Result<()> {
    let all = format!("{table}_deliveries");
    let provider = ctx
        .deregister_table(table)
        .map_err(sql_err(table))?
        .expect("typed tables are registered first");
    ctx.register_table(all.as_str(), provider)
        .map_err(sql_err(table))?;
    let once = ctx
        .table(all.as_str())
        .await
        .and_then(|df| df.distinct())
        .map_err(sql_err(table))?;
    ctx.register_table(table, once.into_view())
        .map_err(sql_err(table))?;
    Ok(())
}

async fn has_files(lake: &Lake, table: &str) -> Result<bool> {
    let mut list = lake.store.list(Some(&lake.path(table)));
    Ok(list
        .try_next()
        .await
        .map_err(crate::lake::Error::from)?
        .is_some())
}

/// Registers `lake/table/` as a table; event tables carry the `date` partition.
pub async fn register_listing(
    ctx: &SessionContext,
    lake: &Lake,
    table: &str,
    schema: Option<datafusion::arrow::datatypes::SchemaRef>,
) -> Result<()> {
    let url = ListingTableUrl::parse(lake.table_url(table)).map_err(sql_err(table))?;
    let mut options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = match schema {
        Some(schema) => {
            options = options.with_table_partition_cols(vec![("date".to_string(), DataType::Utf8)]);
            ListingTableConfig::new(url)
                .with_listing_options(options)
                .with_schema(schema)
        }
        None => ListingTableConfig::new(url)
            .with_listing_options(options)
            .infer_schema(&ctx.state())
            .await
            .map_err(sql_err(table))?,
    };
    let provider = ListingTable::try_new(config).map_err(sql_err(table))?;
    ctx.deregister_table(table).map_err(sql_err(table))?;
    ctx.register_table(table, Arc::new(provider))
        .map_err(sql_err(table))?;
    Ok(())
}

async fn watermark(ctx: &SessionContext) -> Result<Option<i64>> {
    let sql = queries::get("watermark")?;
    let batches = ctx
        .sql(sql)
        .await
        .map_err(sql_err("watermark"))?
        .collect()
        .await
        .map_err(sql_err("watermark"))?;
    let value = batches.first().filter(|b| b.num_rows() > 0).and_then(|b| {
        b.column(0)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .filter(|a| !a.is_null(0))
            .map(|a| a.value(0))
    });
    Ok(value)
}

fn register_params(ctx: &SessionContext, as_of: i64, overdue_days: i64) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "as_of",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("overdue_days", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(TimestampMicrosecondArray::from(vec![as_of]).with_timezone("UTC")),
            Arc::new(Int64Array::from(vec![overdue_days])),
        ],
    )
    .map_err(|e| sql_err("job_params")(e.into()))?;
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(sql_err("job_params"))?;
    ctx.register_table("job_params", Arc::new(table))
        .map_err(sql_err("job_params"))?;
    Ok(())
}

fn register_contracts(ctx: &SessionContext, contracts: &[Contract]) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("carrier", DataType::Utf8, false),
        Field::new("currency", DataType::Utf8, false),
        Field::new("shipping_fee", DataType::Int64, false),
        Field::new("cod_fee_bps", DataType::Int64, false),
        Field::new("return_fee", DataType::Int64, false),
    ]));
    let col =
        |f: fn(&Contract) -> i64| Arc::new(Int64Array::from_iter_values(contracts.iter().map(f)));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                contracts.iter().map(|c| c.carrier.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                contracts.iter().map(|c| c.currency.code()),
            )),
            col(|c| c.shipping_fee),
            col(|c| c.cod_fee_bps),
            col(|c| c.return_fee),
        ],
    )
    .map_err(|e| sql_err("carrier_contracts")(e.into()))?;
    let table =
        MemTable::try_new(schema, vec![vec![batch]]).map_err(sql_err("carrier_contracts"))?;
    ctx.register_table("carrier_contracts", Arc::new(table))
        .map_err(sql_err("carrier_contracts"))?;
    Ok(())
}
