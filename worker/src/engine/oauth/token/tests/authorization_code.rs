//! The authorization code grant (RFC 6749 §4.1.3) after `/authorize`: PKCE (RFC 7636
//! §4.6), single redemption with replay revocation (§10.5), binding to client, redirect
//! URI and lifetime, public clients, and hybrid ID token hashes (OIDC Core §3.3.2.11).

use crate::engine::oauth::authorize::ResponseMode;
use crate::engine::oauth::token::TokenError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SigningAlg;
use crate::engine::test_support::*;

#[test]
fn rfc6749_4_1_code_flow_with_pkce_gives_tokens_with_nonce_and_auth_time() {
    let f = code_flow();
    let q = format!("{BASE}&response_type=code&scope=openid+email+offline_access&state=st&nonce=n-1&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let response = authorize(&f, &web_app(), &q, NOW);
    assert_eq!(param(&response, "state"), Some("st"));
    assert_eq!(param(&response, "iss"), Some("http://127.0.0.1:8787"));
    let code = param(&response, "code").unwrap().to_owned();
    assert_eq!(code.len(), 43);
    let tokens = redeem(&f, &code, &format!("&code_verifier={VERIFIER}"), NOW + 5).unwrap();
    assert!(tokens.refresh_token.is_some(), "offline_access");
    let id = flow_claims(&f, tokens.id_token.as_deref().unwrap());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["auth_time"], NOW - 60, "the session's sign-in time");
    assert_eq!(id["at_hash"], expected_half_hash(SigningAlg::Rs256, &tokens.access_token));
    assert_eq!(id["email"], "Alice@Example.com");
    assert_eq!(id["aud"], "web");
    let access = flow_claims(&f, &tokens.access_token);
    assert_eq!(access["scope"], "openid email offline_access");
    assert_eq!(access["client_id"], "web");
}

#[test]
fn rfc7636_4_6_the_verifier_must_match_and_cannot_be_added_later() {
    let f = code_flow();
    let with = format!("{BASE}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let code = param(&authorize(&f, &web_app(), &with, NOW), "code").unwrap().to_owned();
    assert!(matches!(redeem(&f, &code, "", NOW), Err(TokenError::InvalidGrant(_))), "verifier missing");
    let wrong = "a".repeat(43);
    let code = param(&authorize(&f, &web_app(), &with, NOW), "code").unwrap().to_owned();
    assert!(matches!(redeem(&f, &code, &format!("&code_verifier={wrong}"), NOW), Err(TokenError::InvalidGrant(_))));
    let without = format!("{BASE}&response_type=code");
    let code = param(&authorize(&f, &web_app(), &without, NOW), "code").unwrap().to_owned();
    let added = redeem(&f, &code, &format!("&code_verifier={VERIFIER}"), NOW);
    assert!(matches!(added, Err(TokenError::InvalidGrant(_))), "{added:?}");
}

#[test]
fn rfc6749_10_5_a_replayed_code_fails_and_revokes_what_the_first_redemption_issued() {
    let f = code_flow();
    let q = format!("{BASE}&response_type=code&scope=openid+offline_access");
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    let first = redeem(&f, &code, "", NOW + 1).unwrap();
    let second = redeem(&f, &code, "", NOW + 2);
    assert!(matches!(second, Err(TokenError::InvalidGrant(_))));
    // The first redemption's refresh token and access token are dead now.
    let refresh = format!("grant_type=refresh_token&refresh_token={}", first.refresh_token.unwrap());
    assert!(matches!(token_request(&f, Some(&web_auth()), &refresh, NOW + 3), Err(TokenError::InvalidGrant(_))));
    let endpoint = token_endpoint(&f.config, &f.store, &f.keys, NOW + 3);
    let body = format!("token={}", first.access_token);
    let introspected = {
        let form = Form::parse(body.as_bytes()).unwrap();
        pollster::block_on(endpoint.introspect(&credentials_of(Some(&web_auth()), &form), &form)).unwrap()
    };
    assert!(!introspected.active);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "token.code_replayed"));
}

#[test]
fn rfc6749_4_1_3_codes_are_bound_to_client_redirect_uri_and_lifetime() {
    let f = code_flow();
    let q = format!("{BASE}&response_type=code");
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fother");
    assert!(matches!(token_request(&f, Some(&web_auth()), &body, NOW), Err(TokenError::InvalidGrant(_))));
    // The public client cannot redeem the web app's code.
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={}&client_id=spa", urlencode(REDIRECT));
    assert!(matches!(token_request(&f, None, &body, NOW), Err(TokenError::InvalidGrant(_))));
    // CODE_TTL=600.
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    assert!(matches!(redeem(&f, &code, "", NOW + 600), Err(TokenError::InvalidGrant(_))));
    assert!(matches!(redeem(&f, "made-up", "", NOW), Err(TokenError::InvalidGrant(_))));
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    assert!(redeem(&f, &code, "", NOW + 599).is_ok());
}

#[test]
fn public_clients_redeem_with_pkce_and_no_secret() {
    let f = code_flow();
    let q = format!(
        "client_id=spa&redirect_uri={}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256",
        urlencode(REDIRECT)
    );
    let code = param(&authorize(&f, &public_app(), &q, NOW), "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=spa&code_verifier={VERIFIER}",
        urlencode(REDIRECT)
    );
    assert!(token_request(&f, None, &body, NOW).is_ok());
}

#[test]
fn browser_apps_redeem_only_from_an_origin_of_their_redirect_uris() {
    let f = code_flow();
    let q = format!(
        "client_id=spa&redirect_uri={}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256",
        urlencode(REDIRECT)
    );
    let code = param(&authorize(&f, &public_app(), &q, NOW), "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=spa&code_verifier={VERIFIER}",
        urlencode(REDIRECT)
    );
    let form = Form::parse(body.as_bytes()).unwrap();
    let mut endpoint = token_endpoint(&f.config, &f.store, &f.keys, NOW);
    endpoint.origin = Some("https://evil.example");
    let refused = pollster::block_on(endpoint.handle_form(None, &form));
    assert_eq!(refused, Err(TokenError::OriginNotAllowed));
    // Refused before the code was touched: the app's own origin still redeems it.
    endpoint.origin = Some("https://app.example.com");
    assert!(pollster::block_on(endpoint.handle_form(None, &form)).is_ok());
}

#[test]
fn oidc_core_3_3_2_11_hybrid_id_tokens_carry_c_hash_and_at_hash() {
    let f = code_flow();
    let q = format!("{BASE}&response_type=code+id_token+token&scope=openid+profile&nonce=hy&state=s");
    let response = authorize(&f, &web_app(), &q, NOW);
    assert_eq!(response.mode, ResponseMode::Fragment);
    let code = param(&response, "code").unwrap();
    let access = param(&response, "access_token").unwrap();
    assert_eq!(param(&response, "token_type"), Some("Bearer"));
    let id = flow_claims(&f, param(&response, "id_token").unwrap());
    assert_eq!(id["c_hash"], expected_half_hash(SigningAlg::Rs256, code));
    assert_eq!(id["at_hash"], expected_half_hash(SigningAlg::Rs256, access));
    assert_eq!(id["nonce"], "hy");
    assert_eq!(id["name"], "Alice Liddell");
    // Implicit id_token only: no access token, no at_hash.
    let q = format!("{BASE}&response_type=id_token&scope=openid&nonce=im");
    let response = authorize(&f, &web_app(), &q, NOW);
    assert!(param(&response, "access_token").is_none() && param(&response, "code").is_none());
    let id = flow_claims(&f, param(&response, "id_token").unwrap());
    assert!(id.get("at_hash").is_none() && id.get("c_hash").is_none());
}

#[test]
fn oidc_registration_2_id_tokens_use_the_clients_algorithm_and_access_tokens_signing_alg() {
    let mut f = code_flow();
    f.config.tokens.signing_alg = SigningAlg::Es256;
    pollster::block_on(crate::engine::platform::ports::SqlRunner::execute(
        &f.store,
        "UPDATE clients SET id_token_signed_response_alg = 'EdDSA' WHERE client_id = 'web'",
        &[],
    ))
    .unwrap();
    let mut client = web_app();
    client.id_token_alg = SigningAlg::EdDsa;
    let q = format!(
        "{BASE}&response_type=code&scope=openid+email&nonce=n-2&code_challenge={CHALLENGE}&code_challenge_method=S256"
    );
    let code = param(&authorize(&f, &client, &q, NOW), "code").unwrap().to_owned();
    let tokens = redeem(&f, &code, &format!("&code_verifier={VERIFIER}"), NOW + 5).unwrap();
    let header = |token: &str| -> serde_json::Value {
        let part = token.split('.').next().unwrap();
        serde_json::from_slice(&crate::engine::crypto::jose::b64url_decode(part).unwrap()).unwrap()
    };
    assert_eq!(header(&tokens.access_token)["alg"], "ES256", "SIGNING_ALG");
    let id_token = tokens.id_token.unwrap();
    assert_eq!(header(&id_token)["alg"], "EdDSA", "the client's id_token_signed_response_alg");
    let jwks = pollster::block_on(
        crate::engine::crypto::keys::KeyRing {
            store: &f.store,
            signer: &crate::native::NativeSigner,
            rng: &crate::engine::platform::ports::SystemRandom,
            secret: &f.config.secret_key,
        }
        .jwks(NOW),
    )
    .unwrap()
    .keys;
    let id = verify_with_jwks(&id_token, &jwks);
    assert_eq!(id["nonce"], "n-2");
    // With Ed25519 the hash is SHA-512; its left half is 32 bytes (43 base64url characters).
    assert_eq!(id["at_hash"], expected_half_hash(SigningAlg::EdDsa, &tokens.access_token));
    assert_eq!(id["at_hash"].as_str().unwrap().len(), 43);
    assert_eq!(verify_with_jwks(&tokens.access_token, &jwks)["client_id"], "web");
}
