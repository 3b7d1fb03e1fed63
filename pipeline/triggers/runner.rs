//! The trigger runner: a consumer group of its own over the event topics
//! the enabled triggers watch. Events are handled one at a time, in order;
//! every `flush_ms` the `actions_log` rows are written and then the
//! offsets committed, so a crash redelivers only events whose actions the
//! journal already knows (or that Stripe's idempotency keys cover).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::actions::{ActionDef, ActionSpec, Runtime, idempotency_key};
use super::event::Event;
use super::journal::{self, Entry};
use super::log::ActionLogRow;
use super::spec::Trigger;
use super::template::Scope;
use super::{Result, TriggerSettings, when};
use crate::bus::kafka::{DeadLetter, KafkaBus, KafkaConfig};
use crate::bus::{Message, Record, Topics};
use crate::lake::Lake;
use crate::lake::table::Micros;

/// Totals of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Events read.
    pub events: u64,
    /// (event, trigger) pairs that matched.
    pub matched: u64,
    /// Actions that succeeded.
    pub ok: u64,
    /// Actions that failed (and went to the dead-letter topic).
    pub failed: u64,
    /// Actions found done in the journal.
    pub already_done: u64,
    /// Actions not run because an earlier one failed.
    pub skipped: u64,
}

/// The runner.
pub struct Runner {
    /// The lake (journal and `actions_log`).
    pub lake: Lake,
    /// Enabled triggers.
    pub triggers: Vec<Trigger>,
    /// What actions use.
    pub runtime: Runtime,
    /// The bus (dead letters).
    pub bus: Arc<KafkaBus>,
    /// Topic names.
    pub topics: Topics,
    /// `[triggers]`.
    pub settings: TriggerSettings,
}

impl Runner {
    /// Consumes until `shutdown`; the event being handled is finished first.
    pub async fn run(&self, kafka: &KafkaConfig, shutdown: CancellationToken) -> Result<Summary> {
        let kinds: BTreeSet<_> = self.triggers.iter().map(|t| t.on).collect();
        let names: Vec<String> = kinds.iter().map(|k| self.topics.for_kind(*k)).collect();
        let mut summary = Summary::default();
        if names.is_empty() {
            tracing::warn!("no trigger is enabled: the runner has nothing to do");
            shutdown.cancelled().await;
            return Ok(summary);
        }
        // Producers do not create topics: the command topics must exist too.
        let mut all = names.clone();
        for t in &self.triggers {
            for a in &t.actions {
                if let ActionSpec::Emit(e) = &a.spec {
                    all.push(format!("{}{}", self.topics.prefix, e.topic));
                }
            }
        }
        all.sort();
        all.dedup();
        if let Err(e) = self.bus.create_topics(&all).await {
            tracing::warn!(error = %e, "could not check the topics; subscribing anyway");
        }
        let consumer: StreamConsumer = kafka
            .consumer_client()
            .set("group.id", &self.settings.group_id)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", &self.settings.start)
            .create()?;
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        consumer.subscribe(&refs)?;
        tracing::info!(
            topics = ?names,
            group = %self.settings.group_id,
            triggers = ?self.triggers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            "running triggers"
        );
        let mut rows = Vec::new();
        let mut offsets: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut tick = tokio::time::interval(Duration::from_millis(self.settings.flush_ms.max(10)));
        loop {
            let msg = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    self.flush(&consumer, &mut rows, &mut offsets).await?;
                    continue;
                }
                m = consumer.recv() => match m {
                    Ok(m) => self.bus.message_of(&m),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the event topics failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
            };
            summary.events += 1;
            self.handle(&msg, &mut rows, &mut summary).await?;
            offsets.insert((msg.topic.clone(), msg.partition), msg.offset + 1);
            if rows.len() >= 1_000 {
                self.flush(&consumer, &mut rows, &mut offsets).await?;
            }
        }
        self.flush(&consumer, &mut rows, &mut offsets).await?;
        Ok(summary)
    }

    /// Writes the rows, then commits the offsets they cover.
    async fn flush(
        &self,
        consumer: &StreamConsumer,
        rows: &mut Vec<ActionLogRow>,
        offsets: &mut BTreeMap<(String, i32), i64>,
    ) -> Result<()> {
        if !rows.is_empty() {
            let now = chrono::Utc::now().timestamp_micros();
            let stem = format!("{}-{now}-{}", self.settings.group_id, rand::random::<u32>());
            crate::lake::parquet_io::write_table(&self.lake, std::mem::take(rows), &stem).await?;
        }
        if offsets.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), next) in offsets.iter() {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*next))?;
        }
        match consumer.commit(&tpl, CommitMode::Sync) {
            Ok(()) => offsets.clear(),
            // The actions are journaled: a redelivery repeats nothing.
            Err(e) => {
                tracing::warn!(error = %e, "committing trigger offsets failed; retrying at the next flush")
            }
        }
        Ok(())
    }

    /// Runs every matching trigger for one message.
    pub async fn handle(
        &self,
        msg: &Message,
        rows: &mut Vec<ActionLogRow>,
        summary: &mut Summary,
    ) -> Result<()> {
        let ev = match Event::of(msg) {
            Ok(ev) => ev,
            Err(why) => {
                tracing::debug!(source = %format!("{}/{}@{}", msg.topic, msg.partition, msg.offset), %why, "unusable event: no trigger runs (the lake keeps it in rejected)");
                return Ok(());
            }
        };
        let none = BTreeMap::new();
        for t in self
            .triggers
            .iter()
            .filter(|t| t.watches(ev.kind, &ev.event_type))
        {
            let scope = Scope {
                event: &ev,
                trigger: &t.name,
                outputs: &none,
                item: None,
            };
            if when::holds(&t.when, &scope) {
                summary.matched += 1;
                self.fire(t, &ev, msg, rows, summary).await?;
            }
        }
        Ok(())
    }

    async fn fire(
        &self,
        t: &Trigger,
        ev: &Event,
        msg: &Message,
        rows: &mut Vec<ActionLogRow>,
        summary: &mut Summary,
    ) -> Result<()> {
        let mut outputs: BTreeMap<String, Value> = BTreeMap::new();
        let mut broken: Option<String> = None;
        for a in &t.actions {
            let key = idempotency_key(&t.name, &ev.store_id, &ev.id, &a.name);
            let row = |outcome: &str,
                       attempts: u32,
                       result: Option<&Value>,
                       error: Option<String>,
                       ms: i64| {
                log_row(t, a, ev, &key, outcome, attempts, result, error, ms)
            };
            if let Some(why) = &broken {
                summary.skipped += 1;
                rows.push(row("skipped", 0, None, Some(why.clone()), 0));
                continue;
            }
            if let Some(done) = journal::get(&self.lake, &t.name, &key).await? {
                summary.already_done += 1;
                rows.push(row(
                    "already_done",
                    0,
                    Some(&done.result),
                    done.error.clone(),
                    0,
                ));
                if done.ok {
                    outputs.insert(a.name.clone(), done.result);
                } else {
                    broken = Some(format!("not run: action {} failed", a.name));
                }
                continue;
            }
            let started = Instant::now();
            let scope = Scope {
                event: ev,
                trigger: &t.name,
                outputs: &outputs,
                item: None,
            };
            let done = self.runtime.run(a, &scope, &key).await;
            let ms = started.elapsed().as_millis() as i64;
            for (n, why) in done.retried.iter().enumerate() {
                rows.push(row("retried", n as u32 + 1, None, Some(why.clone()), 0));
            }
            let at = chrono::Utc::now().timestamp_micros();
            match done.result {
                Ok(result) => {
                    summary.ok += 1;
                    tracing::info!(trigger = %t.name, action = %a.name, event = %ev.id, attempts = done.attempts, "action done");
                    let entry = Entry {
                        key: key.clone(),
                        ok: true,
                        result,
                        error: None,
                        attempts: done.attempts,
                        at,
                    };
                    journal::put(&self.lake, &t.name, &entry).await?;
                    rows.push(row("ok", done.attempts, Some(&entry.result), None, ms));
                    outputs.insert(a.name.clone(), entry.result);
                }
                Err(f) => {
                    summary.failed += 1;
                    let reason = format!(
                        "trigger {} action {} ({}) on event {}: {}{}",
                        t.name,
                        a.name,
                        a.kind,
                        ev.id,
                        f.why,
                        if f.transient {
                            format!(" (still failing after {} attempts)", done.attempts)
                        } else {
                            String::new()
                        }
                    );
                    tracing::warn!(%reason, "action failed: the event goes to the dead-letter topic");
                    // The dead letter first: if the bus is down, the event
                    // is not committed and comes back.
                    self.bus
                        .dead_letters(&[DeadLetter {
                            record: Record {
                                key: msg.key.clone(),
                                meta: msg.meta.clone(),
                                payload: msg.payload.clone(),
                            },
                            reason: reason.clone(),
                            source: ev.source.clone(),
                        }])
                        .await?;
                    let entry = Entry {
                        key: key.clone(),
                        ok: false,
                        result: Value::Null,
                        error: Some(reason.clone()),
                        attempts: done.attempts,
                        at,
                    };
                    journal::put(&self.lake, &t.name, &entry).await?;
                    rows.push(row("failed", done.attempts, None, Some(reason), ms));
                    broken = Some(format!("not run: action {} failed", a.name));
                }
            }
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn log_row(
    t: &Trigger,
    a: &ActionDef,
    ev: &Event,
    key: &str,
    outcome: &str,
    attempts: u32,
    result: Option<&Value>,
    error: Option<String>,
    duration_ms: i64,
) -> ActionLogRow {
    ActionLogRow {
        store_id: Some(ev.store_id.clone()),
        at: Micros(chrono::Utc::now().timestamp_micros()),
        trigger: t.name.clone(),
        action: a.name.clone(),
        kind: a.kind.clone(),
        event_id: ev.id.clone(),
        event_type: ev.event_type.clone(),
        source: ev.source.clone(),
        idempotency_key: key.to_string(),
        outcome: outcome.to_string(),
        attempts: i64::from(attempts),
        object_id: result
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        error,
        duration_ms,
    }
}
