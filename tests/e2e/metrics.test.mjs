// End-to-end: /metrics in the Prometheus text format (0.0.4), for METRICS_TOKEN or an
// admin token: every sample belongs to a declared metric, counters move with what
// happens (a sign-in, a failed one, a token), and the counts reach D1 so they outlive
// the isolate. The console's dashboard draws the same activity: counts, sign-in charts,
// recent events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');

const ROOT_EMAIL = 'root@example.com';
const ROOT_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-cli-secret-0123456789abcdef0123';
const METRICS_TOKEN = 'e2e-metrics-token-0123456789abcdef0123456789';
let worker;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD,
    ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET, METRICS_TOKEN } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

/** Parses the exposition strictly: `# HELP`/`# TYPE` lines, then `name{labels} value`. */
function parse(text) {
  const types = new Map();
  const samples = new Map();
  for (const line of text.split('\n').filter(Boolean)) {
    const declared = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/);
    if (declared) {
      if (declared[1] === 'TYPE') types.set(declared[2], declared[3]);
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/);
    assert.ok(sample, `not a Prometheus sample line: ${line}`);
    assert.ok(types.has(sample[1]), `${sample[1]} has no # TYPE before it`);
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return { types, samples };
}

async function scrape() {
  const res = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

async function signIn(password) {
  const info = await fetch(`${worker.url}/api/session`);
  const csrf = (await info.json()).csrf_token;
  const res = await fetch(`${worker.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': csrf, cookie: `authority_csrf=${csrf}` },
  body: JSON.stringify({ email: ROOT_EMAIL, password }) });
  return res.status;
}

test('/metrics answers METRICS_TOKEN or an admin token, nobody else', async () => {
  assert.equal((await fetch(`${worker.url}/metrics`)).status, 401);
  const wrong = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
  assert.equal(wrong.status, 401);
  const token = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  const admin = (await token.json()).access_token;
  const asAdmin = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(asAdmin.status, 200);
  assert.equal(asAdmin.headers.get('cache-control'), 'no-store');
  const { types } = parse(await asAdmin.text());
  for (const [name, type] of [['authority_tokens_issued_total', 'counter'], ['authority_active_sessions', 'gauge'],
    ['authority_signing_key_age_seconds', 'gauge'], ['authority_rate_limited_total', 'counter']]) {
    assert.equal(types.get(name), type, name);
  }
});

test('counters move with sign-ins, failures and tokens, and reach D1', async () => {
  const before = (await scrape()).samples;
  const at = (samples, key) => samples.get(key) ?? 0;
  assert.equal(await signIn(ROOT_PASSWORD), 200);
  assert.equal(await signIn('wrong password'), 401);
  const issued = `authority_tokens_issued_total{grant="client_credentials",client="${ADMIN_ID}"}`;
  const token = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  assert.equal(token.status, 200);
  const refused = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  assert.equal(refused.status, 401);
  const after = (await scrape()).samples;
  const login = 'authority_audit_events_total{event="user.login"}';
  const failed = 'authority_audit_events_total{event="user.login_failed"}';
  assert.equal(at(after, login), at(before, login) + 1, login);
  assert.equal(at(after, failed), at(before, failed) + 1, failed);
  assert.equal(at(after, issued), at(before, issued) + 1, issued);
  const invalid = 'authority_token_errors_total{error="invalid_client"}';
  assert.equal(at(after, invalid), at(before, invalid) + 1, invalid);
  assert.ok(at(after, 'authority_active_sessions') >= 1);
  // The isolate adds its counts to D1 after answering, at most every 10 s: the first
  // flush ran after the first request.
  let rows = [];
  for (let i = 0; i < 50 && rows.length === 0; i++) {
    rows = await worker.query("SELECT labels, value FROM metric_counters WHERE name = 'authority_tokens_issued_total'");
    if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(rows.length >= 1, 'counts reach D1');
});

test('the console\'s dashboard: counts, sign-ins and failures charted per hour and day, recent events', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await openConsole(page, `${worker.url}/admin`, ROOT_EMAIL, ROOT_PASSWORD, 'Dashboard');
    const glance = page.getByRole('region', { name: 'At a glance' });
    await glance.getByText('Users').waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('dl.facts dd')].slice(0, 3)
      .every((dd) => /^\d+$/.test(dd.textContent)), null, { timeout: 15_000 });
    // Two sign-ins (this one and the API's) and one failure today, in the hourly chart.
    const hourly = page.getByRole('img', { name: /^Sign-ins per hour, last 24 hours: \d+ sign-ins and 1 failures/ });
    await hourly.waitFor({ timeout: 15_000 });
    const daily = page.getByRole('region', { name: 'Sign-ins per day, last 30 days' });
    await daily.getByText('Show the numbers').click();
    assert.equal(await daily.getByRole('row').count(), 31, 'a header and 30 days');
    await page.getByRole('list', { name: 'Recent security events' }).getByText('user.login', { exact: true }).first().waitFor();
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-dashboard.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
