//! Types and rules that both sides of Authority use: the worker that serves the JSON and
//! the Leptos SPA that reads it. Keeping them in one crate means a field renamed on one
//! side fails to compile on the other, and a validation rule is written once.
//!
//! serde and url only: this crate must compile for wasm32 (the SPA) and natively (the engine).

pub mod account;
pub mod admin;
pub mod api;
pub mod audit;
pub mod branding;
pub mod clients;
pub mod codes;
pub mod deliveries;
pub mod device;
pub mod i18n;
pub mod jwk;
pub mod mail_templates;
pub mod mfa;
pub mod oauth;
pub mod passkeys;
pub mod password;
pub mod paths;
pub mod resources;
pub mod return_to;
pub mod scopes;
pub mod session;
pub mod time;
