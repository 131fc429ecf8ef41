//! Round trips to storage, counted per request: how many D1 and KV calls a request makes,
//! how long they took, and their sequential depth — the number of times the request
//! waited on storage with nothing else in flight, which is what a Worker far from its
//! database pays a network round trip for. `SERVER_TIMING=true` shows them in a
//! `Server-Timing` header (W3C Server Timing); `STORAGE_DELAY_MS` (benchmarks only) adds
//! a fixed delay to every call, as a distant database would.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

/// Which store a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    D1,
    Kv,
}

/// One request's storage calls.
#[derive(Debug, Default)]
pub struct Trips {
    d1_calls: Cell<u32>,
    kv_calls: Cell<u32>,
    d1_ms: Cell<f64>,
    kv_ms: Cell<f64>,
    depth: Cell<u32>,
    in_flight: Cell<u32>,
    delay_ms: u32,
}

impl Trips {
    pub fn new(delay_ms: u32) -> Trips {
        Trips { delay_ms, ..Trips::default() }
    }

    /// Runs one storage call, counting it.
    pub async fn around<T>(&self, store: Store, call: impl Future<Output = T>) -> T {
        if self.in_flight.get() == 0 {
            self.depth.set(self.depth.get() + 1);
        }
        self.in_flight.set(self.in_flight.get() + 1);
        if self.delay_ms > 0 {
            worker::Delay::from(Duration::from_millis(u64::from(self.delay_ms))).await;
        }
        let started = js_sys::Date::now();
        let result = call.await;
        let took = js_sys::Date::now() - started + f64::from(self.delay_ms);
        self.in_flight.set(self.in_flight.get().saturating_sub(1));
        let (calls, ms) = match store {
            Store::D1 => (&self.d1_calls, &self.d1_ms),
            Store::Kv => (&self.kv_calls, &self.kv_ms),
        };
        calls.set(calls.get() + 1);
        ms.set(ms.get() + took);
        result
    }

    /// For the debug log: `d1 3 calls 2.1ms, kv 1 call 0.4ms, depth 2`.
    pub fn summary(&self) -> String {
        format!(
            "d1 {} calls {:.1}ms, kv {} calls {:.1}ms, depth {}",
            self.d1_calls.get(),
            self.d1_ms.get(),
            self.kv_calls.get(),
            self.kv_ms.get(),
            self.depth.get()
        )
    }

    /// The `Server-Timing` value: `d1;dur=…;desc="calls=N", kv;…, storage;desc="depth=N"`.
    pub fn header(&self) -> String {
        format!(
            "d1;dur={:.1};desc=\"calls={}\", kv;dur={:.1};desc=\"calls={}\", storage;desc=\"depth={}\"",
            self.d1_ms.get(),
            self.d1_calls.get(),
            self.kv_ms.get(),
            self.kv_calls.get(),
            self.depth.get()
        )
    }
}
