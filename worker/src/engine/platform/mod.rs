//! What the engine stands on: the ports the edge implements, errors, configuration,
//! form parsing and the SQL that every store runs.

pub mod config;
pub mod error;
pub mod form;
pub mod json;
pub mod net;
pub mod ports;
pub mod request;
pub mod time;
