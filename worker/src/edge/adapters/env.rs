//! Configuration from the Worker's `env` and the run-time settings in D1, parsed once and
//! kept per isolate.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::edge::adapters::db;
use crate::edge::adapters::WorkerClock;
use crate::engine::admin::settings::{as_overrides, load_runtime};
use crate::engine::platform::config::{ClientRateLimits, Config, Overlay, VarSource};
use crate::engine::platform::error::{ConfigError, InternalError};
use crate::engine::platform::ports::{Clock, UnixTime};

thread_local! {
    /// The effective configuration: vars and secrets (fixed for an isolate's life) with the
    /// run-time settings of D1's `settings` table on top, as last read. Failures are not
    /// cached: they are cheap to recompute and the log should see each.
    static CONFIG: RefCell<Option<Cached>> = const { RefCell::new(None) };
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
    /// Whether this isolate has logged the settings it does not read (once).
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

struct Cached {
    config: Rc<Config>,
    fetched_at: UnixTime,
}

/// How long an isolate uses the settings it read before reading them again (after the
/// answer, so no request waits): a change made elsewhere reaches every isolate within
/// this, the isolate that made it at once.
pub const SETTINGS_CACHE_SECONDS: UnixTime = 30;

/// `[vars]` may hold strings or, if someone writes `CODE_TTL = 600` without quotes, JSON
/// numbers and booleans; both are read as their text. Secrets are always strings.
fn read_var(env: &Env, name: &str) -> Option<String> {
    let value = Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok()?;
    if let Some(s) = value.as_string() {
        Some(s)
    } else if let Some(n) = value.as_f64() {
        Some(if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() })
    } else {
        value.as_bool().map(|b| b.to_string())
    }
}

/// The Worker's vars and secrets.
pub struct EnvVars<'a>(&'a Env);

impl VarSource for EnvVars<'_> {
    fn var(&self, name: &'static str) -> Option<String> {
        read_var(self.0, name)
    }

    /// Every key of `env` whose value is text, a number or a flag: vars and secrets, not
    /// the bindings (D1, KV, Queues, assets), which are objects.
    fn names(&self) -> Vec<String> {
        let env: &JsValue = self.0.as_ref();
        js_sys::Object::keys(&js_sys::Object::from(env.clone()))
            .iter()
            .filter_map(|key| key.as_string())
            .filter(|name| read_var(self.0, name).is_some())
            .collect()
    }
}

fn build(env: &Env, overrides: &[(String, String)], limits: ClientRateLimits) -> Result<Rc<Config>, ConfigError> {
    let mut config = Config::load(&Overlay { vars: &EnvVars(env), overrides })?;
    config.client_rate_limits = limits;
    super::log::set_level(config.log_level);
    Ok(Rc::new(config))
}

fn keep(config: Rc<Config>) {
    let fetched_at = WorkerClock.now();
    CONFIG.with(|c| *c.borrow_mut() = Some(Cached { config, fetched_at }));
}

/// The run-time settings and the clients' own rate limits (one round trip).
async fn read_runtime(env: &Env) -> Result<(Vec<(String, String)>, ClientRateLimits), InternalError> {
    let (rows, limits) = load_runtime(&db(env)?).await?;
    Ok((as_overrides(&rows, &vars(env)), limits))
}

/// Reads the settings again and keeps the configuration they give.
async fn refresh(env: &Env) -> Result<Rc<Config>, ConfigError> {
    match read_runtime(env).await {
        Ok((overrides, limits)) => {
            let config = build(env, &overrides, limits)?;
            keep(config.clone());
            Ok(config)
        }
        // D1 unreachable: the vars alone, not kept, so the next request reads again (and
        // with D1 down, little else works anyway).
        Err(e) => {
            log::error!("settings could not be read, the vars alone apply: {}", e.detail());
            build(env, &[], Vec::new())
        }
    }
}

/// The effective configuration. The first request of an isolate reads the settings (one
/// D1 round trip); later ones use what was read, refreshed after the answer once it is
/// [`SETTINGS_CACHE_SECONDS`] old (`worker`'s `waitUntil`; without one, at once).
pub async fn config(env: &Env, worker: Option<&worker::Context>) -> Result<Rc<Config>, ConfigError> {
    let cached = CONFIG.with(|c| c.borrow().as_ref().map(|c| (c.config.clone(), c.fetched_at)));
    let Some((config, fetched_at)) = cached else {
        // An isolate's first configuration: say which settings it was given that change
        // nothing here (docs/configuration.md, "Settings this server does not read").
        let loaded = refresh(env).await;
        if let (Ok(config), false) = (&loaded, WARNED.with(|w| w.replace(true))) {
            for unread in &config.unread {
                log::warn!("setting {} is set but not read here; {}", unread.name, unread.instead);
            }
        }
        return loaded;
    };
    if WorkerClock.now() - fetched_at < SETTINGS_CACHE_SECONDS {
        return Ok(config);
    }
    match worker {
        Some(worker) if !REFRESHING.with(Cell::get) => {
            REFRESHING.with(|r| r.set(true));
            let env = env.clone();
            worker.wait_until(async move {
                if let Err(e) = refresh(&env).await {
                    log::error!("settings refresh: {e}");
                }
                REFRESHING.with(|r| r.set(false));
            });
            Ok(config)
        }
        Some(_) => Ok(config),
        None => refresh(env).await,
    }
}

/// After a change the configuration carries beside the vars and settings (a client's own
/// rate limits): this isolate reads them again at its next request, every other within
/// [`SETTINGS_CACHE_SECONDS`].
pub fn reread() {
    CONFIG.with(|c| *c.borrow_mut() = None);
}

/// After `PATCH /api/settings`: this isolate uses the new settings at once.
pub fn settings_changed(env: &Env, overrides: &[(String, String)]) -> Result<(), ConfigError> {
    let limits = CONFIG.with(|c| c.borrow().as_ref().map(|c| c.config.client_rate_limits.clone())).unwrap_or_default();
    keep(build(env, overrides, limits)?);
    Ok(())
}

/// The deployment's own vars and secrets, without the run-time settings.
pub fn vars(env: &Env) -> impl VarSource + '_ {
    EnvVars(env)
}
