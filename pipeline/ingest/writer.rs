//! One writer task per partition: decodes each closed batch, sends its
//! rejects to the DLQ, and commits it to the lake, in order. A batch that
//! lost its chain position (fenced) drops every later batch of the same run,
//! since they would continue a chain that is not the lake's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::http::Health;
use super::metrics::Metrics;
use crate::bus::Message;
use crate::bus::Record;
use crate::bus::kafka::{DeadLetter, KafkaBus};
use crate::lake::Lake;
use crate::lake::batch::Rows;
use crate::lake::commit::Commit;
use crate::lake::writer::{self, Encoded, Outcome};

/// A closed batch of one partition.
#[derive(Debug)]
pub struct Job {
    /// Assignment it was read under.
    pub generation: u64,
    /// Run of contiguous batches it belongs to (new after every resync).
    pub lineage: u64,
    /// Chain position it starts at.
    pub from: i64,
    /// The events, in offset order.
    pub msgs: Vec<Message>,
    /// When it closed.
    pub closed: Instant,
    /// Body bytes of its events (released when the writer is done with it).
    pub bytes: usize,
}

/// What a writer tells the consume loop.
#[derive(Debug)]
pub enum Report {
    /// A batch is in the lake.
    Committed {
        /// Assignment it was read under.
        generation: u64,
        /// Its record.
        commit: Commit,
    },
    /// A batch lost its chain position; the partition must resync.
    Fenced {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Assignment it was read under.
        generation: u64,
        /// Its run.
        lineage: u64,
    },
    /// The writer is done with a batch (whatever became of it): its bytes
    /// no longer count against `max_buffered_bytes`.
    Released {
        /// Body bytes of the batch.
        bytes: usize,
    },
}

/// What every writer shares.
#[derive(Clone)]
pub struct Shared {
    /// The lake.
    pub lake: Lake,
    /// For the DLQ.
    pub bus: Arc<KafkaBus>,
    /// Names this process's staged files.
    pub writer_id: String,
    /// Bodies above this are rejected.
    pub max_event_bytes: usize,
    /// Metrics and probes.
    pub health: Arc<Health>,
    /// Stops retries on shutdown.
    pub shutdown: CancellationToken,
    /// Where batches are decoded and encoded: one thread per core. More at
    /// once would only hold more batches in memory at their expanded size.
    pub encoders: Arc<super::encoders::Encoders>,
}

/// Runs one partition's writer until its queue closes.
pub async fn run(
    shared: Shared,
    mut jobs: mpsc::Receiver<Job>,
    reports: mpsc::UnboundedSender<Report>,
) {
    let mut fenced: Option<u64> = None;
    while let Some(job) = jobs.recv().await {
        let bytes = job.bytes;
        let go_on = handle(&shared, job, &mut fenced, &reports).await;
        let _ = reports.send(Report::Released { bytes });
        if !go_on {
            // Shutting down mid-retry: a later batch must not commit past the
            // missing one. The lake resumes from its own position.
            return;
        }
    }
}

/// Decodes and commits one batch, unless its run was fenced. Returns false
/// when the batch was abandoned because the daemon is shutting down.
async fn handle(
    shared: &Shared,
    job: Job,
    fenced: &mut Option<u64>,
    reports: &mpsc::UnboundedSender<Report>,
) -> bool {
    if *fenced == Some(job.lineage) {
        return true;
    }
    let (generation, lineage, closed) = (job.generation, job.lineage, job.closed);
    let Some(topic) = job.msgs.first().map(|m| (m.topic.clone(), m.partition)) else {
        return true;
    };
    let Some(outcome) = commit_with_retries(shared, job).await else {
        return false;
    };
    match outcome {
        Outcome::Committed(commit) => {
            record(&shared.health.metrics, &commit, closed);
            if let Err(e) = writer::cleanup(&shared.lake, &topic.0, topic.1).await {
                tracing::warn!(topic = %topic.0, partition = topic.1, error = %e, "cleaning staged files");
            }
            let _ = reports.send(Report::Committed { generation, commit });
        }
        Outcome::Fenced => {
            shared.health.metrics.fenced.inc();
            tracing::warn!(topic = %topic.0, partition = topic.1, "batch fenced by another writer; resyncing");
            *fenced = Some(lineage);
            let _ = reports.send(Report::Fenced {
                topic: topic.0,
                partition: topic.1,
                generation,
                lineage,
            });
        }
    }
    true
}

fn record(m: &Metrics, c: &Commit, closed: Instant) {
    let t = Metrics::topic(&c.topic);
    m.written.get_or_create(&t).inc_by(c.accepted);
    m.rejected.get_or_create(&t).inc_by(c.rejected);
    m.files.inc_by(c.files.len() as u64);
    m.bytes.inc_by(c.bytes);
    m.batch_seconds.observe(closed.elapsed().as_secs_f64());
    m.committed
        .get_or_create(&Metrics::partition(&c.topic, c.partition))
        .set(c.last);
    tracing::info!(
        topic = %c.topic, partition = c.partition, first = c.first, last = c.last,
        accepted = c.accepted, rejected = c.rejected, files = c.files.len(), bytes = c.bytes,
        "committed"
    );
}

/// Decodes, dead-letters and commits a batch, retrying failures (storage or
/// brokers down) with backoff until they pass or shutdown begins: skipping a
/// batch would leave a hole in the lake.
async fn commit_with_retries(shared: &Shared, job: Job) -> Option<Outcome> {
    let max = shared.max_event_bytes;
    let Job { from, msgs, .. } = job;
    let Some((encoded, letters)) = shared.encoders.run(move || encode(msgs, from, max)).await
    else {
        tracing::error!("an encoder thread failed; stopping");
        shared.shutdown.cancel();
        return None;
    };
    let encoded = match encoded {
        Ok(e) => e,
        Err(e) => {
            // Encoding our own rows cannot fail short of a bug; stop loudly.
            tracing::error!(error = %e, "encoding a batch failed");
            shared.shutdown.cancel();
            return None;
        }
    };
    let mut delay = Duration::from_millis(200);
    let mut dead_lettered = letters.is_empty();
    loop {
        let attempt = async {
            if !dead_lettered {
                shared
                    .bus
                    .dead_letters(&letters)
                    .await
                    .map_err(|e| e.to_string())?;
                dead_lettered = true;
            }
            writer::write_batch(&shared.lake, encoded.clone(), &shared.writer_id)
                .await
                .map_err(|e| e.to_string())
        };
        match attempt.await {
            Ok(o) => return Some(o),
            Err(e) => {
                tracing::warn!(topic = %encoded.topic, partition = encoded.partition, from, error = %e, retry_in_ms = delay.as_millis() as u64, "writing a batch failed");
                tokio::select! {
                    _ = shared.shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Decodes `msgs` into rows and files, and collects the rejects for the DLQ.
fn encode(
    msgs: Vec<Message>,
    from: i64,
    max_bytes: usize,
) -> (crate::lake::Result<Encoded>, Vec<DeadLetter>) {
    let (Some(head), Some(tail)) = (msgs.first(), msgs.last()) else {
        let empty = datafusion::arrow::error::ArrowError::InvalidArgumentError(
            "a writer was handed an empty batch".into(),
        );
        return (Err(empty.into()), Vec::new());
    };
    let (topic, partition) = (head.topic.clone(), head.partition);
    let (first, last) = (head.offset, tail.offset);
    let mut rows = Rows::default();
    rows.raw.reserve(msgs.len());
    rows.payments.reserve(msgs.len());
    let mut letters = Vec::new();
    for m in msgs {
        if let Some(m) = rows.add_message(m, max_bytes) {
            let reason = rows.rejected.last().map(|r| r.reason.clone());
            letters.push(DeadLetter {
                source: format!("{}/{}@{}", m.topic, m.partition, m.offset),
                reason: reason.unwrap_or_default(),
                record: Record {
                    key: m.key,
                    meta: m.meta,
                    payload: m.payload,
                },
            });
        }
    }
    (
        Encoded::new(&topic, partition, from, (first, last), rows),
        letters,
    )
}
