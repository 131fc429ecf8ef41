//! The operator's side: who may call the admin API.

pub mod auth;
