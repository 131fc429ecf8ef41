// End-to-end fuzzing: thousands of generated requests against every route (the seed
// corpus in fuzz/corpus.json, one or more per route of the route table, tests/e2e/routes.json), every
// method, with mutated forms, JSON, query strings, path segments, headers and cookies,
// huge and odd values. No answer may be a 5xx, and the server must stay healthy.
// Deterministic: FUZZ_SEED picks the run (printed), FUZZ_REQUESTS how many.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-secret-0123456789abcdef0123456789';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const SEED = Number(process.env.FUZZ_SEED || Date.now() % 100000);
const REQUESTS = Number(process.env.FUZZ_REQUESTS || 3000);
const CONCURRENCY = 8;
let worker;
let corpus;
const creds = {};

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const pick = (list) => list[Math.floor(rand() * list.length)];
const chance = (p) => rand() < p;

const ODD = ['', ' ', '0', '-1', '1e309', 'null', 'true', '[]', '{}', '%', '%00', '%ff', '\u0000', '\r\n', '"', "'",
  '\\', '../../etc/passwd', '<script>alert(1)</script>', 'é', '😀', '\ud800', 'a'.repeat(5000), '9'.repeat(40),
  'javascript:alert(1)', 'http://evil.example/', '//evil.example', 'a b', 'a+b', 'a,b', 'Basic', 'Bearer ',
  'v1.AAAA.BBBB', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', '*', '$(id)', "' OR 1=1 --"];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data',
  'application/json; charset=utf-8', 'application/x-www-form-urlencoded; charset=latin1', '', 'x/y'];

/** encodeURIComponent, except that a lone surrogate (not encodable) becomes `%EF%BF%BD`. */
function enc(value) {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%EF%BF%BD';
  }
}

function oddValue() {
  if (chance(0.05)) return 'x'.repeat(70000 + Math.floor(rand() * 10000)); // over the body limits
  return pick(ODD);
}

function mutateObject(obj) {
  const out = { ...obj };
  const keys = Object.keys(out);
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.3 && keys.length) out[pick(keys)] = oddValue();
    else if (r < 0.45 && keys.length) delete out[pick(keys)];
    else if (r < 0.6) out[pick(ODD) || 'k'] = oddValue();
    else if (r < 0.75 && keys.length) out[pick(keys)] = pick([1, -1, 1.5, true, null, [], {}, [1, 'a'], { a: { b: [] } }]);
    else if (keys.length) out[pick(keys)] = String(out[pick(keys)] ?? '') + pick(ODD);
  }
  return out;
}

function formBody(obj) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) params.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  let body = params.toString();
  if (chance(0.1)) body += `&${Object.keys(obj)[0] ?? 'a'}=dup`; // a repeated parameter
  if (chance(0.05)) body += '&%zz=%';
  return body;
}

function fill(text) {
  return text.replaceAll('{client}', creds.client).replaceAll('{user}', creds.user)
    .replaceAll('{secret}', creds.secret).replaceAll('{scope}', creds.scope).replaceAll('{token}', creds.token);
}

function mutatePath(path) {
  const segments = fill(path).split('/');
  if (chance(0.3) && segments.length > 2) {
    segments[1 + Math.floor(rand() * (segments.length - 1))] = enc(pick(ODD)) || '%2F';
  }
  if (chance(0.05)) segments.push(pick(['', '..', '%2e%2e', 'x']));
  return segments.join('/');
}

/** One generated request from a seed: most keep a valid skeleton, all get something odd. */
function generate() {
  const seed = pick(corpus.requests);
  const method = chance(0.75) ? seed.method : pick(METHODS);
  let url = `${worker.url}${mutatePath(seed.path)}`;
  const query = seed.query ? (chance(0.7) ? mutateObject(seed.query) : seed.query) : (chance(0.2) ? { [pick(ODD)]: pick(ODD) } : null);
  if (query) url += `?${formBody(query)}`;
  const headers = {};
  let body;
  if (!['GET', 'HEAD'].includes(method)) {
    if (seed.form) {
      body = formBody(chance(0.8) ? mutateObject(seed.form) : seed.form);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (seed.json) {
      const value = chance(0.8) ? mutateObject(seed.json) : seed.json;
      body = chance(0.1) ? JSON.stringify(value).slice(0, -1 - Math.floor(rand() * 5)) : JSON.stringify(value);
      headers['content-type'] = 'application/json';
    } else if (chance(0.3)) {
      body = pick(ODD);
    }
    if (chance(0.1)) headers['content-type'] = pick(CONTENT_TYPES);
  }
  const auth = chance(0.85) ? seed.auth : pick(['admin', 'session', 'basic-demo', 'admin-basic', 'none', 'garbage']);
  if (auth === 'admin') headers.authorization = `Bearer ${creds.adminToken}`;
  if (auth === 'admin-basic') headers.authorization = `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`;
  if (auth === 'basic-demo') headers.authorization = `Basic ${Buffer.from(`demo-app:${DEMO_SECRET}`).toString('base64')}`;
  if (auth === 'garbage') headers.authorization = pick(['Basic ' + pick(ODD), 'Bearer ' + pick(ODD), pick(ODD), 'Basic Og==']);
  if (auth === 'session' || chance(0.1)) {
    headers.cookie = `authority_session=${chance(0.9) ? creds.session : pick(ODD)}; authority_csrf=${creds.csrf}`;
    headers['x-csrf-token'] = chance(0.8) ? creds.csrf : pick(ODD);
    headers.origin = worker.url;
  }
  if (chance(0.1)) headers.cookie = `${pick(ODD)}=${pick(ODD)}; authority_session=; ;=`;
  if (chance(0.1)) headers.origin = pick(['null', 'https://evil.example', pick(ODD)]);
  if (chance(0.05)) headers['cf-connecting-ip'] = pick(['::1', '10.0.0.1', 'not-an-ip', '999.1.1.1']);
  for (const [k, v] of Object.entries(headers)) {
    // fetch refuses header values with control characters: a real client could not send them.
    if (/[\r\n\u0000]/.test(v) || /[^\u0000-\u00ff]/.test(v)) headers[k] = enc(v);
  }
  return { method, url, headers, body };
}

before(async () => {
  corpus = JSON.parse(await readFile(join(here, 'fuzz', 'corpus.json'), 'utf8'));
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN_ID,
    ADMIN_CLIENT_SECRET: ADMIN_SECRET, DEMO_CLIENT_SECRET: DEMO_SECRET, ENABLE_PASSWORD_GRANT: 'true',
    PASSWORD_GRANT_ALLOWED_CLIENTS: 'demo-app',
    // Limits stay on (their 429s are fine answers) but must not hide the rest of the server.
    RATE_LIMIT_TOKEN_MAX: '100000', RATE_LIMIT_LOGIN_MAX: '100000' } });
  const basic = `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`;
  const token = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  creds.adminToken = (await token.json()).access_token;
  creds.token = creds.adminToken;
  const registered = await (await fetch(`${worker.url}/register`, { method: 'POST', headers: {
    authorization: `Bearer ${creds.adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ client_name: 'Fuzz target', grant_types: ['client_credentials'] }) })).json();
  creds.client = registered.client_id;
  creds.secret = registered.secrets?.[0]?.secret_id ?? 'none';
  const scope = await (await fetch(`${worker.url}/api/scopes`, { method: 'POST', headers: {
    authorization: `Bearer ${creds.adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'fuzz:target', description: 'A scope to fuzz' }) })).json();
  creds.scope = scope.id;
  const info = await fetch(`${worker.url}/api/session`);
  const csrf = (await info.json()).csrf_token;
  const signIn = await fetch(`${worker.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': csrf, cookie: `authority_csrf=${csrf}` },
  body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }) });
  const cookies = Object.fromEntries(signIn.headers.getSetCookie().map((c) => c.split(';')[0].split('=')));
  creds.session = cookies.authority_session;
  creds.csrf = cookies.authority_csrf;
  creds.user = (await signIn.json()).user.id;
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

test('the seed corpus covers every route of the route table', async () => {
  // The route table as the worker's own test wrote it (worker/src/routes.rs).
  const patterns = JSON.parse(await readFile(join(root, 'tests', 'e2e', 'routes.json'), 'utf8')).map((r) => r.pattern);
  assert.ok(patterns.length > 40, `${patterns.length} routes found`);
  const covered = (pattern) => corpus.requests.some((r) => {
    const a = pattern.split('/');
    const b = r.path.split('/');
    return a.length === b.length && a.every((seg, i) => seg.startsWith('{') ? b[i].startsWith('{') || b[i] : seg === b[i]);
  });
  assert.deepEqual(patterns.filter((p) => !covered(p)), [], 'routes without a seed request');
});

test(`${REQUESTS} generated requests: never a 5xx, and the server stays healthy (FUZZ_SEED=${SEED})`, async () => {
  console.log(`fuzz seed ${SEED}: replay with FUZZ_SEED=${SEED}`);
  const failures = [];
  const statuses = {};
  let sent = 0;
  async function lane() {
    while (sent < REQUESTS) {
      sent++;
      const request = generate();
      let status;
      try {
        const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body,
          redirect: 'manual' });
        status = res.status;
        const text = await res.text();
        if (status >= 500) failures.push({ ...request, body: request.body?.slice(0, 300), status, answer: text.slice(0, 300) });
      } catch (e) {
        failures.push({ ...request, body: request.body?.slice(0, 300), error: String(e) });
      }
      statuses[status] = (statuses[status] || 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  console.log(`statuses: ${JSON.stringify(statuses)}`);
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} requests failed`);
  const health = await fetch(`${worker.url}/health`);
  assert.equal(health.status, 200);
  // The worker still does its job after the storm.
  const basic = `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`;
  const token = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  assert.equal(token.status, 200);
});
