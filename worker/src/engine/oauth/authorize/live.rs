//! `/authorize` for a returning person in one round trip (docs/storage.md, "One trip per
//! grant"). The code cannot wait for the reads: it is prepared from the request parsed
//! with the client this isolate read last ([`ClientMemo`]), written in the batch that
//! reads the client afresh, the session's user and their consent
//! (`oauth::store::authorize_in_one_trip`), and kept ([`kept`]) only if the fresh client
//! parses the request the same way and the row is the very one [`prepare_code`] makes
//! for the session and the decision; otherwise it is deleted and the answer takes the
//! two-trip path. The memo is never trusted: it only guesses what the batch confirms.

use std::cell::RefCell;
use std::collections::HashMap;

use super::issue::{prepare_code, PreparedCode};
use super::request::{self, Via};
use super::AuthorizationRequest;
use crate::engine::clients::Client;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::ADMIN_SCOPE;
use crate::engine::oauth::codes;
use crate::engine::oauth::resources::TargetResource;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{Random, UnixMillis};
use crate::engine::tables::authorization_codes::FromSession;

/// Past this many clients the memo starts again (it stays small; a miss costs one trip).
const MEMO_CLIENTS: usize = 512;

/// A client id and the resources a request named.
type MemoKey = (String, Vec<String>);

thread_local! {
    /// The clients (with the resources a request named) this isolate read last.
    static MEMO: RefCell<HashMap<MemoKey, (Client, Vec<TargetResource>)>> = RefCell::new(HashMap::new());
}

/// This isolate's memory of the clients `/authorize` read.
pub struct ClientMemo;

impl ClientMemo {
    /// What was read last for `client_id` and the `named` resources.
    pub fn recall(client_id: &str, named: &[String]) -> Option<(Client, Vec<TargetResource>)> {
        MEMO.with(|m| m.borrow().get(&(client_id.to_owned(), named.to_vec())).cloned())
    }

    /// Keeps what the batch read.
    pub fn keep(named: &[String], client: &Client, known: &[TargetResource]) {
        MEMO.with(|m| {
            let mut memo = m.borrow_mut();
            if memo.len() >= MEMO_CLIENTS {
                memo.clear();
            }
            memo.insert((client.client_id.clone(), named.to_vec()), (client.clone(), known.to_vec()));
        });
    }
}

/// A code prepared before anything was read, and the request it was prepared for.
pub struct Speculation {
    pub request: AuthorizationRequest,
    pub code: PreparedCode,
}

/// The speculative code for `params` in the session whose id hash is `session_hash`,
/// when the memo knows the client and the request is one [`prepare_code`] may answer
/// with a code; its user, auth time and methods are left for the SQL to take from the
/// session row.
pub fn speculate(
    config: &Config,
    params: &Form,
    via: Via,
    session_hash: &str,
    rng: &impl Random,
    now_ms: UnixMillis,
) -> Result<Option<Speculation>, InternalError> {
    let named = crate::engine::oauth::resources::requested(params).unwrap_or_default();
    let Some((client, known)) = params.get("client_id").and_then(|id| ClientMemo::recall(id, &named)) else {
        return Ok(None);
    };
    let Ok(request) = request::parse(params, Some(&client), &known, config, now_ms, via) else { return Ok(None) };
    if !request.response_type.code || request.scope.iter().any(|s| s == ADMIN_SCOPE) {
        return Ok(None);
    }
    let now = now_ms.div_euclid(1000);
    let placeholder = Session {
        id_hash: session_hash.to_owned(),
        user_id: String::new(),
        auth_time: 0,
        auth_time_ms: None,
        amr: Vec::new(),
        created_at: now,
        last_seen_at: now,
        expires_at: now,
        ip_address: None,
        user_agent: None,
        location: None,
    };
    let row = super::issue::code_row(config, &request, &client, "", request.scope.join(" "), &placeholder, now);
    let (plaintext, row) = codes::mint(row, rng)?;
    Ok(Some(Speculation { request, code: PreparedCode { plaintext, row } }))
}

/// The speculative code, if the batch stored it and it is exactly the code
/// [`prepare_code`] makes now for `request` (parsed with the fresh client) in `session`
/// (a request straight from the app: no account was picked on a screen yet).
pub fn kept(
    config: &Config,
    speculation: &Speculation,
    stored: Option<&FromSession>,
    request: &AuthorizationRequest,
    client: &Client,
    session: &Session,
    rng: &impl Random,
) -> Result<Option<PreparedCode>, InternalError> {
    let Some(stored) = stored else { return Ok(None) };
    if speculation.request != *request {
        return Ok(None);
    }
    let now = speculation.code.row.created_at;
    let Some(fresh) = prepare_code(config, request, client, session, false, rng, now)? else {
        return Ok(None);
    };
    let mut row = speculation.code.row.clone();
    row.user_id.clone_from(&stored.user_id);
    row.auth_time = crate::engine::platform::ports::int(stored.auth_time);
    row.amr.clone_from(&stored.amr);
    let same = codes::AuthorizationCode { code_hash: row.code_hash.clone(), ..fresh.row } == row;
    Ok(same.then(|| PreparedCode { plaintext: speculation.code.plaintext.clone(), row }))
}
