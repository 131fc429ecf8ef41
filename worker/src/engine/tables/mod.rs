//! The database, one module per table (docs/storage.md, "Statements by table"): each
//! holds its row type, its decoding and every statement on it, as a function that builds
//! the statement (`Statement`: SQL and its arguments). A statement belongs to the table
//! it writes, a read to the table its outer `FROM` names first. Features compose their
//! batches from these builders, so one round trip stays one round trip
//! (docs/architecture.md, "Each store method is one statement or one D1 batch");
//! `worker/tests/sql_by_table.rs` fails on a statement anywhere else.

pub mod audit_log;
pub mod authorization_codes;
pub mod client_secrets;
pub mod client_token_cutoffs;
pub mod clients;
pub mod consents;
pub mod device_codes;
pub mod email_tokens;
pub mod mail_outbox;
pub mod mfa_backup_codes;
pub mod mfa_totp;
pub mod passkeys;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
pub mod users;
pub mod webauthn_challenges;
