//! UserInfo (OIDC Core §5.3) and its RFC 6750 bearer-token errors.

use super::*;

#[test]
fn oidc_core_5_3_userinfo_returns_sub_and_the_claims_of_the_granted_scopes() {
    let f = password_fixture(&[]);
    let token = password_login(&f, "openid+email").unwrap().access_token;
    let claims = userinfo_at(&f, NOW + 1, &token).unwrap();
    assert_eq!(claims["sub"], alice().id.as_str());
    assert_eq!(claims["email"], "Alice@Example.com");
    assert!(!claims.contains_key("name"), "profile was not granted");
}

#[test]
fn rfc6750_3_1_userinfo_errors() {
    use crate::engine::platform::error::ErrorResponse;
    let f = password_fixture(&[]);
    let without_openid = password_login(&f, "email").unwrap().access_token;
    let e = userinfo_at(&f, NOW + 1, &without_openid).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "insufficient_scope"));
    assert!(e.www_authenticate().unwrap().contains(r#"error="insufficient_scope""#));
    let token = password_login(&f, "openid").unwrap().access_token;
    let expired = userinfo_at(&f, NOW + 3600, &token).unwrap_err();
    assert_eq!((expired.status(), expired.code()), (401, "invalid_token"));
    assert!(matches!(userinfo_at(&f, NOW, "garbage"), Err(BearerError::InvalidToken(_))));
    revoke(&f, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap();
    assert!(matches!(userinfo_at(&f, NOW + 1, &token), Err(BearerError::InvalidToken(_))), "revoked");
    // A client_credentials token has no user behind it.
    let client_token = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=read").unwrap();
    assert!(matches!(userinfo_at(&f, NOW, &client_token.access_token), Err(BearerError::InsufficientScope(_))));
}

#[test]
fn rfc6750_2_one_way_of_presenting_the_token() {
    assert_eq!(presented_token(Some("Bearer abc"), None), Ok("abc"));
    assert_eq!(presented_token(Some("bearer  abc "), None), Ok("abc"));
    assert_eq!(presented_token(None, Some("abc")), Ok("abc"));
    assert!(matches!(presented_token(Some("Bearer abc"), Some("abc")), Err(BearerError::InvalidRequest(_))));
    assert!(matches!(presented_token(Some("Basic abc"), None), Err(BearerError::InvalidRequest(_))));
    assert!(matches!(presented_token(Some("Bearer"), None), Err(BearerError::InvalidRequest(_))));
    let missing = presented_token(None, None).unwrap_err();
    assert_eq!(missing, BearerError::Missing);
    use crate::engine::platform::error::ErrorResponse;
    assert_eq!(missing.www_authenticate().as_deref(), Some(r#"Bearer realm="userinfo""#), "§3.1: no error code");
}

#[test]
fn rfc9110_5_6_4_challenges_quote_descriptions_safely() {
    use crate::engine::oauth::userinfo::quoted_string;
    use crate::engine::platform::error::ErrorResponse;
    assert_eq!(quoted_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    assert_eq!(quoted_string("line\r\nbreak é"), "\"line??break ?\"");
    let echo = BearerError::InvalidRequest("parameter `x\", error=\"fake` repeated\r\nSet-Cookie: a=b".into());
    let challenge = echo.www_authenticate().unwrap();
    assert!(!challenge.contains('\r') && !challenge.contains('\n'), "{challenge}");
    assert_eq!(challenge.matches("error=\"").count(), 1, "{challenge}");
}
