//! What the engine's native test suites share, in one place: fixtures (configuration,
//! users, clients, sessions), signing keys with an independent verifier, the code flow,
//! and direct database access through the SQL port.

pub mod code_flow;
pub mod db;
pub mod fixtures;
pub mod keys;
pub mod outbound;

pub use code_flow::*;
pub use fixtures::*;
pub use keys::*;
pub use outbound::*;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyValue, LocalWindow, UnixTime};

/// A KV namespace that fails every call: a binding that is down, or writes throttled.
pub struct DownKv;

impl KeyValue for DownKv {
    async fn get(&self, _: &str) -> Result<Option<String>, InternalError> {
        Err(InternalError::new("KV binding unavailable"))
    }
    async fn put(&self, _: &str, _: &str, _: u32) -> Result<(), InternalError> {
        Err(InternalError::new("KV binding unavailable"))
    }
    async fn delete(&self, _: &str) -> Result<(), InternalError> {
        Err(InternalError::new("KV binding unavailable"))
    }
    async fn keys_with_prefix(&self, _: &str) -> Result<Vec<String>, InternalError> {
        Err(InternalError::new("KV binding unavailable"))
    }
    fn local_window(&self, _: &str) -> Option<LocalWindow> {
        None
    }
    fn set_local_window(&self, _: &str, _: LocalWindow, _: UnixTime) {}
}
