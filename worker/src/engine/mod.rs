//! The protocol engine: everything Authority decides, with no I/O of its own.
//!
//! Every effect goes through a trait in [`ports`] (rule 1 of architecture.md), time is a
//! parameter (rule 2), and each endpoint family has one error type (rule 4) that the edge
//! maps to HTTP in one place.

pub mod access_token;
pub mod accounts;
pub mod activation;
pub mod admin_auth;
pub mod audit;
pub mod authorize;
pub mod bootstrap;
pub mod clients;
pub mod codes;
pub mod config;
pub mod consent;
pub mod csrf;
pub mod device;
pub mod discovery;
pub mod error;
pub mod form;
pub mod health;
pub mod id_token;
pub mod jose;
pub mod keys;
pub mod login;
pub mod logout;
pub mod mail;
pub mod passwords;
pub mod pkce;
pub mod ports;
pub mod rate_limit;
pub mod refresh;
pub mod registration;
pub mod sealed;
pub mod sessions;
pub mod sql;
#[cfg(test)]
pub(crate) mod test_support;
pub mod token;
pub mod userinfo;
pub mod users;
