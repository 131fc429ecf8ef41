use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::kv::KvStore;

use super::trips::{Store, Trips};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyValue, LocalWindow, UnixTime};

pub struct Kv {
    pub store: KvStore,
    /// This request's storage calls (`trips`).
    pub trips: Rc<Trips>,
}

fn kv_err(what: &'static str) -> impl Fn(worker::kv::KvError) -> InternalError {
    move |e| InternalError::new(format!("KV {what}: {e}"))
}

impl KeyValue for Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
        self.trips.around(Store::Kv, self.store.get(key).text()).await.map_err(kv_err("get"))
    }

    async fn put(&self, key: &str, value: &str, ttl: u32) -> Result<(), InternalError> {
        let put = self.store.put(key, value).map_err(kv_err("put"))?.expiration_ttl(u64::from(ttl));
        self.trips.kv_write();
        self.trips.around(Store::Kv, put.execute()).await.map_err(kv_err("put"))
    }

    async fn delete(&self, key: &str) -> Result<(), InternalError> {
        self.trips.kv_write();
        self.trips.around(Store::Kv, self.store.delete(key)).await.map_err(kv_err("delete"))
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, InternalError> {
        let list = self.store.list().prefix(prefix.to_owned());
        self.trips.kv_write();
        let page = self.trips.around(Store::Kv, list.execute()).await.map_err(kv_err("list"))?;
        Ok(page.keys.into_iter().map(|k| k.name).collect())
    }

    fn local_window(&self, key: &str) -> Option<LocalWindow> {
        LOCAL_WINDOWS.with(|cell| cell.borrow().get(key).copied())
    }

    fn set_local_window(&self, key: &str, window: LocalWindow, now: UnixTime) {
        LOCAL_WINDOWS.with(|cell| {
            let mut windows = cell.borrow_mut();
            if windows.len() > MAX_LOCAL_WINDOWS {
                windows.retain(|_, w| w.expires > now);
            }
            windows.insert(key.to_owned(), window);
        });
    }
}

thread_local! {
    /// The isolate's rate-limit windows (a Worker isolate runs one thread).
    static LOCAL_WINDOWS: RefCell<HashMap<String, LocalWindow>> = RefCell::new(HashMap::new());
}

/// Above this many windows the ended ones are dropped: the map stays bounded.
const MAX_LOCAL_WINDOWS: usize = 10_000;
