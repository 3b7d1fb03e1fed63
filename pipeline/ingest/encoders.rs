//! A fixed set of long-lived encoder threads, one per core. Decoding and
//! encoding a batch allocates and frees tens of MiB; on the same few threads
//! the allocator reuses that memory batch after batch, where tokio's
//! blocking pool (new threads as it pleases, each with its own heap) left
//! it parked in many heaps (peak RSS measured by `settle bench ingest`).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Task = Box<dyn FnOnce() + Send>;

/// Runs closures on the encoder threads, at most one per thread at a time.
pub struct Encoders {
    tx: mpsc::Sender<Task>,
}

impl Encoders {
    /// Starts `n` threads (at least one).
    pub fn start(n: usize) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Task>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("settle-encode-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next task.
                        let next = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(task) => task(),
                            Err(_) => return, // the daemon is gone
                        }
                    }
                })?;
        }
        Ok(Encoders { tx })
    }

    /// Runs `f` on an encoder thread and waits for its result; `None` if
    /// the threads are gone or `f` panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let task: Task = Box::new(move || {
            let _ = done.send(f());
        });
        self.tx.send(task).ok()?;
        result.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Encoders;

    #[tokio::test]
    async fn runs_on_named_encoder_threads() {
        let e = Encoders::start(1).unwrap();
        let name = e
            .run(|| std::thread::current().name().map(str::to_string))
            .await;
        assert_eq!(name, Some(Some("settle-encode-0".to_string())));
        assert_eq!(e.run(|| 2 + 2).await, Some(4));
    }

    #[tokio::test]
    async fn a_panicking_task_gives_none_and_later_tasks_do_not_hang() {
        let e = Encoders::start(1).unwrap();
        assert_eq!(e.run(|| -> i32 { panic!("boom") }).await, None);
        let later = tokio::time::timeout(std::time::Duration::from_secs(10), e.run(|| 1)).await;
        assert_eq!(later, Ok(None), "the only encoder thread is gone");
    }
}
