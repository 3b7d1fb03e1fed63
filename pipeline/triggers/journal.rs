//! The journal of finished actions: one small JSON object per action and
//! event, `_triggers/done/TRIGGER/HASH.json` in the lake, written once the
//! action ended (succeeded, or failed for good) and before the event's
//! offset is committed. A redelivered event finds its actions here and
//! does not repeat them, however long after Stripe's own 24-hour memory of
//! idempotency keys.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

use super::Result;
use crate::lake::Lake;

/// One finished action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The idempotency key.
    pub key: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Its result (what later actions of the trigger read).
    pub result: Value,
    /// Why it failed.
    pub error: Option<String>,
    /// Attempts it took.
    pub attempts: u32,
    /// When it ended (µs).
    pub at: i64,
}

fn path(trigger: &str, key: &str) -> String {
    let digest = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    format!("_triggers/done/{trigger}/{}.json", &digest[..40])
}

/// The entry for `key`, if the action ended before.
pub async fn get(lake: &Lake, trigger: &str, key: &str) -> Result<Option<Entry>> {
    let Some(bytes) = crate::lake::parquet_io::get_optional(lake, &path(trigger, key)).await?
    else {
        return Ok(None);
    };
    match serde_json::from_slice::<Entry>(&bytes) {
        Ok(e) if e.key == key => Ok(Some(e)),
        Ok(_) => Ok(None),
        Err(e) => Err(super::Error::Config {
            origin: path(trigger, key),
            why: format!(
                "unreadable journal entry ({e}); delete it to let the action run again (its idempotency key still stops Stripe from repeating it for 24 hours)"
            ),
        }),
    }
}

/// Records that the action of `entry.key` ended (one atomic PUT).
pub async fn put(lake: &Lake, trigger: &str, entry: &Entry) -> Result<()> {
    let bytes = serde_json::to_vec(entry).expect("journal entries serialize");
    crate::lake::parquet_io::put(lake, &path(trigger, &entry.key), bytes.into()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_round_trip_by_key() {
        let lake = Lake::open("memory://").unwrap();
        assert_eq!(get(&lake, "t", "k1").await.unwrap(), None);
        let e = Entry {
            key: "k1".into(),
            ok: true,
            result: serde_json::json!({"id": "re_1"}),
            error: None,
            attempts: 2,
            at: 7,
        };
        put(&lake, "t", &e).await.unwrap();
        assert_eq!(get(&lake, "t", "k1").await.unwrap(), Some(e));
        assert_eq!(get(&lake, "t", "k2").await.unwrap(), None);
        assert_eq!(get(&lake, "other", "k1").await.unwrap(), None);
    }
}
