use std::collections::HashMap;
use std::sync::Mutex;

use crate::engine::error::InternalError;
use crate::engine::ports::KeyValue;

/// An in-memory stand-in for Workers KV.
#[derive(Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, String>>,
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
        let entries = self.entries.lock().map_err(|_| InternalError::new("MemoryKv lock poisoned"))?;
        Ok(entries.get(key).cloned())
    }
}
