//! Intake metrics, `settle_intake_<what>_<unit>`.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Source and outcome of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Answer {
    /// stripe, shopify, woocommerce, orders or carrier.
    pub source: &'static str,
    /// accepted, duplicate, or the refusal code.
    pub outcome: &'static str,
}

/// Every intake metric.
pub struct Metrics {
    registry: Registry,
    requests: Family<Answer, Counter>,
    ack_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<Answer, Counter>::default();
        let ack_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let mut registry = Registry::default();
        registry.register(
            "settle_intake_requests",
            "Webhook requests by source and outcome",
            requests.clone(),
        );
        registry.register(
            "settle_intake_ack_seconds",
            "Seconds from publishing an event to the bus's acknowledgement",
            ack_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            ack_seconds,
        }
    }
}

impl Metrics {
    /// Counts one answer.
    pub fn answered(&self, source: &'static str, outcome: &'static str) {
        self.requests
            .get_or_create(&Answer { source, outcome })
            .inc();
    }

    /// Records one acknowledgement's wait.
    pub fn acked(&self, took: Duration) {
        self.ack_seconds.observe(took.as_secs_f64());
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}
