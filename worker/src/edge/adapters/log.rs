//! The log (docs/operations.md, "Reading the logs"): what the engine and the edge say
//! through the `log` facade, written to the Workers console — which `wrangler tail`,
//! `wrangler dev` and Workers Logs show — at `LOG_LEVEL`:
//!
//! - `error`: what failed (a storage call, a configuration that does not load, a
//!   delivery given up);
//! - `warn` (the default): and what an operator should fix or watch (settings set but not read or
//!   unknown, a delivery attempt that failed and will be retried);
//! - `info`: and one line per answer, `POST /token 200 14ms` (the path
//!   only: a query may carry a code or a token);
//! - `debug`: and each answer's storage calls (D1 and KV calls and time, sequential depth).

use log::{Level, LevelFilter, Log, Metadata, Record};
use worker::{console_debug, console_error, console_log, console_warn};

struct Console;

impl Log for Console {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        match record.level() {
            Level::Error => console_error!("error: {}", record.args()),
            Level::Warn => console_warn!("warn: {}", record.args()),
            Level::Info => console_log!("{}", record.args()),
            Level::Debug | Level::Trace => console_debug!("debug: {}", record.args()),
        }
    }

    fn flush(&self) {}
}

static CONSOLE: Console = Console;

/// Before the configuration is read (an isolate's first event): `warn`, the default.
pub fn install() {
    if log::set_logger(&CONSOLE).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

/// `LOG_LEVEL` as the configuration just read says.
pub fn set_level(level: LevelFilter) {
    install();
    log::set_max_level(level);
}
