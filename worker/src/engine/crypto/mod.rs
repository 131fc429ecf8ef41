//! Cryptographic building blocks: JOSE, signing keys, sealing at rest, PKCE, password
//! hashing, and the random values and hashes of every token Authority hands out.

pub mod jose;
pub mod keys;
pub mod passwords;
pub mod pkce;
pub mod sealed;
pub mod tokens;
