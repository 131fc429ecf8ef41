// End-to-end: what an admin sets per client and per scope (docs/api.md, "Client rate
// limits" and "Scopes"). A client's own `rate_limits.token` is its budget at the token
// family instead of RATE_LIMIT_TOKEN_*; a self-registered client cannot set one. A
// scope's `requires` comes with it at /token and on the consent screen, and a client not
// allowed what a scope requires is refused that scope. Each phase speaks from its own
// address (CF-Connecting-IP, as Cloudflare sets it), so the per-address limits of one
// do not spend another's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startWorker, launchChromium } from './harness.mjs';

const ROOT = ['root@example.com', 'e2e-admin-password-0123'];
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const APP = 'https://app.example/cb';
let worker;
let admin;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1], ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1], RATE_LIMIT_TOKEN_MAX: '3', RATE_LIMIT_TOKEN_WINDOW: '3600',
    ALLOW_OPEN_REGISTRATION: 'true', RATE_LIMIT_LOGIN_MAX: '100' } });
  admin = (await clientCredentials(ADMIN, 'admin', '192.0.2.1')).body.access_token;
  assert.ok(admin);
});
after(async () => { await worker?.stop(); });

async function clientCredentials([id, secret], scope, ip) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'cf-connecting-ip': ip,
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope }) });
  return { status: res.status, limit: res.headers.get('x-ratelimit-limit'), body: await res.json() };
}

async function call(method, path, body, { ip = '192.0.2.9', token = admin } = {}) {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { 'cf-connecting-ip': ip,
    ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
  body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const register = (body, ip) => call('POST', '/register', { grant_types: ['client_credentials'], response_types: [],
  token_endpoint_auth_method: 'client_secret_basic', ...body }, { ip });

test('docs/api.md "Client rate limits": a client\'s own limit applies instead of the global one', async () => {
  const trusted = await register({ client_name: 'Trusted', scope: '', rate_limits: { token: { max: 6, window: 3600 } } }, '192.0.2.2');
  assert.equal(trusted.status, 201, JSON.stringify(trusted.body));
  assert.deepEqual(trusted.body.rate_limits, { token: { max: 6, window: 3600 } });
  const ordinary = await register({ client_name: 'Ordinary', scope: '' }, '192.0.2.3');
  assert.equal(ordinary.status, 201);
  const as = (r) => [r.body.client_id, r.body.client_secret];

  // The global limit, 3 per window, for a client without its own.
  for (let i = 0; i < 3; i += 1) assert.equal((await clientCredentials(as(ordinary), '', '198.51.100.1')).status, 200);
  const refused = await clientCredentials(as(ordinary), '', '198.51.100.1');
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error, 'rate_limit_exceeded');
  // Its own, 6, from another address, whatever the global one says.
  for (let i = 0; i < 6; i += 1) {
    const ok = await clientCredentials(as(trusted), '', '198.51.100.2');
    assert.equal(ok.status, 200, `request ${i + 1}: ${JSON.stringify(ok.body)}`);
    assert.equal(ok.limit, '6');
  }
  assert.equal((await clientCredentials(as(trusted), '', '198.51.100.2')).status, 429);

  // Cleared, the client follows the global limit again (a new address, a fresh bucket).
  const cleared = await call('PATCH', `/register/${trusted.body.client_id}`, { rate_limits: {} });
  assert.equal(cleared.status, 200);
  assert.equal(cleared.body.rate_limits, undefined);
  for (let i = 0; i < 3; i += 1) assert.equal((await clientCredentials(as(trusted), '', '198.51.100.3')).status, 200);
  assert.equal((await clientCredentials(as(trusted), '', '198.51.100.3')).status, 429);

  const bad = await register({ client_name: 'Greedy', scope: '', rate_limits: { token: { max: 0, window: 60 } } }, '192.0.2.4');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_client_metadata');
  const selfMade = await call('POST', '/register', { client_name: 'Mine', redirect_uris: ['https://mine.example/cb'],
    token_endpoint_auth_method: 'none', rate_limits: { token: { max: 1000, window: 60 } } }, { ip: '192.0.2.5', token: null });
  assert.equal(selfMade.status, 400);
  assert.match(selfMade.body.error_description, /rate limits need an admin/);
});

test('docs/api.md "Scopes": a scope brings what it requires at /token and on the consent screen', async () => {
  assert.equal((await call('POST', '/api/scopes', { name: 'documents:read', description: 'Read your documents' })).status, 201);
  const write = await call('POST', '/api/scopes', { name: 'documents:write', description: 'Change your documents',
    requires: ['documents:read'] });
  assert.equal(write.status, 201);
  assert.deepEqual(write.body.requires, ['documents:read']);
  assert.equal((await call('POST', '/api/scopes', { name: 'x', description: 'x', requires: ['nope'] })).status, 422);

  const both = await register({ client_name: 'Docs', scope: 'documents:read documents:write' }, '192.0.2.6');
  const granted = await clientCredentials([both.body.client_id, both.body.client_secret], 'documents:write', '198.51.100.4');
  assert.equal(granted.status, 200);
  assert.equal(granted.body.scope, 'documents:write documents:read');
  const partial = await register({ client_name: 'Partial', scope: 'documents:write' }, '192.0.2.7');
  const refused = await clientCredentials([partial.body.client_id, partial.body.client_secret], 'documents:write', '198.51.100.5');
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error, 'invalid_scope');
  assert.equal(refused.body.error_description,
    'scope `documents:write` requires `documents:read`, which is not allowed for this client');

  const web = await call('POST', '/register', { client_name: 'Documents app', redirect_uris: [APP],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid documents:read documents:write' }, { ip: '192.0.2.8' });
  assert.equal(web.status, 201, JSON.stringify(web.body));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const authorize = new URL(`${worker.url}/authorize`);
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: web.body.client_id, redirect_uri: APP,
      scope: 'openid documents:write', state: 's1', code_challenge: challenge, code_challenge_method: 'S256' })) {
      authorize.searchParams.set(k, v);
    }
    await page.goto(authorize.href);
    await page.waitForURL(/\/signin/, { timeout: 15_000 });
    await page.getByLabel('Email').fill(ROOT[0]);
    await page.getByLabel('Password').fill(ROOT[1]);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/consent\?request=/, { timeout: 15_000 });
    await page.getByText('Change your documents').waitFor({ timeout: 15_000 });
    await page.getByText('Read your documents').waitFor({ timeout: 15_000 });
  } finally {
    await browser.close();
  }
});
