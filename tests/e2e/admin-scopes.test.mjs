// End-to-end: the admin API on scopes (docs/api.md "Admin and account API"). A scope
// created in the console works at once: discovery lists it, registration accepts it,
// client_credentials grants it, the consent screen shows its description, and UserInfo
// releases the claims chosen for it. System scopes stay; a scope in use is deleted only
// with force, which takes it out of the clients' lists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
const ROOT_EMAIL = 'root@example.com';
const ROOT_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-cli-secret-0123456789abcdef0123';
const APP = 'https://app.example/cb';
let worker;
let browser;
let page;
let admin;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD,
    ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET, RATE_LIMIT_LOGIN_MAX: '1000' } });
  admin = (await clientCredentials(ADMIN_ID, ADMIN_SECRET, 'admin')).body.access_token;
  browser = await launchChromium();
  page = await browser.newPage();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
});

async function clientCredentials(id, secret, scope) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope }) });
  return { status: res.status, body: await res.json() };
}
async function api(method, path, body) {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`,
    ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

test('a scope created in the console is in discovery and granted by client_credentials', async () => {
  await openConsole(page, `${worker.url}/admin/scopes`, ROOT_EMAIL, ROOT_PASSWORD, 'Scopes');
  // Live validation from shared::scopes: a space is not allowed in a scope-token.
  await page.getByLabel('Name', { exact: true }).fill('documents read');
  await page.getByLabel('Description shown on the consent screen').fill('Read your documents');
  await page.getByRole('alert').filter({ hasText: 'scope-token' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('documents:read');
  await page.getByRole('checkbox', { name: 'email', exact: true }).check();
  await page.getByRole('button', { name: 'Create scope' }).click();
  await page.getByText('documents:read is created.').waitFor({ timeout: 15_000 });
  const row = page.getByRole('row').filter({ hasText: 'documents:read' });
  await row.getByRole('cell', { name: 'Read your documents' }).waitFor();
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-scopes.png'), fullPage: true });

  const discovery = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.ok(discovery.scopes_supported.includes('documents:read'));
  const service = await api('POST', '/register', { client_name: 'Documents service', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic', scope: 'documents:read' });
  assert.equal(service.status, 201, JSON.stringify(service.body));
  const granted = await clientCredentials(service.body.client_id, service.body.client_secret, 'documents:read');
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  assert.equal(granted.body.scope, 'documents:read');
});

test('the consent screen shows the scope\'s description; UserInfo releases the claims chosen for it', async () => {
  const web = await api('POST', '/register', { client_name: 'Documents app', redirect_uris: [APP],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid documents:read' });
  assert.equal(web.status, 201, JSON.stringify(web.body));
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${worker.url}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: web.body.client_id, redirect_uri: APP,
    scope: 'openid documents:read', state: 's1', code_challenge: challenge, code_challenge_method: 'S256' })) {
    authorize.searchParams.set(k, v);
  }
  await page.goto(authorize.href);
  await page.waitForURL(/\/consent\?request=/, { timeout: 15_000 });
  await page.getByText('Read your documents').waitFor();
  const landed = page.waitForRequest((r) => r.url().startsWith(APP), { timeout: 15_000 });
  await page.getByRole('button', { name: 'Allow' }).click();
  const code = new URL((await landed).url()).searchParams.get('code');
  const basic = `Basic ${Buffer.from(`${web.body.client_id}:${web.body.client_secret}`).toString('base64')}`;
  const tokens = await (await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic,
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code',
    code, redirect_uri: APP, code_verifier: verifier }) })).json();
  assert.equal(tokens.scope, 'openid documents:read');
  const info = await (await fetch(`${worker.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
  assert.equal(info.email, ROOT_EMAIL, 'documents:read releases email');
  assert.equal(info.email_verified, undefined, 'and only the claims chosen');
  const idClaims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url'));
  assert.equal(idClaims.email, ROOT_EMAIL);
});

test('system scopes stay; a scope in use is deleted only with force, which takes it from the clients', async () => {
  const list = await api('GET', '/api/scopes?limit=50');
  assert.equal(list.status, 200);
  const byName = Object.fromEntries(list.body.data.map((s) => [s.name, s]));
  assert.deepEqual(byName.email.claims, ['email', 'email_verified']);
  const system = await api('DELETE', `/api/scopes/${byName.openid.id}`);
  assert.deepEqual([system.status, system.body.error], [409, 'system_scope']);
  const docs = byName['documents:read'];
  assert.equal(docs.clients, 2);
  const refused = await api('DELETE', `/api/scopes/${docs.id}`);
  assert.deepEqual([refused.status, refused.body.error], [409, 'scope_in_use']);
  const renamed = await api('PATCH', `/api/scopes/${docs.id}`, { name: 'docs:read' });
  assert.equal(renamed.body.name, 'docs:read');
  assert.equal((await api('DELETE', `/api/scopes/${docs.id}?force=true`)).status, 204);
  const clients = await api('GET', '/api/clients?search=Documents');
  for (const c of clients.body.data) {
    const registered = await api('GET', `/register/${c.client_id}`);
    assert.ok(!registered.body.scope.split(' ').some((s) => s.startsWith('doc')), registered.body.scope);
  }
  const discovery = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.ok(!discovery.scopes_supported.some((s) => s.startsWith('doc')));
});
