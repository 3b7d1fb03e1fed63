//! `settle serve`'s routes in-process on the test broker, on their own
//! runtime and thread, so tests can call them with a blocking client.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use settle::bus::Topics;
use settle::bus::kafka::{KafkaBus, KafkaConfig};
use settle::intake::serve::{Carriers, Intake, serve};
use settle::intake::settings::IntakeSettings;
use tokio_util::sync::CancellationToken;

/// `settle serve`'s routes in-process, on their own runtime and thread.
pub struct Running {
    /// `127.0.0.1:port`.
    pub addr: String,
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the routes with `settings` producing to `brokers`.
pub fn start_intake(brokers: &str, topics: &Topics, settings: IntakeSettings) -> Running {
    start_intake_with(brokers, topics, settings, Carriers::new())
}

/// Starts the routes with `settings` and `carriers` producing to `brokers`.
pub fn start_intake_with(
    brokers: &str,
    topics: &Topics,
    settings: IntakeSettings,
    carriers: Carriers,
) -> Running {
    let (tx, rx) = mpsc::channel();
    let stop = CancellationToken::new();
    let (brokers, topics, token) = (brokers.to_string(), topics.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let config = KafkaConfig {
                brokers,
                client_id: "settle-intake-test".into(),
                partitions: 3,
                options: Default::default(),
                ack_timeout: Duration::from_millis(settings.ack_timeout_ms),
                idempotent: false,
            };
            let bus = KafkaBus::new(config, topics.clone()).unwrap();
            bus.create_topics(&topics.all()).await.unwrap();
            let intake = Arc::new(Intake::new(Arc::new(bus), topics, settings, carriers));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            serve(listener, intake, token).await.unwrap();
        });
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("intake started");
    Running {
        addr,
        stop,
        thread: Some(thread),
    }
}
