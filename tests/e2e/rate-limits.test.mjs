// End-to-end: RATE_LIMIT_TOKEN_* on the token family and /register (docs/api.md "Errors",
// X-RateLimit-* headers), RATE_LIMIT_BY and RATE_LIMIT_WHITELIST, and
// how exact a KV counter is under concurrent requests (docs/configuration.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';

const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const WINDOW = 3600;
const workers = [];
after(async () => {
  for (const w of workers) {
    if (process.env.E2E_DEBUG) console.log(w.logs());
    await w.stop();
  }
});

async function start(vars) {
  const w = await startWorker({ vars: { DEMO_CLIENT_SECRET: DEMO_SECRET, RATE_LIMIT_TOKEN_WINDOW: String(WINDOW), ...vars } });
  workers.push(w);
  return w;
}

/** Waits out the last seconds of a fixed window, so one test's requests share one window. */
async function freshWindow() {
  const left = WINDOW - (Math.floor(Date.now() / 1000) % WINDOW);
  if (left < 30) await new Promise((r) => setTimeout(r, (left + 1) * 1000));
}

const basic = `Basic ${Buffer.from(`demo-app:${DEMO_SECRET}`).toString('base64')}`;
const form = (url, path, body, headers = {}) => fetch(`${url}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body),
});
const clientCredentials = (url) => form(url, '/token', { grant_type: 'client_credentials' }, { authorization: basic });

test('RATE_LIMIT_TOKEN_MAX requests per window, then 429 with Retry-After and X-RateLimit-*, on every endpoint of the family', async () => {
  const w = await start({ RATE_LIMIT_TOKEN_MAX: '5' });
  await freshWindow();
  for (let i = 1; i <= 5; i++) {
    const res = await clientCredentials(w.url);
    assert.equal(res.status, 200, `request ${i}`);
    assert.equal(res.headers.get('x-ratelimit-limit'), '5');
    assert.equal(res.headers.get('x-ratelimit-remaining'), String(5 - i));
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    assert.equal(reset % WINDOW, 0, 'the end of the fixed window, in Unix seconds');
  }
  const refused = await clientCredentials(w.url);
  assert.equal(refused.status, 429);
  const retryAfter = Number(refused.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= WINDOW, `${retryAfter}`);
  assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
  const body = await refused.json();
  assert.equal(body.error, 'rate_limit_exceeded');
  assert.equal(body.retry_after, retryAfter);
  assert.match(body.error_description, /retry after \d+ seconds/);
  // The same budget covers the whole family and registration, from this address.
  for (const [path, params] of [['/device', { client_id: 'demo-tv' }], ['/token/introspect', { token: 'x' }],
    ['/token/revoke', { token: 'x' }]]) {
    assert.equal((await form(w.url, path, params, { authorization: basic })).status, 429, path);
  }
  const register = await fetch(`${w.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(register.status, 429, '/register');
});

test('RATE_LIMIT_WHITELIST: a listed address is never limited', async () => {
  const w = await start({ RATE_LIMIT_TOKEN_MAX: '2', RATE_LIMIT_WHITELIST: '127.0.0.0/8, ::1/128' });
  await freshWindow();
  for (let i = 0; i < 6; i++) {
    const res = await clientCredentials(w.url);
    assert.equal(res.status, 200, `request ${i + 1}`);
    assert.equal(res.headers.get('x-ratelimit-limit'), null, 'not limited, so no quota to tell');
  }
});

test('concurrency: 40 parallel requests against a limit of 10 (RATE_LIMIT_BY=client): exactly 10 pass in one isolate', async () => {
  const w = await start({ RATE_LIMIT_TOKEN_MAX: '10', RATE_LIMIT_BY: 'client' });
  await freshWindow();
  const results = {};
  for (const n of [10, 40]) {
    // A fresh client per round: RATE_LIMIT_BY=client counts per client_id.
    const clientId = n === 10 ? 'demo-app' : 'demo-tv';
    const send = () => clientId === 'demo-app'
      ? clientCredentials(w.url)
      : form(w.url, '/device', { client_id: 'demo-tv' });
    const statuses = await Promise.all(Array.from({ length: n }, send).map((p) => p.then((r) => r.status)));
    results[n] = statuses.filter((s) => s !== 429).length;
    assert.ok(statuses.every((s) => s === 200 || s === 429), JSON.stringify(statuses));
  }
  // One isolate (Miniflare, like wrangler dev, runs one): its own tally makes the limit exact, though
  // every request read KV before any count was written (KV alone let all 40 through).
  console.log(`rate-limit accuracy: limit 10, 40 parallel requests -> ${results[40]} passed`);
  assert.equal(results[10], 10, 'a burst of exactly the limit all passes');
  assert.equal(results[40], 10, `${results[40]} of 40 passed`);
  // Afterwards, sequential requests see the isolate's count at once: the next is refused.
  assert.equal((await form(w.url, '/device', { client_id: 'demo-tv' })).status, 429);
});
