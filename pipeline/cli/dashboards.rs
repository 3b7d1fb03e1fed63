//! `settle dashboards render|list`.

use anyhow::{Context, Result, bail};
use settle::config::Settings;
use settle::dashboards::{self, controls::Asked};
use settle::lake::Lake;

use super::args::DashboardsCommand;

/// Runs one `settle dashboards` command; returns what to print.
pub(crate) async fn command(
    command: DashboardsCommand,
    settings: &Settings,
    open: impl Fn() -> Result<Lake>,
) -> Result<String> {
    match command {
        DashboardsCommand::List => {
            let mut out = String::new();
            for d in dashboards::all().map_err(anyhow::Error::msg)? {
                out.push_str(&format!("{:<10} {}\n", d.name, d.title));
                for p in &d.panels {
                    out.push_str(&format!(
                        "    {:<12} {}\n",
                        format!("{:?}", p.chart).to_lowercase(),
                        p.title
                    ));
                }
            }
            Ok(out)
        }
        DashboardsCommand::Render {
            name,
            out,
            from,
            to,
            store,
            carrier,
            currency,
        } => {
            let d = dashboards::get(&name).map_err(anyhow::Error::msg)?;
            let lake = open()?;
            let ctx = settle::sql::open(&lake, None, settings.sql.query_timeout()).await?;
            let filters = Asked {
                from,
                to,
                store,
                carrier,
                currency,
            }
            .resolve(&ctx, settings.dashboards.default_days)
            .await
            .map_err(anyhow::Error::msg)?;
            let (html, panels) = dashboards::page::render_page(&ctx, &d, &filters, None).await;
            std::fs::write(&out, html).with_context(|| format!("writing {}", out.display()))?;
            let mut text = format!(
                "wrote {} ({} to {})\n",
                out.display(),
                filters.from,
                filters.to
            );
            for p in &panels {
                text.push_str(&format!(
                    "  {:<44} {:>6} rows{}\n",
                    p.title,
                    p.rows,
                    p.error
                        .as_deref()
                        .map(|e| format!("  FAILED: {e}"))
                        .unwrap_or_default()
                ));
            }
            if panels.iter().any(|p| p.error.is_some()) {
                print!("{text}");
                bail!("some panels failed; have the jobs run? (settle jobs run)");
            }
            Ok(text)
        }
    }
}
