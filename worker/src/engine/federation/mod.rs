//! Sign-in with other identity providers (docs/api.md, "Endpoints"): the relying
//! party's flow (`flow`), each provider's protocol (`protocols`), ID tokens (`id_token`),
//! and the provider identities linked to accounts (`identities`).

pub mod flow;
pub mod id_token;
pub mod identities;
pub mod protocols;

#[cfg(test)]
mod tests;
