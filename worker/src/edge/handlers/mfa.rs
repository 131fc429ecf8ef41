//! The second factor's JSON calls (`/api/mfa...`): the `/mfa` step of a sign-in (the
//! `authority_mfa` challenge cookie), step-up and enrolment for a signed-in browser (the
//! session cookie). The engine decides (`identity::accounts::second_factor`); this module
//! reads cookies and bodies and writes cookies.

use shared::mfa::{BackupCodes, MfaCode, SignInStep};
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{check_csrf, cookie, read_json, sign_in_answer, sign_in_state, signed_in};
use crate::edge::respond;
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::identity::signin::errors::SignInError;
use crate::engine::identity::signin::Basis;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// The sign-in waiting for a code, else this browser's session.
async fn basis(cx: &Cx<'_>, req: &Request) -> Result<Basis, ApiError> {
    sign_in_state(req, cx, true).await?.ok_or_else(|| SignInError::Expired(SignInStep::Verify).into())
}

const SIGNED_OUT: &str = "Sign in to change two-step sign-in.";

/// `GET /api/mfa`: the second factor of the pending sign-in or of the session.
pub async fn status(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let basis = basis(cx, &req).await?;
    Ok(respond::json(200, &cx.accounts().mfa_status(&basis).await?))
}

/// `POST /api/mfa/totp`: a new authenticator-app secret to confirm.
pub async fn begin_totp(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let basis = basis(cx, &req).await?;
    Ok(respond::json(200, &cx.accounts().begin_totp(&basis).await?))
}

/// `POST /api/mfa/totp/confirm {"code"}`: the app confirmed, backup codes made.
pub async fn confirm_totp(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    check_csrf(&req, config)?;
    let previous = cookie(&req, config, SESSION_COOKIE);
    let body: MfaCode = read_json(&mut req).await?;
    let basis = basis(cx, &req).await?;
    let (backup_codes, outcome) = cx.accounts().confirm_totp(basis, &body.code, previous.as_deref()).await?;
    Ok(sign_in_answer(&req, config, outcome, cx.now, |csrf_token, _, step| BackupCodes {
        backup_codes,
        csrf_token: Some(csrf_token),
        step,
    })?)
}

/// `POST /api/mfa/disable {"code"}`.
pub async fn disable(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: MfaCode = read_json(&mut req).await?;
    let (session, _) = signed_in(&req, cx, SIGNED_OUT).await?;
    cx.accounts().disable_mfa(&session, &body.code).await?;
    Ok(respond::empty(204))
}

/// `POST /api/mfa/backup-codes {"code"}`: ten new backup codes.
pub async fn backup_codes(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: MfaCode = read_json(&mut req).await?;
    let (session, _) = signed_in(&req, cx, SIGNED_OUT).await?;
    let backup_codes = cx.accounts().regenerate_backup_codes(&session, &body.code).await?;
    Ok(respond::json(200, &BackupCodes { backup_codes, csrf_token: None, step: None }))
}
