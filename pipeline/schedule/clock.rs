//! Time for the scheduler: the system clock, or a manual one that tests
//! (and replays) move by hand.

use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::Notify;

/// What the scheduler reads the time from and sleeps on (µs since the epoch).
#[async_trait]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> i64;
    /// Returns once `now() >= t`.
    async fn sleep_until(&self, t: i64);
}

/// The system clock.
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp_micros()
    }

    async fn sleep_until(&self, t: i64) {
        loop {
            let left = t - self.now();
            if left <= 0 {
                return;
            }
            // Wake at least every minute: a suspended machine or a clock
            // step does not make a run hours late.
            let wait = std::time::Duration::from_micros(left.min(60_000_000) as u64);
            tokio::time::sleep(wait).await;
        }
    }
}

/// A clock that moves only when told to.
pub struct ManualClock {
    now: Mutex<i64>,
    moved: Notify,
}

impl ManualClock {
    /// A clock showing `now` (µs).
    pub fn new(now: i64) -> Self {
        ManualClock {
            now: Mutex::new(now),
            moved: Notify::new(),
        }
    }

    /// Moves the clock to `t` and wakes every sleeper.
    pub fn set(&self, t: i64) {
        *self.now.lock().expect("clock lock") = t;
        self.moved.notify_waiters();
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> i64 {
        *self.now.lock().expect("clock lock")
    }

    async fn sleep_until(&self, t: i64) {
        loop {
            let moved = self.moved.notified();
            if self.now() >= t {
                return;
            }
            moved.await;
        }
    }
}
