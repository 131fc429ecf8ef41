//! The protocol engine: everything Authority decides, with no I/O of its own.
//!
//! A folder per concern. Every effect goes through a trait in [`platform::ports`]
//! (docs/architecture.md, rule 1), time is a parameter (rule 2), and each endpoint family
//! has one error type (rule 4) that the edge maps to HTTP in one place.

pub mod admin;
pub mod clients;
pub mod crypto;
pub mod federation;
pub mod identity;
pub mod oauth;
pub mod ops;
pub mod platform;
#[cfg(test)]
pub(crate) mod test_support;
