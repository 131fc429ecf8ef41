//! Native adapters for the engine's ports, used by the unit tests (and by any native tool
//! later): SQLite that applies the real `migrations/`, RustCrypto as the signer, an
//! in-memory KV. Tests pass time explicitly, so there is no native clock.

mod kv;
mod signer;
mod sqlite;

pub use kv::MemoryKv;
pub use signer::{NativeKey, NativePublicKey, NativeSigner};
pub use sqlite::SqliteStore;
