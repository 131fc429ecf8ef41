//! The client credentials grant (RFC 6749 §4.4), RFC 9068 access tokens, and the token
//! endpoint's errors for every grant (RFC 6749 §5.2).

use super::*;

#[test]
fn rfc6749_4_4_client_credentials_issues_an_rfc9068_access_token() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let response = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=read").unwrap();
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 3600);
    assert_eq!(response.scope, "read");
    assert!(response.refresh_token.is_none(), "RFC 6749 §4.4.3: no refresh token");
    assert!(response.id_token.is_none());
    let (typ, claims) = verify(&f, &response.access_token);
    assert_eq!(typ, "at+jwt");
    assert_eq!(claims["iss"], "http://127.0.0.1:8787");
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["aud"], "svc");
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 3600);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
}

#[test]
fn rfc9068_every_token_has_its_own_jti() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let jti = |_| {
        let r = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap();
        verify(&f, &r.access_token).1["jti"].clone()
    };
    assert_ne!(jti(1), jti(2));
}

#[test]
fn rfc6749_3_3_omitted_scope_gets_the_clients_scopes_that_need_no_user() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.scopes = vec!["openid".into(), "read".into(), "write".into()];
    let f = fixture(client);
    let response = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap();
    assert_eq!(response.scope, "read write");
}

#[test]
fn rfc6749_3_3_scopes_beyond_the_clients_or_malformed_are_invalid_scope() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    for scope in ["admin", "read%20admin", "openid", "re%22ad", "read%5Cx"] {
        let err = request(&f, Some(&basic("svc", "s3cret")), &format!("grant_type=client_credentials&scope={scope}"));
        assert!(matches!(err, Err(TokenError::InvalidScope(_))), "{scope}: {err:?}");
    }
    let ok =
        request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=write+read+write").unwrap();
    assert_eq!(ok.scope, "write read");
}

#[test]
fn rfc6749_per_client_access_token_ttl_overrides_the_default() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.access_token_ttl = Some(120);
    let f = fixture(client);
    let response = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap();
    assert_eq!(response.expires_in, 120);
    assert_eq!(verify(&f, &response.access_token).1["exp"], NOW + 120);
}

#[test]
fn rfc6749_5_2_grant_type_errors() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let auth = basic("svc", "s3cret");
    assert!(matches!(request(&f, Some(&auth), "scope=read"), Err(TokenError::InvalidRequest(_))));
    assert!(matches!(request(&f, Some(&auth), "grant_type=magic"), Err(TokenError::UnsupportedGrantType(_))));
    assert!(matches!(request(&f, None, "grant_type=magic"), Err(TokenError::UnsupportedGrantType(_))));
}

#[test]
fn rfc6749_5_2_unauthorized_client_for_a_grant_it_was_not_registered_for() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.grant_types = vec!["authorization_code".into()];
    let f = fixture(client);
    let err = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap_err();
    assert!(matches!(err, TokenError::UnauthorizedClient(_)), "{err:?}");
}

#[test]
fn rfc6749_5_2_failed_authentication_is_invalid_client() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let err = request(&f, Some(&basic("svc", "nope")), "grant_type=client_credentials").unwrap_err();
    assert_eq!(err, TokenError::InvalidClient { basic: true });
    use crate::engine::platform::error::ErrorResponse;
    assert_eq!(err.status(), 401);
    assert!(err.www_authenticate().unwrap().starts_with("Basic"));
    let err = request(&f, None, "grant_type=client_credentials").unwrap_err();
    assert_eq!(err, TokenError::InvalidClient { basic: false });
    assert!(err.www_authenticate().is_none());
}
