//! The operator's side: who may call the admin API, and what it does to user accounts.

pub mod auth;
pub mod users;
