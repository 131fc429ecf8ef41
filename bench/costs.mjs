// `make bench`'s cost rows: what one request of an endpoint is billed on the Workers Paid
// plan, beside workers-oauth-provider's refresh in the same run. Storage is counted, not
// guessed: our worker's `Server-Timing` carries the isolate's totals of D1 rows read and
// written (D1's own result metadata) and KV reads and write-priced calls (put, delete,
// list), work after the answer included (`waitUntil`); the peer's KV binding is wrapped by
// a counter (bench/peer-worker.js, `/counts`). A run of sequential requests is measured
// between two readings. CPU time is the isolate time per request of the same endpoint's
// wrk run (1000 / requests per second on one isolate: an upper bound, it includes the
// simulated storage's work).

/** List prices, USD. Cloudflare's pricing pages (developers.cloudflare.com: Workers, D1, KV
 * "Pricing"), Workers Paid plan, beyond the included amounts, as read on 2026-12-07. */
export const PRICES = {
  request: 0.30 / 1e6,
  cpuMs: 0.02 / 1e6,
  d1RowRead: 0.001 / 1e6,
  d1RowWritten: 1.00 / 1e6,
  kvRead: 0.50 / 1e6,
  kvWrite: 5.00 / 1e6,
};

const FIELDS = ['rows_read', 'rows_written', 'kv_reads', 'kv_writes'];

/** The isolate's billed totals, from a request that touches no storage (the cached JWKS). */
async function billed(base) {
  const res = await fetch(`${base}/.well-known/jwks.json`);
  await res.arrayBuffer();
  const header = res.headers.get('server-timing') ?? '';
  const isolate = /isolate;desc="([^"]*)"/.exec(header)?.[1] ?? '';
  return Object.fromEntries(FIELDS.map((f) => [f, Number(new RegExp(`${f}=(\\d+)`).exec(isolate)?.[1] ?? NaN)]));
}

const settle = () => new Promise((r) => setTimeout(r, 1500)); // the work after the answers

/** Per request of `call(i)`, `n` times one after another: our storage counts. */
export async function ours(base, n, call) {
  const before = await billed(base);
  for (let i = 0; i < n; i += 1) {
    const res = await call(i);
    if (!res.ok) throw new Error(`cost run: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  await settle();
  const after = await billed(base);
  return Object.fromEntries(FIELDS.map((f) => [f, (after[f] - before[f]) / n]));
}

/** The same for the peer: its KV calls (it has no D1). */
export async function peer(base, n, call) {
  const counts = async () => (await fetch(`${base}/counts`)).json();
  const before = await counts();
  for (let i = 0; i < n; i += 1) {
    const res = await call(i);
    if (!res.ok) throw new Error(`peer cost run: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  await settle();
  const after = await counts();
  return { rows_read: 0, rows_written: 0, kv_reads: (after.reads - before.reads) / n, kv_writes: (after.writes - before.writes) / n };
}

/** USD per million requests of one endpoint with `storage` per request and `cpuMs`. */
export function perMillion(storage, cpuMs) {
  const one = PRICES.request + cpuMs * PRICES.cpuMs + storage.rows_read * PRICES.d1RowRead
    + storage.rows_written * PRICES.d1RowWritten + storage.kv_reads * PRICES.kvRead + storage.kv_writes * PRICES.kvWrite;
  return one * 1e6;
}

/** The table: each row `{ name, storage, cpuMs, target? }`. */
export function printCosts(rows) {
  const f = (x, d = 2) => x.toFixed(d);
  console.log('\nCost per million requests, Workers Paid list prices (bench/costs.mjs; storage counted per request, CPU from the wrk run):');
  console.log('| endpoint | D1 rows read | D1 rows written | KV reads | KV writes | CPU ms | $ per million | target |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const { name, storage: s, cpuMs, target } of rows) {
    const cost = perMillion(s, cpuMs);
    const verdict = target === undefined ? '' : `$${f(target)}: ${cost <= target ? 'met' : 'MISSED'}`;
    console.log(`| ${name} | ${f(s.rows_read, 1)} | ${f(s.rows_written, 1)} | ${f(s.kv_reads, 2)} | ${f(s.kv_writes, 2)} | ${f(cpuMs)} | $${f(cost)} | ${verdict} |`);
  }
}
