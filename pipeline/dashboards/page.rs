//! A dashboard as one self-contained HTML page: styles inline, charts as
//! SVG, no script and no fetch. Served live, it also has the filter form,
//! a CSV link per panel and reloads itself every `refresh_secs`.

use std::fmt::Write as _;

use datafusion::prelude::SessionContext;

use super::controls::{Choices, form, query_string};
use super::svg::{esc, render};
use super::{Dashboard, Filters, data, markers};

/// What a served page has that a file does not.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// The filter choices.
    pub choices: Choices,
    /// Seconds between reloads (0: never).
    pub refresh_secs: u64,
}

/// Nothing is fetched: no script, no frame, no remote image or style.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'";

/// A rendered panel.
#[derive(Debug, Clone)]
pub struct RenderedPanel {
    /// Its heading.
    pub title: String,
    /// Rows its query returned.
    pub rows: usize,
    /// Why its query failed, if it did.
    pub error: Option<String>,
    /// Its HTML.
    pub html: String,
}

/// Runs every panel of `d` and lays them out.
pub async fn render_page(
    ctx: &SessionContext,
    d: &Dashboard,
    filters: &Filters,
    live: Option<&Live>,
) -> (String, Vec<RenderedPanel>) {
    let mut panels = Vec::new();
    let qs = query_string(filters);
    for (i, p) in d.panels.iter().enumerate() {
        let loaded = match data::load(ctx, p, filters).await {
            Ok(data) => markers::load(ctx, p, filters).await.map(|m| (data, m)),
            Err(e) => Err(e),
        };
        let (rows, error, body) = match loaded {
            Ok((data, m)) => (data.rows.len(), None, render(p, &data, &m)),
            Err(e) => (
                0,
                Some(e.clone()),
                format!("<p class=\"error\">The query failed: {}</p>", esc(&e)),
            ),
        };
        panels.push(RenderedPanel {
            title: p.title.clone(),
            rows,
            error,
            html: format!(
                "<section class=\"panel\" data-query=\"{}\" data-rows=\"{rows}\"><h2>{}{}</h2>{body}</section>",
                esc(&p.query),
                esc(&p.title),
                match live {
                    Some(_) => format!(
                        "<a class=\"csv\" download href=\"/dashboards/{}/csv/{}?{}\">CSV</a>",
                        esc(&d.name),
                        i + 1,
                        esc(&qs)
                    ),
                    None => String::new(),
                }
            ),
        });
    }
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Settle</title>\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\"><link rel=\"icon\" href=\"data:,\">{}\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>\
         <header>{}<h1>{}</h1><p>{}</p><p class=\"filters\">{}</p>{}</header><main>",
        esc(&d.title),
        match live {
            Some(l) if l.refresh_secs > 0 => format!(
                "<meta http-equiv=\"refresh\" content=\"{}\">",
                l.refresh_secs
            ),
            _ => String::new(),
        },
        if live.is_some() {
            "<nav><a href=\"/dashboards\">All dashboards</a></nav>"
        } else {
            ""
        },
        esc(&d.title),
        esc(&d.description),
        esc(&describe(filters)),
        live.map(|l| form(d, filters, &l.choices, l.refresh_secs))
            .unwrap_or_default()
    );
    for p in &panels {
        html.push_str(&p.html);
    }
    let _ = write!(
        html,
        "</main><footer>Settle · {} · generated {}</footer></body></html>",
        esc(&d.name),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    (html, panels)
}

fn describe(f: &Filters) -> String {
    let mut parts = vec![format!("{} to {}", f.from, f.to)];
    for (what, v) in [
        ("store", &f.store),
        ("carrier", &f.carrier),
        ("currency", &f.currency),
    ] {
        parts.push(if v.is_empty() {
            format!("every {what}")
        } else {
            format!("{what} {v}")
        });
    }
    parts.join(" · ")
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}\
header{padding:16px 24px;background:#fff;border-bottom:1px solid #e2e8f0}h1{margin:0 0 4px;font-size:20px}\
header p{margin:2px 0;color:#475569}.filters{font-size:12px}\
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px;padding:16px 24px}\
.panel{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;overflow-x:auto}\
h2{font-size:15px;margin:0 0 8px}h3{font-size:12px;margin:8px 0 0;color:#475569}svg.chart{width:100%;height:auto}\
.grid{stroke:#e2e8f0}.axis{stroke:#94a3b8}text{font-size:11px;fill:#475569}\
.legend{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:12px;font-size:12px}\
.legend span{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}\
table{border-collapse:collapse;width:100%;font-size:12px}th,td{padding:4px 8px;white-space:nowrap;border-bottom:1px solid #e2e8f0;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
.number .big{display:block;font-size:40px;font-weight:600}.change.up{color:#16a34a}.change.down{color:#dc2626}\
.controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin-top:8px;font-size:13px}\
.controls select,.controls input,.controls button{font:inherit;padding:2px 6px}.refresh{color:#94a3b8;font-size:12px}\
a.csv{float:right;font-size:12px;font-weight:normal}nav{font-size:12px}\
.alerts{list-style:none;padding:0;margin:6px 0 0;font-size:12px}\
.alerts span{display:inline-block;width:10px;height:3px;margin-right:6px;vertical-align:middle}\
.empty,.error{color:#64748b}.error{color:#dc2626}footer{padding:8px 24px;color:#94a3b8;font-size:12px}";
