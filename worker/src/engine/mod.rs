//! The protocol engine: everything Authority decides, with no I/O of its own.
//!
//! A folder per concern. Every effect goes through a trait in [`platform::ports`]
//! (docs/architecture.md, "The engine never imports the runtime"), time is a parameter
//! ("Time is a parameter"), and each endpoint family has one error type ("One error type
//! per endpoint family") that the edge maps to HTTP in one place.

pub mod admin;
pub mod clients;
pub mod crypto;
pub mod delivery;
pub mod federation;
pub mod identity;
pub mod oauth;
pub mod ops;
pub mod platform;
pub mod tables;
#[cfg(test)]
pub(crate) mod test_support;
