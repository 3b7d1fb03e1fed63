//! The client side of `settle bench webhooks`: signed request bodies, a
//! closed-loop HTTP load with a fixed number of requests in flight, a bare
//! producer with as many acknowledgements awaited at once, and the CPU each
//! run used inside and outside this process.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::Side;
use crate::sources::secret::Secret;
use crate::sources::stripe::signature::Verifier;

/// The endpoint secret the bench signs with.
pub const SECRET: &str = "whsec_bench";

/// Signed Stripe events (`customer.created`) with distinct ids, padded to `bytes`.
pub fn requests(n: usize, bytes: usize, salt: u128) -> Arc<Vec<(Bytes, String)>> {
    let now = chrono::Utc::now().timestamp();
    let secret = Secret::new(SECRET);
    let reqs = (0..n)
        .map(|i| {
            let customer = crate::generate::stripe_json::customer(
                &format!("cus_b{salt}x{i}"),
                &format!("buyer{i}@example.com"),
                "Bench Buyer",
                "+212600000000",
                "MA",
                now,
                "bench",
            );
            let mut ev = crate::generate::stripe_json::event(
                &format!("evt_b{salt}x{i:09}"),
                "customer.created",
                now,
                customer,
            );
            let base = ev.to_string().len();
            ev["data"]["object"]["description"] =
                serde_json::Value::String("x".repeat(bytes.saturating_sub(base + 20)));
            let body = Bytes::from(ev.to_string());
            let sig = Verifier::sign(&secret, &body, now);
            (body, sig)
        })
        .collect();
    Arc::new(reqs)
}

/// CPU time used so far: by this process, and by the whole machine (busy,
/// not idle), in seconds. Linux only (`/proc`); `None` elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    process: f64,
    machine: f64,
    idle: f64,
}

impl Cpu {
    /// Reads the counters now.
    pub fn now() -> Option<Cpu> {
        let hz = 100.0; // USER_HZ, the unit of /proc's tick counts on Linux
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name (which may hold spaces) in parentheses.
        let rest = own.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
        // utime and stime are fields 14 and 15, i.e. 11 and 12 after the name.
        let process = (ticks(11)? + ticks(12)?) / hz;
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<f64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let total: f64 = cpu.iter().take(8).sum();
        let idle = cpu.get(3)? + cpu.get(4).unwrap_or(&0.0);
        Some(Cpu {
            process,
            machine: (total - idle) / hz,
            idle: idle / hz,
        })
    }

    /// Puts the CPU used since `self` on `side`, per request.
    fn charge(self, side: &mut Side) {
        let Some(end) = Cpu::now() else { return };
        let per_request = |seconds: f64| seconds.max(0.0) * 1e6 / side.ok.max(1) as f64;
        let own = end.process - self.process;
        side.cpu_us = Some((
            per_request(own),
            per_request(end.machine - self.machine - own),
            per_request(end.idle - self.idle),
        ));
    }
}

/// Sends every request of `reqs` to `addr`'s Stripe route with
/// `concurrency` in flight; any answer but 200 fails the run.
pub async fn http(
    name: &'static str,
    addr: &str,
    reqs: Arc<Vec<(Bytes, String)>>,
    concurrency: usize,
) -> Result<Side, String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let next = Arc::new(AtomicUsize::new(0));
    let uri: hyper::Uri = format!("http://{addr}/webhooks/stripe")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let cpu = Cpu::now();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, reqs, uri) = (client.clone(), next.clone(), reqs.clone(), uri.clone());
        tasks.spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, sig)) = reqs.get(i) else {
                    break;
                };
                let req = hyper::Request::post(uri.clone())
                    .header("content-type", "application/json")
                    .header("stripe-signature", sig.as_str())
                    .body(Full::new(body.clone()))
                    .map_err(|e| e.to_string())?;
                let t = Instant::now();
                let resp = client.request(req).await.map_err(|e| format!("{e}"))?;
                let status = resp.status();
                resp.into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("{e}"))?;
                if status != 200 {
                    return Err(format!("{name}: answer {status}"));
                }
                lat.push(t.elapsed());
            }
            Ok::<_, String>(lat)
        });
    }
    finish(name, tasks, started, cpu).await
}

/// The broker's ceiling for this workload: `producer` sending the same
/// bodies with `concurrency` acknowledgements awaited at once, no HTTP.
pub async fn bare(
    producer: FutureProducer,
    topic: &str,
    reqs: Arc<Vec<(Bytes, String)>>,
    concurrency: usize,
) -> Result<Side, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = Cpu::now();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (producer, next, reqs, topic) = (
            producer.clone(),
            next.clone(),
            reqs.clone(),
            topic.to_string(),
        );
        tasks.spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, _)) = reqs.get(i) else { break };
                let key = i.to_string();
                let t = Instant::now();
                producer
                    .send(
                        FutureRecord::to(&topic).key(&key).payload(body.as_ref()),
                        Duration::from_secs(4),
                    )
                    .await
                    .map_err(|(e, _)| e.to_string())?;
                lat.push(t.elapsed());
            }
            Ok::<_, String>(lat)
        });
    }
    finish("bare rdkafka", tasks, started, cpu).await
}

async fn finish(
    name: &'static str,
    mut tasks: tokio::task::JoinSet<Result<Vec<Duration>, String>>,
    started: Instant,
    cpu: Option<Cpu>,
) -> Result<Side, String> {
    let mut all: Vec<Duration> = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.map_err(|e| e.to_string())??);
    }
    let mut side = summarize(name, all, started.elapsed().as_secs_f64());
    if let Some(cpu) = cpu {
        cpu.charge(&mut side);
    }
    Ok(side)
}

fn summarize(name: &'static str, mut all: Vec<Duration>, seconds: f64) -> Side {
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Side {
        name,
        ok: all.len(),
        seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        cpu_us: None,
    }
}
