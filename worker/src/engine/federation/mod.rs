//! Sign-in with other identity providers (contract: `/auth/{provider}`): OpenID providers
//! configured by issuer (`OIDC_PROVIDERS`), the relying party's flow towards them, their
//! ID tokens, and the provider identities linked to accounts.

pub mod flow;
pub mod id_token;
pub mod identities;

#[cfg(test)]
mod tests;
