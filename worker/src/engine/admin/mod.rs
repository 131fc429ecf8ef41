//! The operator's side: who may call the admin API, and what it does to user accounts
//! scopes and protected resources.

pub mod auth;
pub mod keys;
pub mod mail_templates;
pub mod resources;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod users;
