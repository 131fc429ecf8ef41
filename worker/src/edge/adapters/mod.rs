//! The engine's ports on the Workers platform: D1 as the SQL port, KV, WebCrypto as the
//! signer, `fetch` as the mail transport, the clock, and the configuration read from `env`.

pub mod d1;
pub mod env;
pub mod http;
pub mod kv;
pub mod log;
pub mod outbound;
pub mod trips;
pub mod webcrypto;

use std::rc::Rc;

use worker::Env;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Clock, UnixMillis, UnixTime};

/// `Date.now()`: in workerd it advances only across I/O, which is all the precision
/// token lifetimes need. The only clock the worker reads (clippy.toml bans the others).
pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> UnixTime {
        self.now_ms().div_euclid(1000)
    }
}

impl WorkerClock {
    pub fn now_ms(&self) -> UnixMillis {
        js_sys::Date::now().floor() as UnixMillis
    }
}

fn binding_err(what: &str) -> impl Fn(worker::Error) -> InternalError + '_ {
    move |e| InternalError::new(format!("binding {what}: {e}"))
}

/// The D1 binding `DB` (wrangler.toml) as the engine's SQL port.
pub fn db(env: &Env) -> Result<d1::D1Store, InternalError> {
    db_counted(env, Rc::default())
}

/// The KV binding `KV` (wrangler.toml).
pub fn kv(env: &Env) -> Result<kv::Kv, InternalError> {
    kv_counted(env, Rc::default())
}

/// `DB`, its calls counted in `trips` (one request's).
pub fn db_counted(env: &Env, trips: Rc<trips::Trips>) -> Result<d1::D1Store, InternalError> {
    Ok(d1::D1Store::primary(env.d1("DB").map_err(binding_err("DB"))?, trips))
}

/// `DB` through a session that may read from a nearby replica ([`d1::D1Store::replica`]).
pub fn db_replica(env: &Env, trips: Rc<trips::Trips>) -> Result<d1::D1Store, InternalError> {
    d1::D1Store::replica(&env.d1("DB").map_err(binding_err("DB"))?, trips)
}

/// `KV`, its calls counted in `trips` (one request's).
pub fn kv_counted(env: &Env, trips: Rc<trips::Trips>) -> Result<kv::Kv, InternalError> {
    Ok(kv::Kv { store: env.kv("KV").map_err(binding_err("KV"))?, trips })
}
