//! Handlers by area. Each takes the request context ([`crate::edge::context::Cx`]) and the
//! request, calls the engine, and answers through [`crate::edge::respond`]. Handlers import the
//! context, request and respond modules, never each other.

pub mod account;
pub mod admin;
pub mod audit;
pub mod browser;
pub mod federation;
pub mod mfa;
pub mod ops;
pub mod passkeys;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod token;
pub mod users;
