//! The `actions_log` table: one row per action and delivery of an event,
//! written before the event's offset is committed.

use crate::lake::table::Micros;
use crate::lake_table;

lake_table! {
    /// Every attempt of every trigger action and its outcome: retried (a transient failure; another attempt follows), ok, failed (also sent to the dead-letter topic), skipped (an earlier action of the trigger failed) or already_done (a redelivered event whose action had ended before; the row repeats the first outcome's result).
    pub struct ActionLogRow in "actions_log" by at {
        /// The event's store.
        pub store_id: Option<String>,
        /// When the outcome was recorded.
        pub at: Micros,
        /// Trigger name (jobs/triggers/TRIGGER.toml).
        pub trigger: String,
        /// Action name within the trigger.
        pub action: String,
        /// Action kind: stripe.refund, notify, emit, ….
        pub kind: String,
        /// The event that matched.
        pub event_id: String,
        /// Its type, e.g. order.update or payment_intent.succeeded.
        pub event_type: String,
        /// Where it was read: topic/partition@offset.
        pub source: String,
        /// The idempotency key (sent to Stripe as Idempotency-Key).
        pub idempotency_key: String,
        /// retried, ok, failed, skipped or already_done.
        pub outcome: String,
        /// Attempts made so far (0 when skipped or already done).
        pub attempts: i64,
        /// The id of what the action made or found (re_…, in_…, cus_…, a command id).
        pub object_id: Option<String>,
        /// Why it failed, when it did.
        pub error: Option<String>,
        /// How long the attempts took, in milliseconds.
        pub duration_ms: i64,
    }
}
