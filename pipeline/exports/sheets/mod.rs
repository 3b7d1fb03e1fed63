//! Google Sheets exports through the Sheets API v4: the tab is created if
//! missing; `replace` clears it and writes a header and the rows, `append`
//! adds the rows (with a leading `snapshot_date`) below what is there.
//! Values are written RAW in chunks (`[sheets] chunk_rows`): numbers as
//! numbers, money in major units (exact: the minor units of each row's
//! currency, as a decimal), dates and times as date serials with date
//! formats on their columns. 429 and 5xx answers and lost connections are
//! retried with doubling waits. Token and API endpoints are configurable.

mod auth;

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

pub use self::auth::ServiceAccount;
use super::Cell;

/// `[sheets]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SheetsSettings {
    /// The service-account JSON key file; else `GOOGLE_APPLICATION_CREDENTIALS`.
    pub credentials: Option<String>,
    /// The token endpoint; default: the key's `token_uri`.
    pub token_url: Option<String>,
    /// The Sheets API.
    pub api_base: String,
    /// Rows per values request.
    pub chunk_rows: usize,
    /// Attempts per request on 429, 5xx and lost connections.
    pub max_attempts: u32,
}

impl Default for SheetsSettings {
    fn default() -> Self {
        SheetsSettings {
            credentials: None,
            token_url: None,
            api_base: "https://sheets.googleapis.com/".into(),
            chunk_rows: 2_000,
            max_attempts: 6,
        }
    }
}

/// How an export meets what the tab holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Clear the tab, then write the header and rows.
    #[default]
    Replace,
    /// Add the rows below, each with the snapshot's date first.
    Append,
}

/// Access tokens by (service account, token endpoint), with when they stop being used.
type TokenCache = std::collections::HashMap<(String, String), (String, std::time::Instant)>;
static TOKENS: std::sync::LazyLock<std::sync::Mutex<TokenCache>> =
    std::sync::LazyLock::new(Default::default);

/// A Sheets client for one export run.
pub struct Sheets {
    http: reqwest::Client,
    account: ServiceAccount,
    token_url: String,
    api: url::Url,
    settings: SheetsSettings,
    token: Option<String>,
}

impl Sheets {
    /// Reads the key and endpoints from `settings`.
    pub fn new(settings: &SheetsSettings) -> Result<Self, String> {
        let path = settings
            .credentials
            .clone()
            .or_else(|| std::env::var("GOOGLE_APPLICATION_CREDENTIALS").ok())
            .ok_or("no service-account key: set [sheets] credentials or GOOGLE_APPLICATION_CREDENTIALS")?;
        let account = ServiceAccount::load(&path)?;
        let token_url = settings
            .token_url
            .clone()
            .unwrap_or_else(|| account.token_uri.clone());
        let api = url::Url::parse(&settings.api_base)
            .map_err(|e| format!("[sheets] api_base {:?}: {e}", settings.api_base))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Sheets {
            http,
            account,
            token_url,
            api,
            settings: settings.clone(),
            token: None,
        })
    }

    async fn token(&mut self) -> Result<String, String> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let key = (self.account.client_email.clone(), self.token_url.clone());
        if let Some((t, until)) = TOKENS.lock().expect("token cache").get(&key)
            && std::time::Instant::now() < *until
        {
            self.token = Some(t.clone());
            return Ok(t.clone());
        }
        let assertion = self
            .account
            .assertion(&self.token_url, chrono::Utc::now().timestamp())?;
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ];
        let url = self.token_url.clone();
        let reply = self
            .retry("token exchange", || self.http.post(&url).form(&form))
            .await?;
        let token = reply["access_token"]
            .as_str()
            .ok_or("the token endpoint answered without an access_token")?
            .to_string();
        // Reused until a minute before it expires.
        let lifetime = reply["expires_in"]
            .as_u64()
            .unwrap_or(3600)
            .saturating_sub(60);
        let until = std::time::Instant::now() + Duration::from_secs(lifetime);
        TOKENS
            .lock()
            .expect("token cache")
            .insert(key, (token.clone(), until));
        self.token = Some(token.clone());
        Ok(token)
    }

    /// Sends a request built by `make`, retrying transient failures; the JSON answer.
    async fn retry(
        &self,
        what: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, String> {
        let mut wait = Duration::from_millis(500);
        for attempt in 1..=self.settings.max_attempts.max(1) {
            let last = attempt == self.settings.max_attempts.max(1);
            match make().send().await {
                Ok(r) if r.status().is_success() => {
                    let text = r.text().await.map_err(|e| e.without_url().to_string())?;
                    return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
                }
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    let transient = status.as_u16() == 429 || status.is_server_error();
                    if !transient || last {
                        let detail: String = body.chars().take(300).collect();
                        return Err(format!("{what}: Google answered {status}: {detail}"));
                    }
                    tracing::info!(%what, %status, attempt, "Sheets request failed; retrying");
                }
                Err(e) if !last => {
                    tracing::info!(%what, error = %e.without_url(), attempt, "Sheets request failed; retrying");
                }
                Err(e) => return Err(format!("{what}: {}", e.without_url())),
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        Err(format!("{what}: no attempt left"))
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> url::Url {
        let mut u = self.api.clone();
        u.path_segments_mut()
            .expect("an http(s) base URL")
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        u
    }

    /// Writes `header` and `rows` to tab `tab` of `spreadsheet`; returns the rows written.
    pub async fn write(
        &mut self,
        spreadsheet: &str,
        tab: &str,
        mode: Mode,
        date: chrono::NaiveDate,
        header: &[String],
        rows: &[Vec<Cell>],
    ) -> Result<usize, String> {
        let token = self.token().await?;
        let auth = format!("Bearer {token}");
        let meta_url = self.url(
            &["v4", "spreadsheets", spreadsheet],
            &[("fields", "sheets.properties(sheetId,title)")],
        );
        let meta = self
            .retry("reading the spreadsheet", || {
                self.http
                    .get(meta_url.clone())
                    .header("authorization", &auth)
            })
            .await?;
        let found = meta["sheets"].as_array().and_then(|sheets| {
            sheets
                .iter()
                .find(|s| s["properties"]["title"] == tab)
                .and_then(|s| s["properties"]["sheetId"].as_i64())
        });
        let batch_url = self.url(
            &["v4", "spreadsheets", &format!("{spreadsheet}:batchUpdate")],
            &[],
        );
        let (sheet_id, new) = match found {
            Some(id) => (id, false),
            None => {
                let body = json!({"requests": [{"addSheet": {"properties": {"title": tab}}}]});
                let reply = self
                    .retry("adding the tab", || {
                        self.http
                            .post(batch_url.clone())
                            .header("authorization", &auth)
                            .json_body(&body)
                    })
                    .await?;
                let id = reply["replies"][0]["addSheet"]["properties"]["sheetId"]
                    .as_i64()
                    .ok_or("adding the tab: no sheetId in the answer")?;
                (id, true)
            }
        };
        let quoted = format!("'{}'", tab.replace('\'', "''"));
        let mut values: Vec<Value> = Vec::with_capacity(rows.len() + 1);
        let snapshot = json!(serial_date(date));
        let with_date = |mut row: Vec<Value>| {
            if mode == Mode::Append {
                row.insert(0, snapshot.clone());
            }
            row
        };
        let header_written = match mode {
            Mode::Replace => {
                let clear = self.url(
                    &[
                        "v4",
                        "spreadsheets",
                        spreadsheet,
                        "values",
                        &format!("{quoted}:clear"),
                    ],
                    &[],
                );
                self.retry("clearing the tab", || {
                    self.http
                        .post(clear.clone())
                        .header("authorization", &auth)
                        .json_body(&json!({}))
                })
                .await?;
                values.push(Value::Array(header.iter().map(|h| json!(h)).collect()));
                true
            }
            Mode::Append => {
                let probe = self.url(
                    &[
                        "v4",
                        "spreadsheets",
                        spreadsheet,
                        "values",
                        &format!("{quoted}!A1:A1"),
                    ],
                    &[],
                );
                let got = self
                    .retry("reading the tab", || {
                        self.http.get(probe.clone()).header("authorization", &auth)
                    })
                    .await?;
                if new || got["values"].as_array().is_none_or(Vec::is_empty) {
                    let mut h = vec![json!("snapshot_date")];
                    h.extend(header.iter().map(|h| json!(h)));
                    values.push(Value::Array(h));
                    true
                } else {
                    false
                }
            }
        };
        values.extend(
            rows.iter()
                .map(|r| Value::Array(with_date(r.iter().map(value).collect()))),
        );
        let chunk = self.settings.chunk_rows.max(1);
        let mut next_row = 1;
        for part in values.chunks(chunk) {
            let body = json!({"majorDimension": "ROWS", "values": part});
            match mode {
                Mode::Replace => {
                    let range = format!("{quoted}!A{next_row}");
                    let u = self.url(
                        &["v4", "spreadsheets", spreadsheet, "values", &range],
                        &[("valueInputOption", "RAW")],
                    );
                    self.retry("writing values", || {
                        self.http
                            .put(u.clone())
                            .header("authorization", &auth)
                            .json_body(&body)
                    })
                    .await?;
                }
                Mode::Append => {
                    let range = format!("{quoted}!A1");
                    let u = self.url(
                        &[
                            "v4",
                            "spreadsheets",
                            spreadsheet,
                            "values",
                            &format!("{range}:append"),
                        ],
                        &[
                            ("valueInputOption", "RAW"),
                            ("insertDataOption", "INSERT_ROWS"),
                        ],
                    );
                    self.retry("appending values", || {
                        self.http
                            .post(u.clone())
                            .header("authorization", &auth)
                            .json_body(&body)
                    })
                    .await?;
                }
            }
            next_row += part.len();
        }
        // Formats go with a header: on a new or cleared tab, not on every append.
        if header_written {
            let formats = formats(sheet_id, mode, header.len(), rows);
            let body = json!({"requests": formats});
            self.retry("formatting columns", || {
                self.http
                    .post(batch_url.clone())
                    .header("authorization", &auth)
                    .json_body(&body)
            })
            .await?;
        }
        Ok(rows.len())
    }
}

/// A JSON body on a request (reqwest's `json` feature is not built).
trait JsonBody {
    fn json_body(self, v: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, v: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(v.to_string())
    }
}

/// Days since 1899-12-30, the spreadsheet epoch.
fn serial_date(d: chrono::NaiveDate) -> i64 {
    (d - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("epoch")).num_days()
}

/// A cell as a RAW value.
fn value(c: &Cell) -> Value {
    match c {
        Cell::Null => json!(""),
        Cell::Text(s) => json!(s),
        Cell::Int(i) => json!(i),
        Cell::Float(f) if f.is_finite() => json!(f),
        Cell::Float(f) => json!(f.to_string()),
        Cell::Bool(b) => json!(b),
        // The decimal text is exact; as a JSON number it is the nearest
        // double, which the spreadsheet keeps (and which prints back as it).
        Cell::Money(minor, cur) => {
            serde_json::from_str(&cur.format(*minor)).unwrap_or(json!(*minor))
        }
        Cell::Date(d) => json!(serial_date(*d)),
        Cell::Time(t) => {
            let day = serial_date(t.date()) as f64;
            let secs = f64::from(chrono::Timelike::num_seconds_from_midnight(t));
            json!(day + secs / 86_400.0)
        }
    }
}

/// Number formats for date, time and money columns (from the first row that has a value).
fn formats(sheet_id: i64, mode: Mode, columns: usize, rows: &[Vec<Cell>]) -> Vec<Value> {
    let offset = usize::from(mode == Mode::Append);
    let mut out = Vec::new();
    let column = |c: usize, kind: &str, pattern: &str| {
        json!({"repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": c, "endColumnIndex": c + 1},
            "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}},
            "fields": "userEnteredFormat.numberFormat"
        }})
    };
    if mode == Mode::Append {
        out.push(column(0, "DATE", "yyyy-mm-dd"));
    }
    for c in 0..columns {
        let mut exponents = rows.iter().filter_map(|r| match r.get(c) {
            Some(Cell::Money(_, cur)) => Some(cur.exponent()),
            _ => None,
        });
        let first = rows
            .iter()
            .find_map(|r| r.get(c).filter(|x| **x != Cell::Null));
        match first {
            Some(Cell::Date(_)) => out.push(column(c + offset, "DATE", "yyyy-mm-dd")),
            Some(Cell::Time(_)) => out.push(column(c + offset, "DATE_TIME", "yyyy-mm-dd hh:mm:ss")),
            Some(Cell::Money(..)) => {
                let e0 = exponents.next().unwrap_or(2);
                // One currency's decimals when every row agrees, else up to 3.
                let pattern = if exponents.all(|e| e == e0) {
                    if e0 == 0 {
                        "#,##0".to_string()
                    } else {
                        format!("#,##0.{}", "0".repeat(e0 as usize))
                    }
                } else {
                    "#,##0.###".to_string()
                };
                out.push(column(c + offset, "NUMBER", &pattern));
            }
            _ => {}
        }
    }
    out.push(json!({"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": true}}},
        "fields": "userEnteredFormat.textFormat.bold"
    }}));
    out
}
