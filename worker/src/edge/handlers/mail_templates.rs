//! The mail templates over the admin API (docs/i18n.md, "Mail templates"): list, save,
//! reset, preview (`engine::admin::mail_templates`).

use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::read_json;
use crate::edge::respond;
use crate::engine::admin::mail_templates::MailTemplateAdmin;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// `GET /api/mail-templates` (an admin token): every template in every language.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let all = MailTemplateAdmin { rc: cx.request_context(), admin: &admin }.list().await?;
    Ok(respond::set_no_store(respond::json(200, &all)))
}

/// `PUT /api/mail-templates/{name}/{locale}` (a super_admin's token): the edit, checked and saved.
pub async fn save(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let edit = read_json(&mut req).await?;
    let saved =
        MailTemplateAdmin { rc: cx.request_context(), admin: &admin }.save(m.param(0), m.param(1), edit).await?;
    Ok(respond::set_no_store(respond::json(200, &saved)))
}

/// `DELETE /api/mail-templates/{name}/{locale}` (a super_admin's token): the built-in one again.
pub async fn reset(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let built_in = MailTemplateAdmin { rc: cx.request_context(), admin: &admin }.reset(m.param(0), m.param(1)).await?;
    Ok(respond::set_no_store(respond::json(200, &built_in)))
}

/// `POST /api/mail-templates/{name}/{locale}/preview` (an admin token): the edit rendered
/// with sample values.
pub async fn preview(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let edit = read_json(&mut req).await?;
    let shown =
        MailTemplateAdmin { rc: cx.request_context(), admin: &admin }.preview(m.param(0), m.param(1), edit).await?;
    Ok(respond::set_no_store(respond::json(200, &shown)))
}
