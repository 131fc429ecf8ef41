//! RP-Initiated Logout 1.0: `/logout` ends the browser session and, when the app named a
//! registered `post_logout_redirect_uri`, sends the browser back there with `state`.
//!
//! §2: `id_token_hint` must be an ID token we issued (signature checked; an expired one
//! is fine, it only identifies); without it the person confirms the sign-out on a page of
//! ours, so a third-party link cannot sign anyone out.

use serde::Deserialize;

use crate::engine::clients::Client;
use crate::engine::oauth::access_token::{verify_jws, VerificationKeySource};
use crate::engine::oauth::authorize::AuthorizeError;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::JwsSigner;

/// What a verified logout request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// The client the request is from (`client_id`, or the hint's audience).
    pub client_id: Option<String>,
    /// Registered for that client, exactly (§3); `None` means our own signed-out page.
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    /// The subject of a valid `id_token_hint`: the person the app wants signed out.
    pub hinted_subject: Option<String>,
}

impl LogoutRequest {
    /// Where the browser goes once signed out (§3: `state` added to the redirect URI).
    pub fn destination(&self, config: &Config) -> String {
        match &self.post_logout_redirect_uri {
            Some(uri) => {
                let Some(state) = &self.state else { return uri.clone() };
                let query: String =
                    url::form_urlencoded::Serializer::new(String::new()).append_pair("state", state).finish();
                let sep = if uri.contains('?') { '&' } else { '?' };
                format!("{uri}{sep}{query}")
            }
            None => config.endpoint("/"),
        }
    }
}

#[derive(Deserialize)]
struct HintClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
}

/// Reads and checks the logout parameters. `lookup` finds a registered client by id.
pub async fn parse<C: JwsSigner, F, Fut>(
    params: &Form,
    config: &Config,
    signer: &C,
    keys: &impl VerificationKeySource<C::PublicKey>,
    lookup: F,
) -> Result<LogoutRequest, AuthorizeError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Client>, InternalError>>,
{
    let bad = |description: &str| AuthorizeError::page("invalid_request", description);
    let mut hinted_subject = None;
    let mut hinted_client = None;
    if let Some(hint) = params.get("id_token_hint") {
        let jws = verify_jws(hint, signer, keys)
            .await?
            .map_err(|_| bad("id_token_hint is not an ID token from this server"))?;
        // RFC 9068 §2.1: access tokens say `typ: at+jwt`; one is not an ID token, and must
        // not end a session or name a client here (RFC 8725 §3.11, explicit typing).
        if jws.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("at+jwt")) {
            return Err(bad("id_token_hint is an access token, not an ID token"));
        }
        let claims: HintClaims = crate::engine::platform::json::parse(&jws.claims)
            .map_err(|_| bad("id_token_hint is not an ID token from this server"))?;
        if claims.iss != config.issuer {
            return Err(bad("id_token_hint was issued by another server"));
        }
        hinted_client = match claims.aud {
            serde_json::Value::String(aud) => Some(aud),
            serde_json::Value::Array(list) => list.first().and_then(|a| a.as_str()).map(str::to_owned),
            _ => None,
        };
        hinted_subject = Some(claims.sub);
    }
    let client_id = match (params.get("client_id"), hinted_client) {
        (Some(given), Some(hinted)) if given != hinted => {
            return Err(bad("client_id does not match the audience of id_token_hint"))
        }
        (Some(given), _) => Some(given.to_owned()),
        (None, hinted) => hinted,
    };
    let post_logout_redirect_uri = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            // §3: only a URI registered for the client, compared exactly: no open redirect.
            let Some(id) = &client_id else {
                return Err(bad("post_logout_redirect_uri needs client_id or id_token_hint to say whose it is"));
            };
            let client = lookup(id.clone()).await?.ok_or_else(|| bad("the client is not registered"))?;
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(bad("post_logout_redirect_uri is not registered for this client"));
            }
            Some(uri.to_owned())
        }
    };
    Ok(LogoutRequest {
        client_id,
        post_logout_redirect_uri,
        state: params.get("state").map(str::to_owned),
        hinted_subject,
    })
}

/// Whether the sign-out may happen without asking: a valid hint naming the person
/// signed in here (§2 "the OP SHOULD ask the End-User" otherwise).
pub fn needs_confirmation(request: &LogoutRequest, signed_in_user: Option<&str>) -> bool {
    match (signed_in_user, &request.hinted_subject) {
        (None, _) => false, // nobody to sign out
        (Some(user), Some(hinted)) => user != hinted,
        (Some(_), None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::oauth::authorize::AuthorizeError;
    use crate::engine::test_support::*;
    use crate::native::NativeSigner;

    fn logout_parse(f: &CodeFlow, q: &str) -> Result<LogoutRequest, AuthorizeError> {
        let mut client = web_app();
        client.post_logout_redirect_uris = vec!["https://app.example.com/bye".into()];
        let lookup = |id: String| {
            let client = client.clone();
            async move { Ok((id == client.client_id).then_some(client)) }
        };
        pollster::block_on(parse(&query(q), &f.config, &NativeSigner, &f.keys, lookup))
    }

    #[test]
    fn rp_initiated_logout_2_hint_verified_and_only_registered_redirects() {
        let f = code_flow();
        let implicit = format!("{BASE}&response_type=id_token&scope=openid&nonce=n");
        let hint = param(&authorize(&f, &web_app(), &implicit, NOW), "id_token").unwrap().to_owned();
        let bye = urlencode("https://app.example.com/bye");
        let ok = logout_parse(&f, &format!("id_token_hint={hint}&post_logout_redirect_uri={bye}&state=s1")).unwrap();
        assert_eq!(ok.client_id.as_deref(), Some("web"), "the hint's audience names the client");
        assert_eq!(ok.hinted_subject.as_deref(), Some(alice().id.as_str()));
        assert_eq!(ok.destination(&f.config), "https://app.example.com/bye?state=s1");
        assert!(!needs_confirmation(&ok, Some(&alice().id)), "the hint names the signed-in person");
        assert!(needs_confirmation(&ok, Some("someone-else")));
        // client_id and a registered URI without a hint (§2): the person confirms.
        let bare = logout_parse(&f, &format!("client_id=web&post_logout_redirect_uri={bye}")).unwrap();
        assert!(needs_confirmation(&bare, Some(&alice().id)));
        assert!(!needs_confirmation(&bare, None), "nobody signed in: nothing to confirm");
        let page = |r: Result<_, AuthorizeError>| matches!(r, Err(AuthorizeError::Page { .. }));
        let evil = urlencode("https://evil.example.com/");
        assert!(page(logout_parse(&f, &format!("client_id=web&post_logout_redirect_uri={evil}"))), "unregistered");
        assert!(page(logout_parse(&f, &format!("post_logout_redirect_uri={bye}"))), "whose URI?");
        assert!(page(logout_parse(&f, &format!("id_token_hint={hint}x"))), "bad signature");
        assert!(page(logout_parse(&f, &format!("id_token_hint={hint}&client_id=spa"))), "client mismatch");
        assert_eq!(logout_parse(&f, "").unwrap().destination(&f.config), "http://127.0.0.1:8787/");
    }

    #[test]
    fn rfc9068_2_1_an_access_token_is_not_an_id_token_hint() {
        let f = code_flow();
        let code = param(&authorize(&f, &web_app(), &format!("{BASE}&response_type=code&scope=openid"), NOW), "code")
            .unwrap()
            .to_owned();
        let access = redeem(&f, &code, "", NOW).unwrap().access_token;
        let refused = logout_parse(&f, &format!("id_token_hint={access}"));
        assert!(matches!(refused, Err(AuthorizeError::Page { .. })), "{refused:?}");
    }
}
