//! `settle ingest` as a child process on the test broker: start, probe over
//! HTTP, stop with SIGTERM or kill -9, and wait for the lake to catch up.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use settle::bus::Topics;
use settle::bus::kafka::{KafkaBus, KafkaConfig};
use settle::lake::{Lake, commit};

/// The test broker (tests/services.sh starts Tansu there).
pub fn brokers() -> String {
    std::env::var("SETTLE_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:19092".into())
}

/// Topic names no other test uses.
pub fn unique_topics(name: &str) -> Topics {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Topics {
        prefix: format!("t{}-{nanos}-{name}.", std::process::id()),
    }
}

/// A producer on the test broker with every topic created (3 partitions each).
pub async fn kafka(topics: &Topics) -> KafkaBus {
    kafka_on(&brokers(), topics).await
}

/// A producer on `brokers` with every topic created (3 partitions each).
pub async fn kafka_on(brokers: &str, topics: &Topics) -> KafkaBus {
    let config = KafkaConfig {
        brokers: brokers.to_string(),
        client_id: "settle-test".into(),
        partitions: 3,
        options: Default::default(),
        ack_timeout: Duration::from_secs(30),
        idempotent: true,
    };
    let bus = KafkaBus::new(config, topics.clone()).unwrap();
    bus.create_topics(&topics.all()).await.unwrap_or_else(|e| {
        panic!("{e}: start the broker with `tests/services.sh start` (Tansu on {brokers})")
    });
    bus
}

/// How to run one `settle ingest`.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// Topic names.
    pub topics: Topics,
    /// Lake folder.
    pub lake: String,
    /// Consumer group.
    pub group: String,
    /// `[ingest]` overrides as (key, value).
    pub ingest: Vec<(&'static str, String)>,
    /// Config file (librdkafka session timeout for quick failover).
    pub config: String,
}

impl Setup {
    /// A setup writing `lake` from `topics` in a fresh group.
    pub fn new(topics: &Topics, lake: &std::path::Path) -> Self {
        let config = lake.with_extension("toml");
        std::fs::write(
            &config,
            // Quick failover: a killed member is out of the group within
            // seconds, and a rebalance waits at most 10 s for stragglers.
            "[bus.librdkafka]\n\"session.timeout.ms\" = \"6000\"\n\
             \"heartbeat.interval.ms\" = \"500\"\n\"max.poll.interval.ms\" = \"10000\"\n",
        )
        .unwrap();
        Setup {
            brokers: brokers(),
            topics: topics.clone(),
            lake: lake.to_str().unwrap().to_string(),
            // Tests may share topics; each setup has its own group and lake.
            group: format!(
                "{}group-{}",
                topics.prefix,
                lake.to_string_lossy().replace('/', "_")
            ),
            ingest: vec![("MAX_AGE_MS", "300".into())],
            config: config.to_str().unwrap().to_string(),
        }
    }

    /// `settle status` for this setup's topics and lake.
    pub fn status(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_settle"))
            .args(["--config", &self.config, "status"])
            .env("SETTLE__BUS__BROKERS", &self.brokers)
            .env("SETTLE__BUS__TOPIC_PREFIX", &self.topics.prefix)
            .env("SETTLE__LAKE__URL", &self.lake)
            .env("SETTLE__INGEST__GROUP_ID", &self.group)
            .output()
            .unwrap();
        super::stdout_of(out)
    }

    /// Sets an `[ingest]` key.
    pub fn with(mut self, key: &'static str, value: impl ToString) -> Self {
        self.ingest.retain(|(k, _)| *k != key);
        self.ingest.push((key, value.to_string()));
        self
    }
}

/// A running `settle ingest`.
pub struct Ingest {
    /// The process.
    pub child: Child,
    /// Its /metrics port.
    pub port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Ingest {
    /// Starts `settle ingest` and waits until /readyz answers 200.
    pub fn start(s: &Setup) -> Ingest {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_settle"));
        cmd.args(["--config", &s.config, "ingest", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .env("SETTLE__BUS__BROKERS", &s.brokers)
            .env("SETTLE__BUS__TOPIC_PREFIX", &s.topics.prefix)
            .env("SETTLE__BUS__PARTITIONS", "3")
            .env("SETTLE__LAKE__URL", &s.lake)
            .env("SETTLE__INGEST__GROUP_ID", &s.group)
            .env(
                "SETTLE_LOG",
                std::env::var("SETTLE_TEST_INGEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in &s.ingest {
            cmd.env(format!("SETTLE__INGEST__{k}"), v);
        }
        let child = cmd.spawn().expect("settle binary runs");
        let mut ingest = Ingest { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ingest.get("/readyz").map(|(s, _)| s) != Some(200) {
            assert!(
                ingest.child.try_wait().unwrap().is_none(),
                "settle ingest exited before it was ready"
            );
            assert!(Instant::now() < deadline, "settle ingest not ready in 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        ingest
    }

    /// GET `path` on the probe port: (status, body), None if not listening.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split(' ').nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((status, body))
    }

    /// A metric's value summed over label sets whose labels contain `labels`.
    pub fn metric(&self, name: &str, labels: &str) -> f64 {
        let (_, body) = self.get("/metrics").expect("metrics answer");
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .filter(|l| l.contains(labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until this process owns at least one partition.
    pub async fn wait_assigned(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.metric("settle_ingest_assigned_partitions", "") < 1.0 {
            assert!(
                Instant::now() < deadline,
                "no partition assigned in {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "settle ingest did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// kill -9.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Events (accepted + rejected) the lake's commit records hold.
pub async fn committed_events(lake: &Lake) -> u64 {
    commit::all(lake)
        .await
        .unwrap()
        .iter()
        .map(|c| c.accepted + c.rejected)
        .sum()
}

/// Waits until the lake holds `want` events (commit records), or panics.
pub async fn wait_for_lake(lake: &Lake, want: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let have = committed_events(lake).await;
        if have == want {
            return;
        }
        assert!(
            have < want,
            "the lake holds {have} events, more than the {want} produced"
        );
        assert!(
            Instant::now() < deadline,
            "the lake holds {have} of {want} events after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
