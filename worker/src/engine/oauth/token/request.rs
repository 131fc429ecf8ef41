//! A token request parsed once from the form (RFC 6749 §3.2; docs/architecture.md,
//! "Parse, don't validate"):
//! one variant per grant, each with the parameters that grant reads. Which parameters are
//! missing is judged by the grant itself, after the client is authenticated, so that a
//! bad client always hears `invalid_client` first (RFC 6749 §5.2).

use shared::oauth::grant;

use super::exchange::ExchangeRequest;
use super::TokenError;
use crate::engine::platform::form::Form;

/// `POST /token`, by `grant_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRequest<'a> {
    /// RFC 6749 §4.1.3, with RFC 7636 §4.5 `code_verifier`.
    AuthorizationCode { code: Option<&'a str>, redirect_uri: Option<&'a str>, code_verifier: Option<&'a str> },
    /// RFC 6749 §4.4.2.
    ClientCredentials { scope: Option<&'a str> },
    /// RFC 6749 §4.3.2.
    Password { username: Option<&'a str>, password: Option<&'a str>, scope: Option<&'a str> },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: Option<&'a str>, scope: Option<&'a str> },
    /// RFC 8628 §3.4.
    DeviceCode { device_code: Option<&'a str> },
    /// RFC 8693 §2.1.
    TokenExchange(ExchangeRequest<'a>),
}

impl<'a> TokenRequest<'a> {
    /// The request `form` makes, if `grant_type` names a grant in `supported` (what this
    /// configuration serves, as discovery lists it). Unknown grants are refused before the
    /// client is looked at: which grants exist is public.
    /// The `grant_type` this request names (a known one: parsing refuses the rest).
    pub fn grant_type(&self) -> &'static str {
        match self {
            TokenRequest::AuthorizationCode { .. } => grant::AUTHORIZATION_CODE,
            TokenRequest::ClientCredentials { .. } => grant::CLIENT_CREDENTIALS,
            TokenRequest::Password { .. } => grant::PASSWORD,
            TokenRequest::RefreshToken { .. } => grant::REFRESH_TOKEN,
            TokenRequest::DeviceCode { .. } => grant::DEVICE_CODE,
            TokenRequest::TokenExchange(_) => grant::TOKEN_EXCHANGE,
        }
    }

    pub fn parse(form: &'a Form, supported: &[&str]) -> Result<Self, TokenError> {
        let grant_type = form
            .get("grant_type")
            .ok_or_else(|| TokenError::InvalidRequest("the grant_type parameter is missing".into()))?;
        let unsupported = || TokenError::UnsupportedGrantType(format!("grant_type `{grant_type}` is not supported"));
        if !supported.contains(&grant_type) {
            return Err(unsupported());
        }
        let scope = form.get("scope");
        Ok(match grant_type {
            grant::AUTHORIZATION_CODE => TokenRequest::AuthorizationCode {
                code: form.get("code"),
                redirect_uri: form.get("redirect_uri"),
                code_verifier: form.get("code_verifier"),
            },
            grant::CLIENT_CREDENTIALS => TokenRequest::ClientCredentials { scope },
            grant::PASSWORD => {
                TokenRequest::Password { username: form.get("username"), password: form.get("password"), scope }
            }
            grant::REFRESH_TOKEN => TokenRequest::RefreshToken { refresh_token: form.get("refresh_token"), scope },
            grant::DEVICE_CODE => TokenRequest::DeviceCode { device_code: form.get("device_code") },
            grant::TOKEN_EXCHANGE => TokenRequest::TokenExchange(ExchangeRequest {
                subject_token: form.get("subject_token"),
                subject_token_type: form.get("subject_token_type"),
                actor_token: form.get("actor_token"),
                actor_token_type: form.get("actor_token_type"),
                requested_token_type: form.get("requested_token_type"),
                scope,
                audience: form.all("audience"),
            }),
            _ => return Err(unsupported()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<TokenRequest<'static>, TokenError> {
        let form: &'static Form = Box::leak(Box::new(Form::parse(body.as_bytes()).unwrap()));
        TokenRequest::parse(form, &[grant::CLIENT_CREDENTIALS, grant::REFRESH_TOKEN])
    }

    #[test]
    fn rfc6749_3_2_each_grant_type_parses_into_its_variant() {
        assert_eq!(
            parse("grant_type=client_credentials&scope=a").unwrap(),
            TokenRequest::ClientCredentials { scope: Some("a") }
        );
        assert_eq!(
            parse("grant_type=refresh_token&refresh_token=t").unwrap(),
            TokenRequest::RefreshToken { refresh_token: Some("t"), scope: None }
        );
    }

    #[test]
    fn rfc6749_5_2_missing_or_unserved_grant_types_are_refused() {
        assert!(matches!(parse("scope=a"), Err(TokenError::InvalidRequest(_))));
        // Known to the protocol but not served by this configuration.
        assert!(matches!(parse("grant_type=password"), Err(TokenError::UnsupportedGrantType(_))));
        assert!(matches!(parse("grant_type=magic"), Err(TokenError::UnsupportedGrantType(_))));
    }
}
