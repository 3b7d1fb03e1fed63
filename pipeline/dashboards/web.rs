//! The dashboards in `settle serve`: `/dashboards` lists them,
//! `/dashboards/NAME?from=&to=&store=&carrier=&currency=` draws one over
//! the freshest lake, `/dashboards/NAME/csv/N?…` downloads panel N's rows.
//! With users configured (`[sql.users]`, the Postgres endpoint's), every
//! route asks for one of them (HTTP Basic; put TLS in front off loopback).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use datafusion::prelude::SessionContext;

use super::controls::{Asked, choices};
use super::page::{CSP, Live, RenderedPanel, render_page};
use super::svg::esc;
use super::{Dashboard, DashboardSettings, Filters, all, data, get as dashboard};
use crate::lake::Lake;
use crate::sources::secret::Secret;

/// What the routes share.
pub struct Web {
    lake: Lake,
    settings: DashboardSettings,
    query_timeout: Option<std::time::Duration>,
    users: BTreeMap<String, Secret>,
}

impl Web {
    /// Dashboards over `lake`, each query stopped after `query_timeout`.
    pub fn new(
        lake: Lake,
        settings: DashboardSettings,
        query_timeout: Option<std::time::Duration>,
    ) -> Self {
        Web {
            lake,
            settings,
            query_timeout,
            users: BTreeMap::new(),
        }
    }

    /// Only these users (name = password) may see the dashboards.
    pub fn with_users(mut self, users: BTreeMap<String, Secret>) -> Self {
        self.users = users;
        self
    }

    /// Whether the request names a configured user and its password (always
    /// when none is configured).
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        if self.users.is_empty() {
            return Ok(());
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok());
        let ok = given
            .as_deref()
            .and_then(|g| g.split_once(':'))
            .is_some_and(|(user, pw)| {
                self.users
                    .get(user)
                    .is_some_and(|secret| secret.matches_token(pw))
            });
        if ok {
            Ok(())
        } else {
            Err(Refusal::Unauthorized)
        }
    }

    /// A session over the lake as it is now, and the filters a request asks for.
    async fn open(
        &self,
        name: &str,
        query: Option<String>,
    ) -> Result<(Dashboard, SessionContext, Filters), Refusal> {
        let d = dashboard(name).map_err(Refusal::NotFound)?;
        let asked = Asked::parse(query.as_deref().unwrap_or("")).map_err(Refusal::BadFilter)?;
        let ctx = crate::sql::open(&self.lake, None, self.query_timeout)
            .await
            .map_err(|e| Refusal::Lake(e.to_string()))?;
        let filters = asked
            .resolve(&ctx, self.settings.default_days)
            .await
            .map_err(Refusal::BadFilter)?;
        Ok((d, ctx, filters))
    }

    /// Dashboard `name` over the lake as it is now, as its page serves it.
    async fn live_page(
        &self,
        name: &str,
        query: Option<String>,
    ) -> Result<(String, Vec<RenderedPanel>), Refusal> {
        let (d, ctx, filters) = self.open(name, query).await?;
        let live = Live {
            choices: choices(&ctx).await,
            refresh_secs: self.settings.refresh_secs,
        };
        Ok(render_page(&ctx, &d, &filters, Some(&live)).await)
    }

    /// The page of dashboard `name` for the query string `query`, and its
    /// panels (for `settle bench dashboards`).
    pub async fn page(
        &self,
        name: &str,
        query: &str,
    ) -> Result<(String, Vec<RenderedPanel>), String> {
        self.live_page(name, Some(query.to_string()))
            .await
            .map_err(|r| match r {
                Refusal::Unauthorized => "sign in".into(),
                Refusal::NotFound(w) | Refusal::BadFilter(w) | Refusal::Lake(w) => w,
            })
    }
}

/// Why a request got no dashboard.
#[derive(Debug)]
enum Refusal {
    Unauthorized,
    NotFound(String),
    BadFilter(String),
    Lake(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, what) = match self {
            Refusal::Unauthorized => {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(
                        header::WWW_AUTHENTICATE,
                        "Basic realm=\"Settle dashboards\", charset=\"UTF-8\"",
                    )],
                    "sign in with a user from [sql.users]\n",
                )
                    .into_response();
            }
            Refusal::NotFound(w) => (StatusCode::NOT_FOUND, w),
            Refusal::BadFilter(w) => (StatusCode::BAD_REQUEST, w),
            Refusal::Lake(w) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the lake could not be read ({w}); check [lake] url and try again"),
            ),
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Settle</title>\
             <link rel=\"icon\" href=\"data:,\"></head><body><h1>{}</h1><p>{}</p>\
             <p><a href=\"/dashboards\">All dashboards</a></p></body></html>",
            status.as_u16(),
            esc(&what)
        );
        (status, html_headers(), body).into_response()
    }
}

fn html_headers() -> [(header::HeaderName, &'static str); 3] {
    [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
    ]
}

async fn index(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.authorize(&headers) {
        return r.into_response();
    }
    let mut body = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dashboards · Settle</title>\
         <link rel=\"icon\" href=\"data:,\"><style>body{font:14px/1.5 system-ui,sans-serif;margin:24px}</style>\
         </head><body><h1>Dashboards</h1><ul>",
    );
    match all() {
        Ok(ds) => {
            for d in ds {
                let _ = write!(
                    body,
                    "<li><a href=\"/dashboards/{}\">{}</a>: {}</li>",
                    esc(&d.name),
                    esc(&d.title),
                    esc(&d.description)
                );
            }
        }
        Err(e) => return Refusal::NotFound(e).into_response(),
    }
    body.push_str("</ul></body></html>");
    (html_headers(), body).into_response()
}

async fn page(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    web.authorize(&headers)?;
    let (html, panels) = web.live_page(&name, query).await?;
    for p in panels.iter().filter(|p| p.error.is_some()) {
        tracing::warn!(dashboard = %name, panel = %p.title, error = ?p.error, "a panel's query failed");
    }
    Ok((html_headers(), html).into_response())
}

async fn csv(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Path((name, panel)): Path<(String, usize)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    web.authorize(&headers)?;
    let (d, ctx, filters) = web.open(&name, query).await?;
    let Some(p) = panel.checked_sub(1).and_then(|i| d.panels.get(i)) else {
        return Err(Refusal::NotFound(format!(
            "dashboard {name:?} has panels 1 to {}",
            d.panels.len()
        )));
    };
    let data = data::load(&ctx, p, &filters).await.map_err(Refusal::Lake)?;
    let bytes =
        crate::exports::csv::encode(&data.columns, &data.for_file(p)).map_err(Refusal::Lake)?;
    let file = format!(
        "{name}-{}-{}-{}.csv",
        slug(&p.title),
        filters.from,
        filters.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// "Outstanding COD by carrier" → "outstanding-cod-by-carrier".
fn slug(title: &str) -> String {
    title
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The dashboards' routes.
pub fn router(web: Arc<Web>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboards") }))
        .route("/dashboards", get(index))
        .route("/dashboards/{name}", get(page))
        .route("/dashboards/{name}/csv/{panel}", get(csv))
        .with_state(web)
}
