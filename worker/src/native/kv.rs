use std::collections::HashMap;
use std::sync::Mutex;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyValue, LocalWindow, UnixTime, KV_MIN_TTL};

/// An in-memory stand-in for Workers KV that keeps its limits: TTLs under a minute are
/// refused, as KV refuses them (docs/architecture.md,
/// "Test fakes keep the platform's limits"). Entries never expire here; tests
/// that need expiry move their clock, and the engine checks times itself.
#[derive(Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, String>>,
    /// The rate-limit windows of this value's "isolate memory".
    local: Mutex<HashMap<String, LocalWindow>>,
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

    fn local_window(&self, key: &str) -> Option<LocalWindow> {
        self.local.lock().ok()?.get(key).copied()
    }

    fn set_local_window(&self, key: &str, window: LocalWindow, _now: UnixTime) {
        if let Ok(mut local) = self.local.lock() {
            local.insert(key.to_owned(), window);
        }
    }
}
