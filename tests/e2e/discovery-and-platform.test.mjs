// End-to-end: the built worker in workerd (wrangler dev) with fresh local D1 and KV,
// checked over HTTP, with an independent JOSE library (jose) and headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startWorker, launchChromium } from './harness.mjs';

const ADMIN_EMAIL = 'console@example.com';
const ADMIN_PASSWORD = 'console-admin-password-1';
const APP_NAME = 'Acme Sign-In (e2e)';
let worker;

before(async () => {
  worker = await startWorker({ vars: { APP_NAME, ADMIN_EMAIL, ADMIN_PASSWORD } });
});
after(async () => {
  await worker?.stop();
});

const get = (path, init) => fetch(`${worker.url}${path}`, init);

// Run first, on the fresh database: parallel first requests must agree on one key.
test('signing keys: concurrent first requests on a fresh database create exactly one active key per algorithm', async () => {
  const responses = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    get(i % 2 ? '/.well-known/jwks.json' : '/.well-known/openid-configuration')));
  assert.ok(responses.every((r) => r.status === 200), responses.map((r) => r.status).join(','));
  const kids = new Set();
  const signers = new Set();
  for (const [i, r] of responses.entries()) {
    const body = await r.json();
    if (i % 2) body.keys.forEach((k) => kids.add(k.kid));
    else signers.add(decodeProtectedHeader(body.signed_metadata).kid);
  }
  assert.equal(kids.size, 3, `expected one kid per algorithm, got ${[...kids]}`);
  assert.equal(signers.size, 1, 'one signer of SIGNING_ALG');
  assert.ok(kids.has([...signers][0]));
  const rows = await worker.query("SELECT kid, alg, status, private_key_sealed FROM signing_keys ORDER BY alg");
  assert.deepEqual(rows.map((r) => [r.alg, r.status]), [['ES256', 'active'], ['EdDSA', 'active'], ['RS256', 'active']]);
  assert.deepEqual(new Set(rows.map((r) => r.kid)), kids);
  // Sealed at rest (AES-GCM envelope), not a PEM or raw DER.
  for (const row of rows) assert.match(row.private_key_sealed, /^v1\.[\w-]+\.[\w-]+$/);
});

test('GET /health reports D1 and KV ok', async () => {
  const res = await get('/health');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok', checks: { config: 'ok', d1: 'ok', kv: 'ok' } });
});

test('OIDC Discovery §4: metadata with the configured issuer and only existing endpoints', async () => {
  const res = await get('/.well-known/openid-configuration');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.match(res.headers.get('cache-control'), /max-age=\d+/);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const m = await res.json();
  assert.equal(m.issuer, worker.url);
  assert.equal(m.jwks_uri, `${worker.url}/.well-known/jwks.json`);
  assert.deepEqual(m.subject_types_supported, ['public']);
  assert.deepEqual(m.id_token_signing_alg_values_supported, ['RS256', 'ES256', 'EdDSA']);
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.equal(m.token_endpoint, `${worker.url}/token`);
  assert.deepEqual(m.grant_types_supported,
    ['authorization_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange', 'refresh_token']);
  assert.equal(m.authorization_endpoint, `${worker.url}/authorize`);
  assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(m.response_modes_supported, ['query', 'fragment', 'form_post']);
  // RFC 9700 §2.1.2: no implicit types unless ALLOW_IMPLICIT=true.
  assert.deepEqual(m.response_types_supported, ['code', 'code id_token']);
  assert.equal(m.introspection_endpoint, `${worker.url}/token/introspect`);
  assert.equal(m.revocation_endpoint, `${worker.url}/token/revoke`);
  assert.equal(m.userinfo_endpoint, `${worker.url}/userinfo`);
  for (const scope of ['openid', 'profile', 'email', 'address', 'phone', 'offline_access']) {
    assert.ok(m.scopes_supported.includes(scope), scope);
  }
  assert.equal(m.device_authorization_endpoint, `${worker.url}/device`);
  assert.equal(m.registration_endpoint, `${worker.url}/register`);
  assert.equal(m.end_session_endpoint, `${worker.url}/logout`, 'RP-Initiated Logout 1.0 §2.1');
  // Every advertised URL answers (the protected ones with their own errors, never 404).
  assert.equal((await fetch(m.jwks_uri)).status, 200);
  assert.equal((await fetch(m.device_authorization_endpoint, { method: 'POST' })).status, 400);
  assert.equal((await fetch(m.registration_endpoint, { method: 'POST' })).status, 401);
  assert.equal((await fetch(m.end_session_endpoint)).status, 200, 'the sign-out confirmation page');
});

test('RFC 7517: the JWKS holds an RSA signing key with kid, use, alg, n, e (and EC, OKP ones) and a Cache-Control', async () => {
  const res = await get('/.well-known/jwks.json');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('cache-control'), /public, max-age=\d+/);
  assert.equal(res.headers.get('server-timing'), null, 'no Server-Timing unless SERVER_TIMING=true');
  const { keys } = await res.json();
  assert.deepEqual(keys.map((key) => key.kty).sort(), ['EC', 'OKP', 'RSA']);
  const k = keys.find((key) => key.kty === 'RSA');
  assert.equal(k.kty, 'RSA');
  assert.equal(k.use, 'sig');
  assert.equal(k.alg, 'RS256');
  assert.equal(k.e, 'AQAB');
  assert.ok(k.kid.length >= 43, 'kid is an RFC 7638 thumbprint');
  assert.equal(Buffer.from(k.n, 'base64url').length, 256, '2048-bit modulus');
  assert.equal(k.d, undefined, 'no private member is published');
});

test('a signature made by the worker (RFC 8414 signed_metadata) verifies with the JWKS in jose', async () => {
  const metadata = await (await get('/.well-known/openid-configuration')).json();
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(metadata.signed_metadata, jwks, {
    issuer: worker.url,
    algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.issuer, metadata.issuer);
  assert.equal(payload.jwks_uri, metadata.jwks_uri);
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 300);
  // A tampered token must not verify.
  const [h, p, s] = metadata.signed_metadata.split('.');
  const forged = Buffer.from(JSON.stringify({ ...payload, issuer: 'https://evil.example' })).toString('base64url');
  await assert.rejects(jwtVerify(`${h}.${forged}.${s}`, jwks, { issuer: worker.url }));
  assert.ok(p);
});

test('unknown API paths answer a JSON 404 in the error format of docs/api.md', async () => {
  for (const path of ['/api/nope', '/.well-known/nope', '/token/nope', '/oauth2/nope', '/register/abc/nope/deeper', '/api/clients/abc/nope']) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.match(res.headers.get('content-type'), /^application\/json/, path);
    const body = await res.json();
    assert.equal(body.error, 'not_found', path);
    assert.equal(typeof body.error_description, 'string', path);
  }
});

test('wrong methods answer 405 with Allow, never a 500', async () => {
  for (const [path, allow] of [['/health', 'GET, HEAD'], ['/signin', 'GET, HEAD'],
    // Public documents also answer CORS preflights.
    ['/.well-known/jwks.json', 'GET, HEAD, OPTIONS'], ['/.well-known/openid-configuration', 'GET, HEAD, OPTIONS']]) {
    const res = await get(path, { method: 'POST', body: 'x=1' });
    assert.equal(res.status, 405, path);
    assert.equal(res.headers.get('allow'), allow, path);
    assert.equal((await res.json()).error, 'method_not_allowed', path);
  }
});

test('a URL longer than 16 KB is refused with 414, as Cloudflare refuses it before a Worker', async () => {
  for (const path of [`/signin?x=${'a'.repeat(17_000)}`, `/%2F/x/callback?state=${'a'.repeat(17_000)}`,
    `/api/users?search=${'a'.repeat(17_000)}`]) {
    const res = await get(path, { redirect: 'manual' });
    assert.equal(res.status, 414, path.slice(0, 20));
    assert.equal(res.headers.get('location'), null);
    assert.equal((await res.json()).error, 'uri_too_long');
  }
  assert.equal((await get(`/signin?x=${'a'.repeat(15_000)}`)).status, 200, 'a long URL under the limit is served');
});

test('page paths serve the SPA (with SPA fallback for deep links)', async () => {
  for (const path of ['/signin', '/admin', '/admin/keys', '/admin/anything/deep']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), /^text\/html/, path);
    assert.match(await res.text(), /<script type="module" src="\/boot\.js">/, path);
  }
  for (const module of ['/public_bg.wasm', '/account_bg.wasm', '/console_bg.wasm']) {
    const wasm = await get(module);
    assert.equal(wasm.status, 200, module);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm', module);
  }
});

test('security headers on API responses and pages; no HSTS over plain-http issuer', async () => {
  const api = await get('/health');
  assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(api.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(api.headers.get('cache-control'), 'no-store');
  assert.equal(api.headers.get('strict-transport-security'), null);
  const page = await get('/signin');
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
  const notFound = await get('/api/nope');
  assert.equal(notFound.headers.get('x-content-type-options'), 'nosniff');
});

test('GET /api/ui-config carries the branding vars', async () => {
  const res = await get('/api/ui-config');
  assert.equal(res.status, 200);
  const c = await res.json();
  assert.equal(c.app_name, APP_NAME);
  assert.equal(c.theme, 'dark');
  assert.equal(c.primary_color, '#7c3aed');
  assert.equal(c.issuer, worker.url);
});

test('browser: /signin renders the sign-in layout with APP_NAME and the dark theme', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const modules = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && modules.push(new URL(r.url()).pathname));
    await page.goto(`${worker.url}/signin`);
    await page.getByRole('heading', { name: APP_NAME }).waitFor({ timeout: 15_000 });
    assert.equal(await page.title(), APP_NAME);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.ok(await page.getByLabel('Email').isVisible());
    assert.ok(await page.getByLabel('Password').isVisible());
    assert.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible());
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(15, 23, 42)');
    // The theme toggle switches to the light theme.
    await page.getByRole('button', { name: 'Light theme' }).click();
    await page.waitForFunction(() => document.documentElement.classList.contains('theme-light'));
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
    // A person signing in downloads the public pages' module only, never the console.
    assert.deepEqual(modules, ['/public_bg.wasm']);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('browser: a deep link to /admin/keys signs in through /authorize (code + PKCE) and lands on the keys', async () => {
  const { keys: all } = await (await get('/.well-known/jwks.json')).json();
  const keys = all.filter((k) => k.kty === 'RSA');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const modules = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && modules.push(new URL(r.url()).pathname));
    await page.goto(`${worker.url}/admin/keys`);
    // The console is a public client of this server: it goes through /authorize.
    await page.waitForURL(/\/signin\?request=/, { timeout: 15_000 });
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor({ timeout: 15_000 });
    assert.equal(new URL(page.url()).pathname, '/admin/keys', 'back where the deep link pointed');
    assert.ok(await page.getByText(ADMIN_EMAIL).isVisible(), 'signed in as the admin');
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: keys[0].kid }) });
    await row.waitFor({ timeout: 15_000 });
    await row.getByRole('cell', { name: '2048 bits' }).waitFor({ timeout: 15_000 });
    assert.ok(await row.getByRole('cell', { name: 'active' }).isVisible(), 'the status from GET /api/keys');
    const nav = page.getByRole('navigation', { name: 'Admin sections' });
    assert.ok(await nav.getByRole('link', { name: 'Dashboard' }).isVisible());
    assert.equal(await nav.getByRole('link', { name: 'Signing keys' }).getAttribute('aria-current'), 'page');
    assert.match(await page.locator('.sidebar-brand').innerText(), new RegExp(APP_NAME.replace(/[()]/g, '\\$&')));
    // Client-side navigation to the dashboard shows live health from the worker.
    await nav.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('All systems operational').waitFor({ timeout: 15_000 });
    assert.equal(new URL(page.url()).pathname, '/admin');
    // The console's module for /admin, the public one for the sign-in screen on the way.
    assert.deepEqual([...new Set(modules)].sort(), ['/console_bg.wasm', '/public_bg.wasm']);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
