use std::collections::HashMap;
use std::sync::Mutex;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyValue, UnixTime, KV_MIN_TTL};

/// An in-memory stand-in for Workers KV that keeps its limits: TTLs under a minute are
/// refused, as KV refuses them (architecture rule 7). Entries never expire here; tests
/// that need expiry move their clock, and the engine checks times itself.
#[derive(Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, String>>,
    /// `local_count`'s counters: this value's "isolate memory".
    local: Mutex<HashMap<String, u32>>,
}

impl MemoryKv {
    fn entries(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, String>>, InternalError> {
        self.entries.lock().map_err(|_| InternalError::new("MemoryKv lock poisoned"))
    }
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
        Ok(self.entries()?.get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str, ttl: u32) -> Result<(), InternalError> {
        if ttl < KV_MIN_TTL {
            return Err(InternalError::new(format!("KV put {key}: expirationTtl {ttl} is under {KV_MIN_TTL}")));
        }
        self.entries()?.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), InternalError> {
        self.entries()?.remove(key);
        Ok(())
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, InternalError> {
        let mut keys: Vec<String> = self.entries()?.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
        keys.sort();
        Ok(keys)
    }

    fn local_count(&self, key: &str, _expires: UnixTime, _now: UnixTime, take: bool) -> u32 {
        let Ok(mut local) = self.local.lock() else { return 0 };
        let count = local.entry(key.to_owned()).or_insert(0);
        let before = *count;
        if take {
            *count = count.saturating_add(1);
        }
        before
    }
}
