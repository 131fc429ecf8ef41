//! What Authority's two browser apps share: the public pages (`ui-public`) and the admin
//! console (`ui-console`) are separate wasm modules, so a person signing in to an app
//! never downloads the console; both are built over these pieces.
//!
//! They talk to the worker only through JSON typed by the `shared` crate.

pub mod api;
pub mod branding;
pub mod forms;
pub mod i18n;
pub mod query;
