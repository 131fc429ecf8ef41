use std::cell::RefCell;
use std::collections::HashMap;

use worker::kv::KvStore;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyValue, UnixTime};

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

    fn local_count(&self, key: &str, expires: UnixTime, now: UnixTime, take: bool) -> u32 {
        LOCAL_COUNTS.with(|cell| {
            let mut counts = cell.borrow_mut();
            if counts.len() > MAX_LOCAL_COUNTS {
                counts.retain(|_, (_, until)| *until > now);
            }
            let (count, _) = counts.entry(key.to_owned()).or_insert((0, expires));
            let before = *count;
            if take {
                *count = count.saturating_add(1);
            }
            before
        })
    }
}

thread_local! {
    /// The isolate's counters for `local_count` (a Worker isolate runs one thread), each
    /// with the time after which it is forgotten.
    static LOCAL_COUNTS: RefCell<HashMap<String, (u32, UnixTime)>> = RefCell::new(HashMap::new());
}

/// Above this many counters the expired ones are dropped: the map stays bounded.
const MAX_LOCAL_COUNTS: usize = 10_000;
