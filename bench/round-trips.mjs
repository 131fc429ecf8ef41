// The round-trip table of `make bench`: each endpoint called once against a server with
// SERVER_TIMING=true, its D1 and KV calls and their sequential depth read from the
// Server-Timing header (worker/src/edge/adapters/trips.rs); then the same calls against a
// server whose every storage call waits STORAGE_DELAY_MS first, as from a Worker far from
// its database, timed end to end (median of a few calls).

/** `{ d1, kv, depth }` of a Server-Timing header. */
export function parseServerTiming(header) {
  const calls = (name) => Number(new RegExp(`${name};[^,]*desc="calls=(\\d+)"`).exec(header ?? '')?.[1] ?? NaN);
  return { d1: calls('d1'), kv: calls('kv'), depth: Number(/depth=(\d+)/.exec(header ?? '')?.[1] ?? NaN) };
}

/**
 * Each case `{ name, call: () => Promise<Response>, target? }` `times` times; the rows
 * with the median calls and depth and the largest depth seen (an isolate's rate-limit
 * counter reads KV on some requests only, every tenth of the limit). `target` is the
 * ceiling on the depth, when one is set.
 */
export async function roundTrips(cases, times = 5) {
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = [];
  for (const c of cases) {
    const samples = [];
    for (let i = 0; i < times; i++) {
      const res = await c.call();
      await res.arrayBuffer();
      samples.push(parseServerTiming(res.headers.get('server-timing')));
    }
    const of = (key) => median(samples.map((t) => t[key]));
    rows.push({ name: c.name, target: c.target, d1: of('d1'), kv: of('kv'), depth: of('depth'),
      maxDepth: Math.max(...samples.map((t) => t.depth)) });
  }
  return rows;
}

/** The median wall time of `times` sequential calls of each case. */
export async function latencies(cases, times = 5) {
  const rows = [];
  for (const c of cases) {
    const samples = [];
    for (let i = 0; i < times; i++) {
      const started = performance.now();
      const res = await c.call(i);
      await res.arrayBuffer();
      samples.push(performance.now() - started);
      if (res.status >= 400) throw new Error(`${c.name}: ${res.status}`);
    }
    samples.sort((a, b) => a - b);
    rows.push({ name: c.name, ms: samples[Math.floor(samples.length / 2)] });
  }
  return rows;
}

export function printRoundTrips(rows, delayed, delayMs) {
  console.log('\nStorage round trips per request (Server-Timing, SERVER_TIMING=true; median of 5 calls, the largest depth');
  console.log('seen in parentheses when it differs), and the latency when every D1 and KV call');
  console.log(`waits ${delayMs} ms first (STORAGE_DELAY_MS, a Worker far from its data), median of 5:\n`);
  console.log(`| endpoint | D1 calls | KV calls | sequential depth | target depth | latency with +${delayMs} ms per call |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const late = delayed.find((d) => d.name === r.name);
    const target = r.target === undefined ? '' : `≤ ${r.target}${r.depth <= r.target ? ' (met)' : ' (MISSED)'}`;
    const depth = r.maxDepth > r.depth ? `${r.depth} (${r.maxDepth})` : `${r.depth}`;
    console.log(`| ${r.name} | ${r.d1} | ${r.kv} | ${depth} | ${target} | ${late ? `${late.ms.toFixed(0)} ms` : ''} |`);
  }
}
