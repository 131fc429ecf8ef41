//! Round trips to storage, counted per request: how many D1 and KV calls a request makes,
//! how long they took, and their sequential depth — the number of times the request
//! waited on storage with nothing else in flight, which is what a Worker far from its
//! database pays a network round trip for. `SERVER_TIMING=true` shows them in a
//! `Server-Timing` header (W3C Server Timing); `STORAGE_DELAY_MS` (benchmarks only) adds
//! a fixed delay to every call, as a distant database would.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

thread_local! {
    /// What this isolate has been billed for since it started, every request and the
    /// work after their answers together (`waitUntil`: rate-limit counts, metrics,
    /// deliveries): D1 rows read and written, KV reads and write-priced operations.
    /// `make bench` reads it before and after a run of one endpoint for its cost.
    static BILLED: Cell<[u64; 4]> = const { Cell::new([0; 4]) };
}

fn bill(i: usize, n: u64) {
    BILLED.with(|b| {
        let mut totals = b.get();
        if let Some(total) = totals.get_mut(i) {
            *total += n;
        }
        b.set(totals);
    });
}

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
    /// D1's own count of rows read and written (each index entry is a row), what D1 bills.
    rows_read: Cell<u64>,
    rows_written: Cell<u64>,
    /// KV operations billed at the write price: put, delete, list (the rest are reads).
    kv_writes: Cell<u32>,
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
        if store == Store::Kv {
            bill(2, 1); // every KV call; kv_reads below takes the write-priced ones out
        }
        result
    }

    /// D1's `meta.rows_read` / `rows_written` of one statement's result.
    pub fn add_rows(&self, read: u64, written: u64) {
        self.rows_read.set(self.rows_read.get() + read);
        self.rows_written.set(self.rows_written.get() + written);
        bill(0, read);
        bill(1, written);
    }

    /// One KV call billed as a write (put, delete, list).
    pub fn kv_write(&self) {
        self.kv_writes.set(self.kv_writes.get() + 1);
        bill(3, 1);
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

    /// The `Server-Timing` value: `d1;dur=…;desc="calls=N", kv;…, storage;desc="depth=N"`,
    /// what the platform bills for them: `billed;desc="rows_read=N rows_written=N
    /// kv_reads=N kv_writes=N"`, and the isolate's totals so far (`isolate;desc=…`).
    pub fn header(&self) -> String {
        let kv_writes = self.kv_writes.get();
        let isolate = BILLED.with(Cell::get);
        format!(
            "d1;dur={:.1};desc=\"calls={}\", kv;dur={:.1};desc=\"calls={}\", storage;desc=\"depth={}\", \
billed;desc=\"rows_read={} rows_written={} kv_reads={} kv_writes={}\", \
isolate;desc=\"rows_read={} rows_written={} kv_reads={} kv_writes={}\"",
            self.d1_ms.get(),
            self.d1_calls.get(),
            self.kv_ms.get(),
            self.kv_calls.get(),
            self.depth.get(),
            self.rows_read.get(),
            self.rows_written.get(),
            self.kv_calls.get().saturating_sub(kv_writes),
            kv_writes,
            isolate[0],
            isolate[1],
            isolate[2].saturating_sub(isolate[3]),
            isolate[3],
        )
    }
}
