//! Configuration from the Worker's `env`, parsed once per isolate.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::engine::platform::config::Config;
use crate::engine::platform::error::ConfigError;

thread_local! {
    /// Vars and secrets are fixed for an isolate's life, so a parsed config is kept.
    /// Failures are not cached: they are cheap to recompute and the log should see each.
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

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

pub fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    if let Some(config) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(config);
    }
    let config = Rc::new(Config::load(&|name: &'static str| read_var(env, name))?);
    CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
    Ok(config)
}
