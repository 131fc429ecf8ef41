// End-to-end: client registration and management (RFC 7591/7592) behind an admin token,
// as scripts run it (a rotate-secrets script), and the admin console's client
// screens in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, basic, serviceToken } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-secret-0123456789abcdef0123456789';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
let worker;
let browser;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    // Every API call here fetches a fresh admin token: more than RATE_LIMIT_TOKEN_MAX (60)
    // a minute from one address (the limit itself is tested in rate-limits).
    RATE_LIMIT_TOKEN_MAX: '1000' } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
});

const clientCredentials = (id, secret) => fetch(`${worker.url}/token`, {
  method: 'POST',
  headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});

const adminToken = () => serviceToken(worker, ADMIN_ID, ADMIN_SECRET);

/** An admin API call with a fresh admin token; `body` is sent as JSON. */
async function api(method, path, body, token) {
  const headers = { authorization: `Bearer ${token ?? await adminToken()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${worker.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const backend = (name = 'Backend') => ({ client_name: name, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' });

test("the rotate-secrets flow: renew_secret, the old secret refused at /token, the new one works", async () => {
  const created = await api('POST', '/register', backend());
  assert.equal(created.status, 201);
  const { client_id: id, client_secret: first } = created.body;
  assert.equal(created.body.client_secret_expires_at, 0);
  assert.ok(created.body.client_id_issued_at > 0);
  assert.equal((await clientCredentials(id, first)).status, 200);

  const renewed = await api('POST', `/register/${id}/renew_secret`);
  assert.equal(renewed.status, 200);
  assert.equal(renewed.body.client_id, id);
  const old = await clientCredentials(id, first);
  assert.equal(old.status, 401);
  assert.equal((await old.json()).error, 'invalid_client');
  assert.equal((await clientCredentials(id, renewed.body.client_secret)).status, 200);
  const read = await api('GET', `/register/${id}`);
  assert.equal(read.body.client_secret, undefined, 'secrets are shown only when made');
  assert.equal(read.body.secrets.length, 1);
});

test('zero-downtime rotation: a second secret, both work, then the old one is retired', async () => {
  const { body: { client_id: id, client_secret: first } } = await api('POST', '/register', backend('Rotating'));
  const added = await api('POST', `/register/${id}/secrets`, { action: 'add' });
  assert.equal(added.status, 201);
  assert.equal((await clientCredentials(id, first)).status, 200);
  assert.equal((await clientCredentials(id, added.body.client_secret)).status, 200);
  const { body: { secrets } } = await api('GET', `/register/${id}`);
  const oldId = secrets.find((s) => s.secret_id !== added.body.secret_id).secret_id;
  assert.equal((await api('DELETE', `/register/${id}/secrets/${oldId}`)).status, 204);
  assert.equal((await clientCredentials(id, first)).status, 401);
  assert.equal((await clientCredentials(id, added.body.client_secret)).status, 200);
  const events = await worker.query(`SELECT event FROM audit_log WHERE resource_id = '${id}' ORDER BY timestamp, rowid`);
  assert.deepEqual(events.map((e) => e.event), ['client.created', 'client.secret_added', 'client.secret_removed']);
});

test('PATCH redirect_uris, then /authorize honours the new list (and refuses the old)', async () => {
  const { body: app } = await api('POST', '/register', {
    client_name: 'Web App', redirect_uris: ['https://old.example.com/cb'], scope: 'openid profile',
  });
  const authorize = (redirect) => fetch(`${worker.url}/authorize?${new URLSearchParams({
    client_id: app.client_id, redirect_uri: redirect, response_type: 'code', scope: 'openid', state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  })}`, { redirect: 'manual' });
  assert.equal((await authorize('https://new.example.com/cb')).status, 400, 'unregistered: the error page');
  const patched = await api('PATCH', `/register/${app.client_id}`, { redirect_uris: ['https://new.example.com/cb'] });
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.body.redirect_uris, ['https://new.example.com/cb']);
  assert.equal(patched.body.client_name, 'Web App', 'absent fields stay');
  const now = await authorize('https://new.example.com/cb');
  assert.equal(now.status, 303);
  assert.match(now.headers.get('location'), /^\/signin\?request=/);
  assert.equal((await authorize('https://old.example.com/cb')).status, 400);
  const bad = await api('PATCH', `/register/${app.client_id}`, { redirect_uris: ['https://*.example.com/cb'] });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_redirect_uri');
});

test('RFC 8252: a native app registers a private-use scheme and gets any loopback port; web apps get neither', async () => {
  const native = await api('POST', '/register', {
    client_name: 'Mobile App', application_type: 'native', token_endpoint_auth_method: 'none',
    redirect_uris: ['com.example.app:/callback', 'http://127.0.0.1/callback'], scope: 'openid',
  });
  assert.equal(native.status, 201, JSON.stringify(native.body));
  assert.equal(native.body.application_type, 'native');
  const authorize = (clientId, redirect) => fetch(`${worker.url}/authorize?${new URLSearchParams({
    client_id: clientId, redirect_uri: redirect, response_type: 'code', scope: 'openid', state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  })}`, { redirect: 'manual' });
  for (const redirect of ['com.example.app:/callback', 'http://127.0.0.1:49152/callback']) {
    const res = await authorize(native.body.client_id, redirect);
    assert.equal(res.status, 303, redirect);
    assert.match(res.headers.get('location'), /^\/signin\?request=/, redirect);
  }
  assert.equal((await authorize(native.body.client_id, 'com.example.app:/other')).status, 400, 'exact match');
  // A web client: its loopback port is part of the URI, and app schemes are refused.
  const web = await api('POST', '/register', { client_name: 'Dev Web', redirect_uris: ['http://127.0.0.1/callback'] });
  assert.equal(web.status, 201);
  assert.equal(web.body.application_type, 'web');
  assert.equal((await authorize(web.body.client_id, 'http://127.0.0.1:49152/callback')).status, 400);
  const scheme = await api('POST', '/register', { client_name: 'X', redirect_uris: ['com.example.app:/callback'] });
  assert.equal(scheme.status, 400);
  assert.equal(scheme.body.error, 'invalid_redirect_uri');
  // RFC 8252 §8.5: a native app cannot keep a secret, so app schemes need a public client.
  const secretNative = await api('POST', '/register', { client_name: 'Y', application_type: 'native',
    redirect_uris: ['com.example.app:/callback'] });
  assert.equal(secretNative.status, 400);
});

test('DELETE: the client gets invalid_client and its access tokens are inactive', async () => {
  const { body: { client_id: id, client_secret: secret } } = await api('POST', '/register', backend('Doomed'));
  const { access_token: token } = await (await clientCredentials(id, secret)).json();
  const introspect = async () => (await fetch(`${worker.url}/token/introspect`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN_ID, ADMIN_SECRET), 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${token}`,
  })).json();
  assert.equal((await introspect()).active, true);
  assert.equal((await api('DELETE', `/register/${id}`)).status, 204);
  const refused = await clientCredentials(id, secret);
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error, 'invalid_client');
  assert.equal((await introspect()).active, false);
  assert.equal((await api('GET', `/register/${id}`)).status, 404);
});

test('RFC 6750 §3: no token is 401, a token without admin is 403; RFC 7591 §3.2.2 errors', async () => {
  // Without a token and with open registration off (the default): the admin token is missing.
  const none = await fetch(`${worker.url}/register`, { method: 'POST', body: '{}' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="admin"');
  const { body: { client_id: id, client_secret: secret } } = await api('POST', '/register', backend('Plain'));
  const { access_token: plain } = await (await clientCredentials(id, secret)).json();
  const forbidden = await api('GET', '/api/clients', undefined, plain);
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.headers.get('www-authenticate'), /^Bearer realm="admin", error="insufficient_scope"/);

  const wildcard = await api('POST', '/register', { client_name: 'X', redirect_uris: ['https://myapp.com/*'] });
  assert.deepEqual([wildcard.status, wildcard.body.error], [400, 'invalid_redirect_uri']);
  const http = await api('POST', '/register', { client_name: 'X', redirect_uris: ['http://myapp.com/callback'] });
  assert.equal(http.body.error, 'invalid_redirect_uri');
  const publicCc = await api('POST', '/register', { client_name: 'X', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' });
  assert.deepEqual([publicCc.status, publicCc.body.error], [400, 'invalid_client_metadata']);
  const scope = await api('POST', '/register', { ...backend('X'), scope: 'superpowers' });
  assert.equal(scope.body.error, 'invalid_client_metadata');
  const logo = await api('POST', '/register', { ...backend('X'), logo_uri: 'http://cdn.example.com/logo.png' });
  assert.equal(logo.body.error, 'invalid_client_metadata');
});

test('GET /api/clients: search, paging, secret_expires_before; revoke_tokens', async () => {
  const page = await api('GET', '/api/clients?search=rotat&limit=1');
  assert.equal(page.status, 200);
  assert.equal(page.body.total, 1);
  assert.equal(page.body.data[0].client_name, 'Rotating');
  const all = await api('GET', '/api/clients?limit=2&offset=0');
  assert.equal(all.body.data.length, 2);
  assert.ok(all.body.total >= 5);
  const expiring = await api('GET', '/api/clients?secret_expires_before=2999-01-01');
  assert.equal(expiring.body.total, 0, 'CLIENT_SECRET_LIFETIME_DAYS=0: secrets never expire');

  const { body: { client_id: id, client_secret: secret } } = await api('POST', '/register', backend('Revoked'));
  const { access_token: token } = await (await clientCredentials(id, secret)).json();
  const revoked = await api('POST', `/api/clients/${id}/revoke_tokens`);
  assert.equal(revoked.status, 200);
  const introspect = async (t) => (await fetch(`${worker.url}/token/introspect`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN_ID, ADMIN_SECRET), 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${t}`,
  })).json();
  assert.equal((await introspect(token)).active, false, 'issued before the revocation, in the same second or not');
  // RFC 7009 §2: the revocation covers tokens issued before it, not one issued right after
  // it (most often in the same second: no wait here).
  const fresh = await clientCredentials(id, secret);
  assert.equal(fresh.status, 200, 'the client itself still works');
  assert.equal((await introspect((await fresh.json()).access_token)).active, true, 'a token issued after it lives');
});

test('the admin console creates a client (live validation, secret shown once) that gets a client_credentials token', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/admin/clients/new`);
  await page.waitForURL(/\/signin\?request=/, { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/clients\/new$/, { waitUntil: 'commit' });
  await page.getByRole('heading', { name: 'New client' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Console Service');
  // The default grant (authorization_code) needs a redirect URI: said while typing.
  const problems = page.getByRole('alert').filter({ hasText: 'need at least one redirect URI' });
  await problems.waitFor();
  await page.getByLabel('Redirect URIs (one per line)', { exact: true }).fill('http://example.com/cb');
  await page.getByRole('alert').filter({ hasText: 'must use https' }).waitFor();
  await page.getByLabel('Redirect URIs (one per line)', { exact: true }).fill('');
  await page.getByLabel('authorization_code').uncheck();
  await page.getByLabel('client_credentials').check();
  await page.getByLabel('Scopes (space-separated)').fill('');
  await problems.waitFor({ state: 'detached' });
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-client-new.png'), fullPage: true });
  await page.getByRole('button', { name: 'Create client' }).click();
  await page.getByRole('heading', { name: 'Store this secret now' }).waitFor();
  const id = await page.locator('#new-client-id').innerText();
  const secret = await page.locator('#new-client-secret').innerText();
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-client-secret.png'), fullPage: true });
  const token = await clientCredentials(id, secret);
  assert.equal(token.status, 200, 'the console-made client gets a token');

  // The client's page: delete it, with a confirmation; it then gets invalid_client.
  await page.getByRole('link', { name: 'Go to the client' }).click();
  await page.getByRole('heading', { name: 'Console Service' }).waitFor();
  await page.getByRole('list', { name: 'Secrets' }).getByRole('listitem').first().waitFor();
  await page.getByRole('button', { name: 'Delete client' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.waitForURL(/\/admin\/clients$/, { waitUntil: 'commit' });
  await page.getByRole('heading', { name: 'Clients' }).waitFor();
  assert.equal((await clientCredentials(id, secret)).status, 401);
  await context.close();
});
