use worker::kv::KvStore;

use crate::engine::error::InternalError;
use crate::engine::ports::KeyValue;

pub struct Kv {
    pub store: KvStore,
}

impl KeyValue for Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
        self.store.get(key).text().await.map_err(|e| InternalError::new(format!("KV: {e}")))
    }
}
