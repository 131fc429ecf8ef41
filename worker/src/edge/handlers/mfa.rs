//! The second factor's JSON calls (`/api/mfa...`): the `/mfa` step of a sign-in (the
//! `authority_mfa` challenge cookie), step-up and enrolment for a signed-in browser (the
//! session cookie). The engine decides (`identity::accounts::second_factor`); this module
//! reads cookies and bodies and writes cookies.

use shared::codes;
use shared::mfa::{BackupCodes, MfaCode};
use shared::session::SessionInfo;
use worker::Request;
use worker::Response;

use crate::edge::context::Cx;
use crate::edge::request::{check_csrf, cookie, current, read_json, sign_in_answer, signed_in};
use crate::edge::respond;
use crate::engine::identity::accounts::second_factor::Basis;
use crate::engine::identity::mfa::challenge::{Challenge, CHALLENGE_COOKIE};
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::platform::error::ApiError;
use crate::routes::Endpoint;

/// The sign-in waiting for a code (the challenge cookie), else this browser's session.
async fn basis(cx: &Cx<'_>, req: &Request) -> Result<Basis, ApiError> {
    if let Some(challenge) =
        cookie(req, cx.config, CHALLENGE_COOKIE).and_then(|v| Challenge::open(cx.config, &v, cx.now))
    {
        return Ok(Basis::Pending(challenge));
    }
    match current(req, cx).await? {
        Some((session, _)) => Ok(Basis::Session(session)),
        None => Err(ApiError::Request {
            status: 401,
            code: codes::MFA_CHALLENGE_EXPIRED,
            description: "The sign-in waiting for a code has expired. Sign in again.".into(),
        }),
    }
}

/// `GET /api/mfa`, `POST /api/mfa/verify`, `/api/mfa/totp`, `/api/mfa/totp/confirm`,
/// `/api/mfa/disable`, `/api/mfa/backup-codes`.
pub async fn second_factor(cx: &Cx<'_>, mut req: Request, endpoint: Endpoint) -> Result<Response, ApiError> {
    let (config, now) = (cx.config, cx.now);
    let accounts = cx.accounts();
    if endpoint == Endpoint::Mfa {
        let basis = basis(cx, &req).await?;
        return Ok(respond::json(200, &accounts.mfa_status(&basis).await?));
    }
    check_csrf(&req, config)?;
    let previous = cookie(&req, config, SESSION_COOKIE);
    match endpoint {
        Endpoint::MfaVerify => {
            let body: MfaCode = read_json(&mut req).await?;
            let basis = basis(cx, &req).await?;
            let outcome = accounts.verify_second_factor(basis, &body.code, previous.as_deref()).await?;
            Ok(sign_in_answer(&req, config, outcome, now, |csrf_token, user, step| SessionInfo {
                csrf_token,
                user,
                step,
            })?)
        }
        Endpoint::MfaTotp => {
            let basis = basis(cx, &req).await?;
            Ok(respond::json(200, &accounts.begin_totp(&basis).await?))
        }
        Endpoint::MfaTotpConfirm => {
            let body: MfaCode = read_json(&mut req).await?;
            let basis = basis(cx, &req).await?;
            let (backup_codes, outcome) = accounts.confirm_totp(basis, &body.code, previous.as_deref()).await?;
            Ok(sign_in_answer(&req, config, outcome, now, |csrf_token, _, step| BackupCodes {
                backup_codes,
                csrf_token: Some(csrf_token),
                step,
            })?)
        }
        Endpoint::MfaDisable => {
            let body: MfaCode = read_json(&mut req).await?;
            let (session, _) = signed_in(&req, cx, "Sign in to change two-step sign-in.").await?;
            accounts.disable_mfa(&session, &body.code).await?;
            Ok(respond::empty(204))
        }
        _ => {
            let body: MfaCode = read_json(&mut req).await?;
            let (session, _) = signed_in(&req, cx, "Sign in to change two-step sign-in.").await?;
            let backup_codes = accounts.regenerate_backup_codes(&session, &body.code).await?;
            Ok(respond::json(200, &BackupCodes { backup_codes, csrf_token: None, step: None }))
        }
    }
}
