//! Authority, the worker.
//!
//! - [`engine`]: the protocol, pure Rust. Storage, clock, randomness and signing reach it
//!   through the traits in [`engine::ports`]; it compiles and is tested natively.
//! - `edge` (wasm32 only): workers-rs glue: routing, D1/KV/WebCrypto adapters, and the one
//!   place that turns engine outcomes and errors into HTTP responses.
//! - [`native`] (not wasm32): SQLite, `rsa`-crate and system-clock adapters for tests.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod engine;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
