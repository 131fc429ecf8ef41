//! Authority, the worker.
//!
//! - [`engine`]: the protocol, pure Rust, a folder per concern. Storage, clock, randomness
//!   and signing reach it through the traits in [`engine::platform::ports`]; it compiles
//!   and is tested natively.
//! - `edge` (wasm32 only): workers-rs glue: routing, D1/KV/WebCrypto adapters, and the one
//!   place that turns engine outcomes and errors into HTTP responses.
//! - [`native`] (not wasm32): the same ports for tests: SQLite running `migrations/`, the `rsa`
//!   crate, an in-memory KV.

pub mod engine;
pub mod routes;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
