//! OAuth 2.0 and OpenID Connect: authorization, the token endpoint and its grants, the
//! device flow, discovery, UserInfo, logout, and the codes, tokens and consents they use.

pub mod access_token;
pub mod activation;
pub mod authorize;
pub mod backchannel_logout;
pub mod codes;
pub mod consent;
pub mod cors;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod id_token;
pub mod logout;
pub mod refresh;
pub mod resources;
pub mod scope;
pub mod store;
pub mod token;
pub mod userinfo;
