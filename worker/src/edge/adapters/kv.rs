use worker::kv::KvStore;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::KeyValue;

pub struct Kv {
    pub store: KvStore,
}

fn kv_err(what: &'static str) -> impl Fn(worker::kv::KvError) -> InternalError {
    move |e| InternalError::new(format!("KV {what}: {e}"))
}

impl KeyValue for Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
        self.store.get(key).text().await.map_err(kv_err("get"))
    }

    async fn put(&self, key: &str, value: &str, ttl: u32) -> Result<(), InternalError> {
        self.store
            .put(key, value)
            .map_err(kv_err("put"))?
            .expiration_ttl(u64::from(ttl))
            .execute()
            .await
            .map_err(kv_err("put"))
    }

    async fn delete(&self, key: &str) -> Result<(), InternalError> {
        self.store.delete(key).await.map_err(kv_err("delete"))
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, InternalError> {
        let page = self.store.list().prefix(prefix.to_owned()).execute().await.map_err(kv_err("list"))?;
        Ok(page.keys.into_iter().map(|k| k.name).collect())
    }
}
