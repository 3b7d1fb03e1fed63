//! `settle bench lake`.

use anyhow::{Context, Result, bail};
use settle::lake::Lake;

pub(crate) async fn bench_lake(
    events: usize,
    dir: &std::path::Path,
    reuse: bool,
    no_peer: bool,
) -> Result<()> {
    use settle::bench;
    std::fs::create_dir_all(dir)?;
    let file = dir.join("stripe_events.jsonl");
    let lake_dir = dir.join("lake");
    let _ = std::fs::remove_dir_all(&lake_dir);
    let bytes = if reuse && file.exists() {
        outln!("reusing {}", file.display());
        std::fs::metadata(&file)?.len()
    } else {
        outln!("writing {events} Stripe events to {} ...", file.display());
        bench::write_events(&file, events)?
    };
    let mb = bytes as f64 / 1e6;
    outln!(
        "{mb:.1} MB, {:.0} bytes/event",
        bytes as f64 / events as f64
    );
    let lake = Lake::open(lake_dir.to_str().context("utf-8 path")?)?;
    let (n, secs) = bench::settle_side(&file, &lake, 50_000).await?;
    outln!(
        "settle  decode->arrow->parquet (1 thread): {secs:>7.2} s  {:>9.0} events/s  {:>7.1} MB/s",
        n as f64 / secs,
        mb / secs
    );
    for threads in if no_peer { vec![] } else { vec![1, 2] } {
        let out = dir.join(format!("duckdb-{threads}.parquet"));
        match bench::duckdb_side(&file, &out, threads) {
            Ok(d) => outln!(
                "duckdb  read_json->COPY parquet ({threads} thread{}): {d:>7.2} s  {:>9.0} events/s  {:>7.1} MB/s  settle/duckdb speed ratio {:.2}",
                if threads == 1 { "" } else { "s" },
                n as f64 / d,
                mb / d,
                d / secs
            ),
            Err(e) => bail!("{e}"),
        }
    }
    Ok(())
}

/// `settle bench dashboards`: the demo lake (built unless reused), then the
/// figures.
pub(crate) async fn bench_dashboards(
    settings: &settle::config::Settings,
    dir: &std::path::Path,
    reuse: bool,
    cfg: &settle::bench::dashboards::Config,
) -> Result<String> {
    let lake_dir = dir.join("lake");
    let lake_str = lake_dir.to_str().context("utf-8 path")?.to_string();
    if !(reuse && lake_dir.exists()) {
        let _ = std::fs::remove_dir_all(&lake_dir);
        std::fs::create_dir_all(&lake_dir)?;
        outln!("building the demo lake in {lake_str} (settle demo, default size) ...");
        let demo = settle::demo::DemoConfig {
            generate: settle::generate::Config {
                orders: 20_000,
                days: 90,
                seed: 42,
                overdue_days: settle::jobs::spec::overdue_days(),
            },
            partitions: settings.bus.partitions,
            max_rows: settings.ingest.max_rows,
            progress: true,
        };
        settle::demo::run(&Lake::open(&lake_str)?, &demo).await?;
    }
    let rows = settle::bench::dashboards::run(&lake_str, cfg)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(settle::bench::dashboards::render(&rows))
}
