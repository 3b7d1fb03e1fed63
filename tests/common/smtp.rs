//! A local SMTP server (PyPI aiosmtpd, `tests/peers/smtp_sink.py`) that
//! writes every message it accepts as a JSON line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::http::{Server, free_port, wait_listening};

/// Starts the sink with `extra` arguments (`--fail N`, `--reject`, TLS and
/// AUTH options); the messages go to the returned file.
pub fn sink(dir: &Path, extra: &[&str]) -> (Server, PathBuf) {
    let port = free_port();
    let out = dir.join(format!("mail-{port}.jsonl"));
    let child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/smtp_sink.py"
        ))
        .args(["--port", &port.to_string(), "--out", out.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("smtp-{port}.log"))).unwrap())
        .spawn()
        .expect("python3 with aiosmtpd (tests/services.sh installs it)");
    wait_listening(port, "aiosmtpd");
    (Server { child, port }, out)
}

/// The messages the sink accepted.
pub fn mails(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
