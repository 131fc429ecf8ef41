//! Introspection (RFC 7662) and revocation (RFC 7009).

use super::*;

#[test]
fn rfc7662_2_2_an_active_access_token_is_described() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    let r = introspect(&f, NOW + 10, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap();
    assert!(r.active);
    assert_eq!(r.client_id.as_deref(), Some("svc"));
    assert_eq!(r.scope.as_deref(), Some("read"));
    assert_eq!(r.sub.as_deref(), Some("svc"));
    assert_eq!(r.token_type.as_deref(), Some("Bearer"));
    assert_eq!((r.iat, r.exp), (Some(NOW), Some(NOW + 3600)));
    // A wrong hint changes nothing (RFC 7662 §2.1).
    let hinted =
        introspect(&f, NOW, Some(&basic("svc", "s3cret")), &format!("token={token}&token_type_hint=refresh_token"))
            .unwrap();
    assert!(hinted.active);
}

#[test]
fn rfc7662_2_2_expired_malformed_and_foreign_tokens_are_inactive_and_say_nothing_else() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    let auth = basic("svc", "s3cret");
    let inactive = IntrospectionResponse::default();
    assert_eq!(introspect(&f, NOW + 3600, Some(&auth), &format!("token={token}")).unwrap(), inactive, "expired");
    for garbage in ["abc", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={garbage}")).unwrap(), inactive, "{garbage}");
    }
    // Signed by a key this server never published, under our kid.
    let other = pollster::block_on(NativeSigner.generate(SigningAlg::Rs256)).unwrap();
    let other_key =
        pollster::block_on(NativeSigner.import_private(SigningAlg::Rs256, &other.private_pkcs8_der)).unwrap();
    let forged_key = ActiveSigningKey { kid: f.keys.key.kid.clone(), alg: SigningAlg::Rs256, key: other_key };
    let claims = AccessTokenClaims::new(&f.config, "svc", "svc", "read", 3600, NOW * 1000, &SystemRandom).unwrap();
    let forged = pollster::block_on(claims.sign(&NativeSigner, &forged_key)).unwrap();
    assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={forged}")).unwrap(), inactive, "forged");
    // Our key, but typ JWT (an ID token is not an access token, RFC 9068 §4).
    let as_id_token = pollster::block_on(crate::engine::crypto::jose::sign_jwt(
        &NativeSigner,
        &f.keys.key,
        "JWT",
        &serde_json::to_value(&claims).unwrap(),
    ))
    .unwrap();
    assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={as_id_token}")).unwrap(), inactive, "typ JWT");
}

#[test]
fn rfc7662_2_1_the_caller_must_authenticate_and_send_a_token() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    assert_eq!(
        introspect(&f, NOW, Some(&basic("svc", "wrong")), &format!("token={token}")).unwrap_err(),
        TokenError::InvalidClient { basic: true }
    );
    assert!(matches!(introspect(&f, NOW, Some(&basic("svc", "s3cret")), ""), Err(TokenError::InvalidRequest(_))));
}

#[test]
fn rfc7009_2_1_a_revoked_access_token_is_inactive() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    let auth = basic("svc", "s3cret");
    revoke(&f, Some(&auth), &format!("token={token}&token_type_hint=access_token")).unwrap();
    assert!(!introspect(&f, NOW, Some(&auth), &format!("token={token}")).unwrap().active);
    // Revoking twice is fine.
    revoke(&f, Some(&auth), &format!("token={token}")).unwrap();
    // Other tokens of the same client stay active.
    let other = svc_token(&f);
    assert!(introspect(&f, NOW, Some(&auth), &format!("token={other}")).unwrap().active);
}

#[test]
fn rfc7009_2_2_unknown_tokens_answer_ok_and_other_clients_tokens_are_refused() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    add_client(&f, "other", "other-secret");
    let token = svc_token(&f);
    assert_eq!(revoke(&f, Some(&basic("svc", "s3cret")), "token=not-a-token"), Ok(()));
    let err = revoke(&f, Some(&basic("other", "other-secret")), &format!("token={token}")).unwrap_err();
    assert!(matches!(err, TokenError::UnauthorizedClient(_)), "{err:?}");
    assert!(introspect(&f, NOW, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap().active);
    assert!(matches!(revoke(&f, Some(&basic("svc", "s3cret")), ""), Err(TokenError::InvalidRequest(_))));
}

#[test]
fn rfc7662_refresh_tokens_introspect_with_username_and_rfc7009_revokes_the_family() {
    let f = password_fixture(&[]);
    let login = password_login(&f, "read+offline_access").unwrap();
    let refresh = login.refresh_token.unwrap();
    let auth = basic("svc", "s3cret");
    let r = introspect(&f, NOW + 1, Some(&auth), &format!("token={refresh}&token_type_hint=refresh_token")).unwrap();
    assert!(r.active);
    assert_eq!(r.token_type.as_deref(), Some("refresh_token"));
    assert_eq!(r.username.as_deref(), Some("Alice@Example.com"));
    assert_eq!(r.scope.as_deref(), Some("read offline_access"));
    // The access token of a user carries the username too.
    let a = introspect(&f, NOW + 1, Some(&auth), &format!("token={}", login.access_token)).unwrap();
    assert_eq!(a.username.as_deref(), Some("Alice@Example.com"));
    // Rotation makes the old token inactive; revoking the successor kills the family.
    let successor = refresh_at(&f, NOW + 5, &refresh, "").unwrap().refresh_token.unwrap();
    assert!(!introspect(&f, NOW + 6, Some(&auth), &format!("token={refresh}")).unwrap().active);
    assert!(introspect(&f, NOW + 6, Some(&auth), &format!("token={successor}")).unwrap().active);
    revoke(&f, Some(&auth), &format!("token={successor}&token_type_hint=refresh_token")).unwrap();
    assert!(!introspect(&f, NOW + 7, Some(&auth), &format!("token={successor}")).unwrap().active);
    assert!(matches!(refresh_at(&f, NOW + 8, &successor, ""), Err(TokenError::InvalidGrant(_))));
}

#[test]
fn rfc7662_4_a_client_learns_only_about_its_own_tokens_unless_it_is_a_resource_server() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    add_client(&f, "other", "other-secret");
    let body = format!("token={token}");
    let foreign = introspect(&f, NOW, Some(&basic("other", "other-secret")), &body).unwrap();
    assert_eq!(foreign, IntrospectionResponse::default(), "another client's token: inactive, nothing more");
    assert!(introspect(&f, NOW, Some(&basic("svc", "s3cret")), &body).unwrap().active, "its own");
    // A resource server, registered with the `introspection` scope, may ask about any token.
    let mut api = confidential(AuthMethod::ClientSecretBasic);
    api.client_id = "api".into();
    api.scopes = vec![crate::engine::oauth::token::introspection::INTROSPECTION_SCOPE.into()];
    let secret = ClientSecret {
        secret_id: "api-s".into(),
        secret_hash: hash_token("api-secret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    pollster::block_on(f.store.ensure_client(&api, Some(&secret), 0)).unwrap();
    let described = introspect(&f, NOW, Some(&basic("api", "api-secret")), &body).unwrap();
    assert!(described.active);
    assert_eq!(described.client_id.as_deref(), Some("svc"));
}
