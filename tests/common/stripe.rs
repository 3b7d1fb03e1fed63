//! localstripe as tests use it: a form-encoded Stripe API client, and
//! `settle serve` as a child process receiving its webhooks.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::{self, Server};

/// The API key tests use (localstripe accepts any `sk_test_` key).
pub const KEY: &str = "sk_test_settle_local";

/// Calls localstripe's API: `method` `path` with form fields; the JSON reply.
pub fn api(ls: &Server, method: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let auth = format!("Bearer {KEY}");
    let r = http::request(
        &ls.addr(),
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    )
    .unwrap();
    assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.body);
    if r.body.trim().is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A running `settle serve`.
pub struct Serve {
    /// The process.
    pub server: Server,
}

impl Serve {
    /// Starts `settle serve` producing to `brokers` under topic `prefix`,
    /// with `env` as extra `SETTLE__…` settings, and waits for /healthz.
    pub fn start(brokers: &str, prefix: &str, env: &[(&str, &str)]) -> Serve {
        let port = http::free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_settle"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("SETTLE__BUS__BROKERS", brokers)
            .env("SETTLE__BUS__TOPIC_PREFIX", prefix)
            .env("SETTLE__BUS__PARTITIONS", "3")
            .env("SETTLE_LOG", "warn")
            // No lake here: alert rules have nothing to read.
            .env("SETTLE__ALERTS__ENABLED", "false")
            .env("SETTLE__TRIGGERS__ENABLED", "false")
            .env("SETTLE__SCHEDULES__ENABLED", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("settle binary runs");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = http::request(&server.addr(), "GET", "/healthz", &[], b"");
            if health.is_ok_and(|r| r.status == 200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "settle serve not healthy in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Serve { server }
    }
}
