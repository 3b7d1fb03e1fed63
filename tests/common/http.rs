//! A tiny HTTP/1.1 client for tests (one request per connection), and the
//! local servers tests start themselves: a private Tansu broker they can
//! stop and restart, and localstripe.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A response: status, headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers as (lower-case name, value).
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("reply is not JSON ({e}): {}", self.body))
    }
}

/// `settle serve --lake LAKE FLAG 127.0.0.1:PORT` (a free port) without a
/// bus or schedules (no scheduled job may change the lake under a test),
/// with `env` on top; its log in LAKE/serve-NAME-PORT.log.
pub fn settle_serve(
    lake: &std::path::Path,
    flag: &str,
    name: &str,
    env: &[(&str, &str)],
) -> Server {
    let port = free_port();
    let log = std::fs::File::create(lake.join(format!("serve-{name}-{port}.log"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_settle"));
    cmd.args(["serve", "--lake", lake.to_str().unwrap()])
        .args([flag, &format!("127.0.0.1:{port}")])
        .env_remove("SETTLE__BUS__BROKERS")
        .env("SETTLE__SCHEDULES__ENABLED", "false")
        .env("SETTLE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server = Server {
        child: cmd.spawn().unwrap(),
        port,
    };
    wait_listening(port, &format!("settle serve {flag}"));
    server
}

/// Sends one request to `addr` and reads the whole reply.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    // A server may refuse before reading a large body; that is its answer.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_string(),
    })
}

/// POSTs `body` with `headers`; panics if the server cannot be reached.
pub fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    request(addr, "POST", path, headers, body)
        .unwrap_or_else(|e| panic!("POST http://{addr}{path}: {e}"))
}

/// A free loopback port, never the same twice in one test process (tests
/// run in parallel: two servers handed the same port raced, and one test
/// then talked to the other's server until it stopped).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Waits until something listens on `port`.
pub fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} in 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Its port.
    pub port: u16,
}

impl Server {
    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// kill -9 and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tansu() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let installed = PathBuf::from(home).join(".cargo/bin/tansu");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tansu")
    }
}

/// A private Tansu broker with sqlite storage in `dir` on `port`, which
/// survives being killed and started again.
pub fn tansu_sqlite(dir: &std::path::Path, port: u16) -> Server {
    let log = std::fs::File::create(dir.join(format!("tansu-{port}.log"))).unwrap();
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(tansu())
        .current_dir(dir)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "sqlite://tansu.db"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("tansu runs (tests/services.sh installs it)");
    wait_listening(port, "tansu");
    Server { child, port }
}

/// localstripe (PyPI) on a free loopback port.
pub fn localstripe() -> Server {
    let port = free_port();
    let script = format!(
        "{}/tests/peers/localstripe_server.py",
        env!("CARGO_MANIFEST_DIR")
    );
    // Its log stays in the temp folder for when a test fails.
    let log = std::fs::File::create(std::env::temp_dir().join(format!("localstripe-{port}.log")))
        .unwrap();
    let child = Command::new("python3")
        .arg(script)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("python3 runs localstripe (tests/services.sh installs it)");
    wait_listening(port, "localstripe");
    Server { child, port }
}
