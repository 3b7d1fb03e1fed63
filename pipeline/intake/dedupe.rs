//! Recently acknowledged delivery ids (Stripe event ids, Shopify webhook
//! ids, …), so a sender's re-delivery is answered without producing the
//! event again. Bounded: the oldest ids are forgotten first. Per process; the
//! typed lake tables also count an event id once, so a re-delivery that gets
//! past this (after a restart, or to another instance) changes no result.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Ids are only remembered after their signature checked out, so a fast
/// per-process-seeded hasher is enough (no sender can choose colliding ids
/// without the secret).
type Ids = HashSet<Arc<str>, foldhash::fast::RandomState>;

/// A bounded set of ids, oldest evicted first.
pub struct Dedupe {
    capacity: usize,
    inner: Mutex<(Ids, VecDeque<Arc<str>>)>,
}

impl Dedupe {
    /// Remembers up to `capacity` ids (0 turns deduplication off).
    pub fn new(capacity: usize) -> Self {
        Dedupe {
            capacity,
            inner: Mutex::new((Ids::default(), VecDeque::new())),
        }
    }

    /// Whether `id` was acknowledged recently.
    pub fn seen(&self, id: &str) -> bool {
        self.inner.lock().expect("dedupe lock").0.contains(id)
    }

    /// Records `id` as acknowledged.
    pub fn remember(&self, id: String) {
        if self.capacity == 0 {
            return;
        }
        let id: Arc<str> = id.into();
        let mut guard = self.inner.lock().expect("dedupe lock");
        let (set, order) = &mut *guard;
        if set.insert(id.clone()) {
            order.push_back(id);
            while order.len() > self.capacity {
                if let Some(old) = order.pop_front() {
                    set.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_up_to_capacity_and_forgets_the_oldest_first() {
        let d = Dedupe::new(2);
        d.remember("a".into());
        d.remember("b".into());
        d.remember("a".into());
        assert!(d.seen("a") && d.seen("b"));
        d.remember("c".into());
        assert!(!d.seen("a") && d.seen("b") && d.seen("c"));
        let off = Dedupe::new(0);
        off.remember("a".into());
        assert!(!off.seen("a"));
    }
}
