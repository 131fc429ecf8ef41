//! Native adapters for the engine's ports, used by the unit tests (and by any native tool
//! later): SQLite that applies the real `migrations/`, the `rsa` crate as the signer, the
//! system clock, an in-memory KV.

mod kv;
mod rsa_signer;
mod sqlite;

pub use kv::MemoryKv;
pub use rsa_signer::NativeRsaSigner;
pub use sqlite::SqliteStore;

use crate::engine::ports::{Clock, UnixTime};

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as UnixTime)
            .unwrap_or(0)
    }
}
