//! Resource indicators (RFC 8707): which protected resource an access token is for.
//!
//! A request names resources with one or more `resource` parameters (§2); each must be an
//! absolute URI registered through `/api/resources` and, when the client is limited to a
//! list, on that list. The access token's `aud` is then the resource(s), its scope the
//! granted scope within what the resources accept, its lifetime and algorithm the
//! resource's (docs/api.md, "Resources"). Without `resource`, nothing changes: `aud` is
//! the client (RFC 9068 §3's default audience).
//!
//! What a grant was given for travels with it (the code, the refresh-token family, the
//! device code), and a later token request may narrow to some of those (§2.2) but never
//! widen them.

use serde::Deserialize;
use shared::resources::identifier_problem;

use crate::engine::clients::Client;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SigningAlg;

/// The most resources one request may name.
pub const MAX_PER_REQUEST: usize = 10;

/// A registered resource as a token request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetResource {
    pub identifier: String,
    pub scopes: Vec<String>,
    pub access_token_ttl: Option<u32>,
    pub signing_alg: Option<SigningAlg>,
}

/// What a grant was given for: the identifiers its row stored, and those of them still
/// registered, read with it (`tables::resources::granted_resources`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantedResources {
    pub identifiers: Vec<String>,
    pub registered: Vec<TargetResource>,
}

impl GrantedResources {
    /// The resources a token request after the grant gets (RFC 8707 §2.2): every one the
    /// grant named, still registered and still allowed for the client, narrowed to those
    /// the request names (none: all). Err is the `invalid_target` description.
    pub fn for_request(&self, requested: &[String], client: &Client) -> Result<Vec<TargetResource>, String> {
        let granted = resolve(&self.identifiers, &self.registered, client)?;
        narrow(requested, &granted)
    }
}

/// One element of the JSON list the resource reads return (`tables::resources`).
#[derive(Deserialize)]
struct Row {
    identifier: String,
    #[serde(default)]
    scopes: Vec<String>,
    access_token_ttl: Option<f64>,
    signing_alg: Option<String>,
}

/// Decodes a JSON list of resources (`json_group_array(json_object(...))`).
pub fn decode_list(text: Option<&str>) -> Result<Vec<TargetResource>, InternalError> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let rows: Vec<Row> = serde_json::from_str(text).map_err(|e| InternalError::new(format!("resources list: {e}")))?;
    rows.into_iter()
        .map(|r| {
            Ok(TargetResource {
                identifier: r.identifier,
                scopes: r.scopes,
                access_token_ttl: r.access_token_ttl.map(|t| t as u32),
                signing_alg: match r.signing_alg.as_deref() {
                    None => None,
                    Some(alg) => Some(
                        SigningAlg::parse(alg).ok_or_else(|| InternalError::new(format!("resource alg `{alg}`")))?,
                    ),
                },
            })
        })
        .collect()
}

/// The `resource` values of a request (RFC 8707 §2), each checked for its form and named
/// once. Err is the `invalid_target` description.
pub fn requested(form: &Form) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for value in form.all("resource") {
        if let Some(why) = identifier_problem(value) {
            return Err(format!("resource `{}`: {why}", shorten(value)));
        }
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    if out.len() > MAX_PER_REQUEST {
        return Err(format!("at most {MAX_PER_REQUEST} resources in one request"));
    }
    Ok(out)
}

fn shorten(value: &str) -> String {
    value.chars().take(80).collect()
}

/// The resources `requested` names, in its order, from those registered (`found`): each
/// must be registered and, when the client is limited to a list, on it. Err is the
/// `invalid_target` description.
pub fn resolve(requested: &[String], found: &[TargetResource], client: &Client) -> Result<Vec<TargetResource>, String> {
    requested
        .iter()
        .map(|identifier| {
            let Some(resource) = found.iter().find(|r| &r.identifier == identifier) else {
                return Err(format!("resource `{}` is not registered here", shorten(identifier)));
            };
            if !client.allowed_resources.is_empty() && !client.allowed_resources.contains(identifier) {
                return Err(format!("this client may not ask for resource `{}`", shorten(identifier)));
            }
            Ok(resource.clone())
        })
        .collect()
}

/// RFC 8707 §2.2: a token request after the grant may name some of the resources the grant
/// was given for (`granted`), never others. No `resource`: all of them.
pub fn narrow(requested: &[String], granted: &[TargetResource]) -> Result<Vec<TargetResource>, String> {
    if requested.is_empty() {
        return Ok(granted.to_vec());
    }
    requested
        .iter()
        .map(|identifier| {
            granted
                .iter()
                .find(|r| &r.identifier == identifier)
                .cloned()
                .ok_or_else(|| format!("resource `{}` was not part of this grant (RFC 8707 §2.2)", shorten(identifier)))
        })
        .collect()
}

/// What an access token for `resources` looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// The token's `aud` (RFC 8707 §2, RFC 9068 §3).
    pub aud: Vec<String>,
    /// The granted scope within what the resources accept.
    pub scope: Vec<String>,
    /// The shortest of the resources' lifetimes, if any set one.
    pub ttl: Option<u32>,
    /// The resources' algorithm, if they set one.
    pub alg: Option<SigningAlg>,
}

/// The access token's audience, scope, lifetime and algorithm for `resources` (not empty)
/// and the scope the grant has. Resources that ask for different algorithms cannot share
/// one token. Err is the `invalid_target` description.
pub fn audience(resources: &[TargetResource], scope: &[String]) -> Result<Audience, String> {
    let mut algs = resources.iter().filter_map(|r| r.signing_alg);
    let alg = algs.next();
    if algs.any(|other| Some(other) != alg) {
        return Err("these resources take tokens signed with different algorithms; ask for one at a time".into());
    }
    Ok(Audience {
        aud: resources.iter().map(|r| r.identifier.clone()).collect(),
        scope: scope.iter().filter(|s| resources.iter().any(|r| r.scopes.contains(s))).cloned().collect(),
        ttl: resources.iter().filter_map(|r| r.access_token_ttl).min(),
        alg,
    })
}

/// The identifiers a grant row kept (`tables::resources::stored_identifiers`).
pub fn identifiers(stored: Option<&str>) -> Vec<String> {
    stored.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
