//! Settings over the admin API (`/api/settings`, docs/configuration.md): the engine's
//! `admin::settings` behind an admin token; a change applies in this isolate at once and
//! in the others within `adapters::env::SETTINGS_CACHE_SECONDS`.

use std::collections::BTreeMap;

use worker::{Request, Response};

use crate::edge::adapters::env;
use crate::edge::context::Cx;
use crate::edge::request::read_json;
use crate::edge::respond;
use crate::engine::admin::settings::SettingsAdmin;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// `GET /api/settings`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let vars = env::vars(cx.env);
    let settings = SettingsAdmin { rc: cx.request_context(), vars: &vars, admin: &admin };
    Ok(respond::json(200, &settings.list().await?))
}

/// `PATCH /api/settings`: the changes, then every setting as `GET` shows it.
pub async fn update(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let vars = env::vars(cx.env);
    let settings = SettingsAdmin { rc: cx.request_context(), vars: &vars, admin: &admin };
    let changes: BTreeMap<String, Option<String>> = read_json(&mut req).await?;
    let overrides = settings.update(&changes).await?;
    env::settings_changed(cx.env, &overrides)?;
    Ok(respond::json(200, &settings.list().await?))
}
