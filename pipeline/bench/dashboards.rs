//! `settle bench dashboards`: every shipped dashboard's page over the demo
//! lake, built as `settle serve` builds it for a request (a fresh session
//! over the lake, the filter choices, every panel's query, the SVG and
//! HTML), `runs` times after a warm-up; beside DuckDB running the same panel
//! queries over the same Parquet files with the same filters in the same run
//! (tests/peers/duckdb_dashboards.py). Target: under 1 s a page.

use std::path::PathBuf;
use std::time::Instant;

use crate::dashboards::controls::{Asked, query_string};
use crate::dashboards::web::Web;
use crate::dashboards::{DashboardSettings, all, query};
use crate::lake::Lake;

/// The DuckDB peer script.
const DUCKDB_PEER: &str = include_str!("../../tests/peers/duckdb_dashboards.py");

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Timed runs per dashboard (after one warm-up).
    pub runs: usize,
    /// DuckDB threads (Settle's DataFusion uses the machine's cores).
    pub threads: usize,
    /// Skip DuckDB.
    pub no_peer: bool,
}

/// One dashboard's figures.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its name.
    pub name: String,
    /// Panels.
    pub panels: usize,
    /// Rows each panel returned.
    pub rows: Vec<usize>,
    /// Settle's seconds per run.
    pub settle: Vec<f64>,
    /// DuckDB's seconds per run, or why it could not run.
    pub duckdb: Result<Vec<f64>, String>,
    /// Rows DuckDB's runs of the panel queries returned.
    pub duckdb_rows: Vec<usize>,
}

/// Times every dashboard over `lake` (a folder).
pub async fn run(lake_dir: &str, cfg: &Config) -> Result<Vec<Row>, String> {
    let lake = Lake::open(lake_dir).map_err(|e| e.to_string())?;
    let web = Web::new(lake.clone(), DashboardSettings::default(), None);
    let ctx = crate::sql::open(&lake, None, None)
        .await
        .map_err(|e| e.to_string())?;
    let filters = Asked::default()
        .resolve(&ctx, DashboardSettings::default().default_days)
        .await?;
    let qs = query_string(&filters);
    let mut rows = Vec::new();
    for d in all()? {
        let mut times = Vec::with_capacity(cfg.runs);
        let mut counted = Vec::new();
        for i in 0..=cfg.runs {
            let started = Instant::now();
            let (_, panels) = web.page(&d.name, &qs).await?;
            if let Some(p) = panels.iter().find(|p| p.error.is_some()) {
                return Err(format!("{} / {}: {:?}", d.name, p.title, p.error));
            }
            if i > 0 {
                times.push(started.elapsed().as_secs_f64());
            }
            counted = panels.iter().map(|p| p.rows).collect();
        }
        rows.push(Row {
            name: d.name.clone(),
            panels: d.panels.len(),
            rows: counted,
            settle: times,
            duckdb: Err("not run".into()),
            duckdb_rows: Vec::new(),
        });
    }
    if !cfg.no_peer {
        let peer = duckdb_side(lake_dir, &filters, cfg)?;
        for r in &mut rows {
            r.duckdb = match (peer["dashboards"].get(&r.name), peer["errors"].get(&r.name)) {
                (Some(t), _) => Ok(t
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                    .unwrap_or_default()),
                (None, Some(e)) => Err(e.to_string()),
                (None, None) => Err("the peer printed nothing for it".into()),
            };
            r.duckdb_rows = peer["rows"][&r.name]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_u64())
                        .map(|n| n as usize)
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    Ok(rows)
}

fn duckdb_side(
    lake_dir: &str,
    filters: &crate::dashboards::Filters,
    cfg: &Config,
) -> Result<serde_json::Value, String> {
    let tables = |dir: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|it| {
                it.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let outputs: Vec<String> = crate::jobs::spec::all()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|j| j.output)
        .collect();
    let (reports, lake): (Vec<String>, Vec<String>) = tables(&PathBuf::from(lake_dir))
        .into_iter()
        .filter(|t| !t.starts_with('_') && !t.starts_with('.'))
        .partition(|t| outputs.contains(t));
    let mut dashboards = Vec::new();
    for d in all()? {
        // The panels first (their row counts are compared), then the rest.
        let mut sqls: Vec<&str> = d
            .panels
            .iter()
            .map(|p| query(&p.query))
            .collect::<Result<_, _>>()?;
        sqls.push(query("filter_options")?);
        for p in &d.panels {
            // Settle draws no markers without alert_events; neither does the peer.
            if let (Some(a), true) = (&p.alerts, lake.iter().any(|t| t == "alert_events")) {
                sqls.push(query(a)?);
            }
        }
        dashboards.push(serde_json::json!([d.name, sqls]));
    }
    let spec = serde_json::json!({
        "lake": lake_dir,
        "schemas": {"reports": reports, "lake": lake},
        "views": crate::sql::catalog::REPORT_VIEWS,
        "dashboards": dashboards,
        "params": {
            "from": filters.from.to_string(), "to": filters.to.to_string(),
            "store": filters.store, "carrier": filters.carrier, "currency": filters.currency,
            "prev_from": filters.prev_from().to_string(),
        },
        "runs": cfg.runs,
        "threads": cfg.threads,
    });
    let file = std::env::temp_dir().join(format!(
        "settle-bench-dashboards-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, spec.to_string()).map_err(|e| e.to_string())?;
    let peer = super::python_peer(DUCKDB_PEER, &[file.clone().into_os_string()]);
    let _ = std::fs::remove_file(&file);
    peer
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The figures as a table.
pub fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<10} {:>6} {:>7} {:>12} {:>12} {:>12} {:>14} {:>10}  target < 1000 ms\n",
        "dashboard",
        "panels",
        "rows",
        "settle p50",
        "settle max",
        "duckdb p50",
        "settle/duckdb",
        "same rows"
    );
    for r in rows {
        let (p50, max) = (
            median(&r.settle) * 1e3,
            r.settle.iter().copied().fold(0.0, f64::max) * 1e3,
        );
        let (peer, ratio) = match &r.duckdb {
            Ok(t) if !t.is_empty() => {
                let d = median(t) * 1e3;
                (format!("{d:.1} ms"), format!("{:.2}", p50 / d))
            }
            Ok(_) => ("-".into(), "-".into()),
            Err(e) => (format!("({e})"), "-".into()),
        };
        let same = match &r.duckdb {
            Ok(_) if r.duckdb_rows.len() >= r.rows.len() => {
                if r.duckdb_rows[..r.rows.len()] == r.rows[..] {
                    "yes"
                } else {
                    "NO"
                }
            }
            _ => "-",
        };
        out += &format!(
            "{:<10} {:>6} {:>7} {:>9.1} ms {:>9.1} ms {:>12} {:>14} {:>10}  {}\n",
            r.name,
            r.panels,
            r.rows.iter().sum::<usize>(),
            p50,
            max,
            peer,
            ratio,
            same,
            if max < 1000.0 { "ok" } else { "OVER" }
        );
    }
    out
}
