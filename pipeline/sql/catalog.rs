//! The schemas finance sees: `raw` (events as received, rejected input),
//! `lake` (typed tables and their current-state views, carrier contracts) and
//! `reports` (job outputs and the finance views in `queries/reports/`).
//! Unqualified names still resolve, like a Postgres `search_path` of
//! `reports, lake, raw`, so `SELECT * FROM cod_reconciliation` keeps working;
//! listings (`\dt`, `information_schema`) show each table once, under its schema.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;

use crate::jobs::spec;

/// `raw`, `lake` and `reports`, in the order unqualified names are looked up.
pub const SCHEMAS: &[&str] = &["reports", "lake", "raw"];

/// The finance views: (name, SQL), registered in `reports` in this order.
pub const REPORT_VIEWS: &[(&str, &str)] = &[(
    "outstanding_by_carrier",
    include_str!("../../queries/reports/outstanding_by_carrier.sql"),
)];

/// Where a table of the jobs' session goes.
fn schema_of(table: &str, outputs: &[String]) -> Option<&'static str> {
    if table == "raw_events" || table == "rejected" {
        Some("raw")
    } else if outputs.iter().any(|o| o == table) {
        Some("reports")
    } else if table.ends_with("_deliveries") || table == "job_params" {
        // Internal: resolvable, not listed.
        None
    } else {
        Some("lake")
    }
}

/// Moves every table of `ctx`'s default schema into `raw`, `lake` or
/// `reports` and adds the finance views. Views whose inputs do not exist yet
/// (no job has run) are skipped and named in the result.
pub async fn organize(ctx: &SessionContext) -> Result<Vec<String>> {
    let catalog_name = ctx
        .state()
        .config()
        .options()
        .catalog
        .default_catalog
        .clone();
    let schema_name = ctx
        .state()
        .config()
        .options()
        .catalog
        .default_schema
        .clone();
    let catalog = ctx
        .catalog(&catalog_name)
        .ok_or_else(|| DataFusionError::Internal(format!("no catalog {catalog_name}")))?;
    let public = catalog
        .schema(&schema_name)
        .ok_or_else(|| DataFusionError::Internal(format!("no schema {schema_name}")))?;
    let outputs: Vec<String> = spec::all()
        .map_err(|e| DataFusionError::Plan(e.to_string()))?
        .into_iter()
        .map(|j| j.output)
        .collect();
    let named: Vec<(&str, Arc<MemorySchemaProvider>)> = SCHEMAS
        .iter()
        .map(|s| (*s, Arc::new(MemorySchemaProvider::new())))
        .collect();
    let hidden = Arc::new(MemorySchemaProvider::new());
    for table in public.table_names() {
        let Some(provider) = public.table(&table).await? else {
            continue;
        };
        let target = match schema_of(&table, &outputs) {
            Some(s) => named
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, p)| p.clone())
                .expect("every schema_of answer is in SCHEMAS"),
            None => hidden.clone(),
        };
        target.register_table(table, provider)?;
    }
    for (name, provider) in &named {
        catalog.register_schema(name, provider.clone())?;
    }
    let path: Vec<Arc<dyn SchemaProvider>> = named
        .iter()
        .map(|(_, p)| p.clone() as Arc<dyn SchemaProvider>)
        .collect();
    catalog.register_schema(&schema_name, Arc::new(SearchPath { own: hidden, path }))?;
    let reports = named
        .iter()
        .find(|(n, _)| *n == "reports")
        .map(|(_, p)| p.clone())
        .expect("reports is in SCHEMAS");
    let mut skipped = Vec::new();
    for (name, sql) in REPORT_VIEWS {
        match ctx.sql(sql).await {
            Ok(df) => {
                reports.register_table(name.to_string(), df.into_view())?;
            }
            Err(e) => {
                tracing::info!(view = name, error = %e, "finance view skipped: its inputs are not in the lake yet");
                skipped.push(name.to_string());
            }
        }
    }
    Ok(skipped)
}

/// The default schema: its own (internal) tables, then each schema of the
/// path for names it does not hold. Lists only its own tables.
#[derive(Debug)]
struct SearchPath {
    own: Arc<MemorySchemaProvider>,
    path: Vec<Arc<dyn SchemaProvider>>,
}

#[async_trait]
impl SchemaProvider for SearchPath {
    fn table_names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(t) = self.own.table(name).await? {
            return Ok(Some(t));
        }
        for schema in &self.path {
            if let Some(t) = schema.table(name).await? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        self.own.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.own.deregister_table(name)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.own.table_exist(name) || self.path.iter().any(|s| s.table_exist(name))
    }
}
