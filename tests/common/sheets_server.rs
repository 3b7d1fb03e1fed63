//! A test Google server: the OAuth token endpoint, which checks the
//! service account's JWT (RS256 signature with the public half of the test
//! key, issuer, scope, audience, times) before it issues a token, and the
//! Sheets API v4 calls Settle makes (spreadsheet metadata, addSheet and
//! repeatCell batch updates, values clear, update, append and get), each
//! checking the bearer token. It keeps every tab as a grid of JSON values.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

/// One tab.
#[derive(Debug, Clone, Default)]
pub struct Tab {
    /// Its id.
    pub id: i64,
    /// Rows of values.
    pub grid: Vec<Vec<Value>>,
    /// repeatCell requests received for it.
    pub formats: Vec<Value>,
}

#[derive(Default)]
struct Inner {
    public_key: Vec<u8>,
    issuer: String,
    base: String,
    tokens: Vec<String>,
    spreadsheets: BTreeMap<String, BTreeMap<String, Tab>>,
    fail: u32,
    /// (method, path) of every request.
    log: Vec<(String, String)>,
}

/// The server.
#[derive(Clone)]
pub struct SheetsServer {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
}

impl SheetsServer {
    /// Starts on a free port; tokens are issued to `issuer` signing with the
    /// key whose public half (PKCS#1 DER) is `public_key`; `spreadsheet` exists.
    pub async fn start(public_key: Vec<u8>, issuer: &str, spreadsheet: &str) -> SheetsServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let mut inner = Inner {
            public_key,
            issuer: issuer.to_string(),
            base: base.clone(),
            ..Default::default()
        };
        let mut tabs = BTreeMap::new();
        tabs.insert("Sheet1".to_string(), Tab::default());
        inner.spreadsheets.insert(spreadsheet.to_string(), tabs);
        let inner = Arc::new(Mutex::new(inner));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        SheetsServer { inner, base }
    }

    /// The tab's grid.
    pub fn tab(&self, spreadsheet: &str, tab: &str) -> Option<Tab> {
        self.inner
            .lock()
            .unwrap()
            .spreadsheets
            .get(spreadsheet)?
            .get(tab)
            .cloned()
    }

    /// Tokens issued.
    pub fn tokens(&self) -> usize {
        self.inner.lock().unwrap().tokens.len()
    }

    /// The next `n` API requests get 503.
    pub fn fail_next(&self, n: u32) {
        self.inner.lock().unwrap().fail = n;
    }

    /// (method, path) of every request.
    pub fn log(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().log.clone()
    }
}

fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn google_error(status: u16, message: &str) -> Response {
    reply(
        status,
        json!({"error": {"code": status, "message": message}}),
    )
}

/// Checks a JWT bearer assertion; the reason it is refused.
fn check_jwt(st: &Inner, jwt: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return Err("not a JWT".into());
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&b64.decode(h).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let claims: Value = serde_json::from_slice(&b64.decode(c).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let sig = b64.decode(s).map_err(|e| e.to_string())?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &st.public_key,
    )
    .verify(format!("{h}.{c}").as_bytes(), &sig)
    .map_err(|_| "bad signature".to_string())?;
    let now = chrono::Utc::now().timestamp();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if claims["iss"] != st.issuer.as_str() {
        return Err(format!("issuer {}", claims["iss"]));
    }
    if claims["aud"] != format!("{}token", st.base).as_str() {
        return Err(format!("audience {}", claims["aud"]));
    }
    if !claims["scope"]
        .as_str()
        .unwrap_or("")
        .contains("auth/spreadsheets")
    {
        return Err("scope".into());
    }
    if iat > now + 60 || exp <= now || exp - iat > 3600 {
        return Err("times".into());
    }
    Ok(())
}

/// `%20` and friends back to bytes.
fn percent_decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `'tab'!A5` → (tab, row index 4); `'tab'` → (tab, 0).
fn range(text: &str) -> (String, usize) {
    let text = percent_decode(text);
    let (tab, cell) = text.split_once('!').unwrap_or((&text, "A1"));
    let tab = tab.trim_matches('\'').replace("''", "'");
    let row: usize = cell
        .split(':')
        .next()
        .unwrap_or("A1")
        .trim_start_matches(char::is_alphabetic)
        .parse()
        .unwrap_or(1);
    (tab, row.saturating_sub(1))
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut guard = inner.lock().unwrap();
    let st = &mut *guard;
    let path = uri.path().to_string();
    st.log.push((method.to_string(), path.clone()));
    if path == "/token" {
        let form: BTreeMap<String, String> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return reply(400, json!({"error": "unsupported_grant_type"}));
        }
        if let Err(why) = check_jwt(st, form.get("assertion").map_or("", String::as_str)) {
            return reply(
                400,
                json!({"error": "invalid_grant", "error_description": why}),
            );
        }
        let token = format!("ya29.test-{}", st.tokens.len() + 1);
        st.tokens.push(token.clone());
        return reply(
            200,
            json!({"access_token": token, "token_type": "Bearer", "expires_in": 3599}),
        );
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !bearer.is_some_and(|t| st.tokens.iter().any(|x| x == t)) {
        return google_error(401, "Request had invalid authentication credentials.");
    }
    if st.fail > 0 {
        st.fail -= 1;
        return google_error(503, "The service is currently unavailable.");
    }
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let rest = path.trim_start_matches("/v4/spreadsheets/");
    let segments: Vec<&str> = rest.split('/').collect();
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (id, tail) = (segments[0], &segments[1..]);
    let id = id.trim_end_matches(":batchUpdate");
    let Some(book) = st.spreadsheets.get_mut(id) else {
        return google_error(404, "Requested entity was not found.");
    };
    match (method.as_str(), tail) {
        ("GET", []) => {
            let sheets: Vec<Value> = book
                .iter()
                .map(|(title, t)| json!({"properties": {"sheetId": t.id, "title": title}}))
                .collect();
            reply(200, json!({"spreadsheetId": id, "sheets": sheets}))
        }
        ("POST", []) if segments[0].ends_with(":batchUpdate") => {
            let mut replies = Vec::new();
            for r in json_body["requests"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                if let Some(title) = r["addSheet"]["properties"]["title"].as_str() {
                    if book.contains_key(title) {
                        return google_error(
                            400,
                            &format!("A sheet with the name \"{title}\" already exists."),
                        );
                    }
                    let tab_id = 1000 + book.len() as i64;
                    book.insert(
                        title.to_string(),
                        Tab {
                            id: tab_id,
                            ..Default::default()
                        },
                    );
                    replies.push(
                        json!({"addSheet": {"properties": {"sheetId": tab_id, "title": title}}}),
                    );
                } else if r.get("repeatCell").is_some() {
                    let sheet_id = r["repeatCell"]["range"]["sheetId"].as_i64();
                    let Some(tab) = book.values_mut().find(|t| Some(t.id) == sheet_id) else {
                        return google_error(400, "No grid with id");
                    };
                    tab.formats.push(r["repeatCell"].clone());
                    replies.push(json!({}));
                } else {
                    return google_error(400, "unsupported request");
                }
            }
            reply(200, json!({"spreadsheetId": id, "replies": replies}))
        }
        (_, ["values", target]) => {
            let (op, target) = match target.rsplit_once(':') {
                Some((t, op)) if op == "clear" || op == "append" => (op, t),
                _ => ("", *target),
            };
            let (tab_name, row) = range(target);
            let Some(tab) = book.get_mut(&tab_name) else {
                return google_error(400, &format!("Unable to parse range: {target}"));
            };
            let raw = query.get("valueInputOption").map(String::as_str) == Some("RAW");
            match (method.as_str(), op) {
                ("POST", "clear") => {
                    tab.grid.clear();
                    reply(200, json!({"clearedRange": target}))
                }
                ("GET", "") => reply(
                    200,
                    json!({"range": target, "majorDimension": "ROWS", "values": tab.grid.iter().skip(row).take(1).cloned().collect::<Vec<_>>()}),
                ),
                ("PUT", "") | ("POST", "append") if !raw => {
                    google_error(400, "valueInputOption is required (RAW expected)")
                }
                ("PUT", "") => {
                    let values = json_body["values"].as_array().cloned().unwrap_or_default();
                    for (i, v) in values.iter().enumerate() {
                        if tab.grid.len() <= row + i {
                            tab.grid.resize(row + i + 1, Vec::new());
                        }
                        tab.grid[row + i] = v.as_array().cloned().unwrap_or_default();
                    }
                    reply(
                        200,
                        json!({"updatedRange": target, "updatedRows": values.len()}),
                    )
                }
                ("POST", "append") => {
                    let values = json_body["values"].as_array().cloned().unwrap_or_default();
                    for v in &values {
                        tab.grid.push(v.as_array().cloned().unwrap_or_default());
                    }
                    reply(200, json!({"updates": {"updatedRows": values.len()}}))
                }
                _ => google_error(404, "unsupported values call"),
            }
        }
        _ => google_error(404, &format!("unsupported: {method} {path}")),
    }
}
