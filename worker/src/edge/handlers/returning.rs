//! `/authorize` for a returning person: a browser with a session cookie (docs/storage.md,
//! "One trip per grant"). The client, the session's user and consent and a speculative
//! code ([`live`]) are one D1 batch beside the session's KV read; the decision and the
//! answer are `browser`'s, as for every other request.

use worker::{Request, Response};

use super::browser::{answer, browser_session, with_document};
use crate::edge::context::Cx;
use crate::engine::oauth::authorize::live::{self, ClientMemo};
use crate::engine::oauth::authorize::{request, AuthorizeError};
use crate::engine::oauth::codes::CodeStore;
use crate::engine::oauth::store::authorize_in_one_trip;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SystemRandom;

/// `/authorize` from a browser with a session cookie, in one round trip (docs/storage.md,
/// "One trip per grant"): the client, the session's user and consent and a speculative
/// code ([`live`]) in one D1 batch beside the session's KV read.
pub(super) async fn authorize(
    cx: &Cx<'_>,
    req: &Request,
    params: &Form,
    via: request::Via,
    (client_id, named): (&str, &[String]),
    session_hash: &str,
) -> Result<Response, AuthorizeError> {
    let (config, store) = (cx.config, &cx.store);
    let speculation = live::speculate(config, params, via, session_hash, &SystemRandom, cx.now_ms)?;
    let code = speculation.as_ref().map(|s| &s.code.row);
    let reads = authorize_in_one_trip(store, client_id, named, session_hash, code);
    let (reads, session) = futures_util::future::join(reads, browser_session(cx, req)).await;
    let reads = reads?;
    let stored = speculation.as_ref().filter(|_| reads.stored.is_some()).map(|s| s.code.row.code_hash.as_str());
    let found = reads.client.map(|(client, _)| client);
    if let Some(client) = &found {
        ClientMemo::keep(named, client, &reads.known);
    }
    let answer = async {
        let client = with_document(cx, found, Some(client_id)).await?;
        let request = request::parse(params, client.as_ref(), &reads.known, config, cx.now_ms, via)?;
        let Some(client) = client else {
            return Err(AuthorizeError::page("invalid_client", "the client is not registered with this server"));
        };
        // The session's D1 row decides (its user read in the batch); KV named the same user.
        let signed_in = match (session?, reads.user) {
            (Some(session), Some(user)) if user.active && user.id == session.user_id => Some((session, user)),
            _ => None,
        };
        let kept = match (&speculation, &signed_in) {
            (Some(s), Some((session, _))) => {
                let stored = reads.stored.as_ref();
                live::kept(config, s, stored, &request, &client, session, &SystemRandom)?
            }
            _ => None,
        };
        let consent = reads.consent.filter(|_| signed_in.is_some());
        let kept_hash = kept.as_ref().map(|k| k.row.code_hash.clone());
        let response = answer(cx, &client, request, false, signed_in, consent, kept).await;
        Ok::<_, AuthorizeError>((response, kept_hash))
    };
    let (response, kept) = match answer.await {
        Ok((response, kept)) => (response, kept),
        Err(e) => (Err(e), None),
    };
    // A stored guess that was not the code handed out: nobody has seen it.
    if let Some(hash) = stored.filter(|h| kept.as_deref() != Some(*h)) {
        store.discard_code(hash).await?;
    }
    response
}
