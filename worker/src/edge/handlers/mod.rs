//! Handlers by area, one function per operation of the route table (`crate::routes`),
//! each with the one signature [`Handler`] names: the request context
//! ([`crate::edge::context::Cx`]), the request and its matched route. A handler calls the
//! engine and answers through [`crate::edge::respond`]; the router decided the operation,
//! so no handler looks at the method to choose what to do. Handlers import the context,
//! request and respond modules, never each other.

/// The admin behind the request's Bearer token, or the RFC 6750 answer returned from the
/// handler at once (docs/api.md, "Admin and account API").
macro_rules! admin_or_refusal {
    ($cx:expr, $req:expr) => {
        match $cx.admin(&$req).await {
            Ok(admin) => admin,
            Err(refused) => return Ok(refused),
        }
    };
}

pub mod account;
pub mod admin;
pub mod audit;
pub mod browser;
pub mod clients;
pub mod deliveries;
pub mod federation;
pub mod mail_templates;
pub mod mfa;
pub mod ops;
pub mod passkeys;
pub mod resources;
mod returning;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod signin;
pub mod token;
pub mod users;
