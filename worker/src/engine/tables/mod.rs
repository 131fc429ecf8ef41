//! The database, one module per table (docs/storage.md, "Statements by table"): each
//! holds its row type, its decoding and every statement on it, as a function that builds
//! the statement (`Statement`: SQL and its arguments). A statement belongs to the table
//! it writes, a read to the table its outer `FROM` names first. Features compose their
//! batches from these builders, so one round trip stays one round trip
//! (docs/architecture.md, "Each store method is one statement or one D1 batch");
//! `worker/tests/sql_by_table.rs` fails on a statement anywhere else.

pub mod authorization_codes;
pub mod consents;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod sessions;
pub mod signing_keys;
pub mod users;
