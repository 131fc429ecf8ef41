// End-to-end: the device authorization grant (RFC 8628) in workerd. openid-client plays
// the CLI (initiateDeviceAuthorization + pollDeviceAuthorizationGrant, which keeps the
// interval), headless Chromium plays the person on /activate, jose checks the tokens
// against the JWKS. Also Deny, slow_down, expiry and a device code redeemed twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startWorker, launchChromium } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
let worker;
let browser;
let context; // the person's browser: signed in once, then reused
let tv; // openid-client configuration of the public client demo-tv

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET } });
  tv = await oidc.discovery(new URL(worker.url), 'demo-tv', undefined, oidc.None(),
    { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
  context = await browser.newContext();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
});

/** Waits for `locator`; on a timeout the error says what the page showed instead. */
async function shows(page, locator) {
  await locator.waitFor({ timeout: 15000 }).catch(async (e) => {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`${e.message}\nthe page at ${page.url()} shows:\n${text}`);
  });
}

const form = (body) => ({
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body),
});
const startDevice = async (scope = 'openid') => {
  const res = await fetch(`${worker.url}/device`, form({ client_id: 'demo-tv', scope }));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return res.json();
};
const pollOnce = async (deviceCode) => {
  const res = await fetch(`${worker.url}/token`, form({ grant_type: DEVICE_GRANT, client_id: 'demo-tv', device_code: deviceCode }));
  return { status: res.status, body: await res.json() };
};

let approved; // the first flow's device code, for the second-redemption test

test('RFC 8628: openid-client polls while the person signs in and allows on /activate; tokens verify with the JWKS', async () => {
  assert.equal(tv.serverMetadata().device_authorization_endpoint, `${worker.url}/device`);
  assert.ok(tv.serverMetadata().grant_types_supported.includes(DEVICE_GRANT));
  const started = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile email offline_access' });
  assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(started.verification_uri, `${worker.url}/activate`);
  assert.equal(started.audience, 'Demo TV', 'the app the person is asked to let in, as /activate names it');
  assert.equal(started.expires_in, 300);
  const polling = oidc.pollDeviceAuthorizationGrant(tv, started);

  const page = await context.newPage();
  await page.goto(started.verification_uri_complete);
  // Not signed in yet: the sign-in screen first, then back to the same code.
  await page.waitForURL(/\/signin\?next=/, { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/activate\?user_code=/, { waitUntil: 'commit' });
  await shows(page, page.getByRole('heading', { name: 'Demo TV wants to access your account' }));
  await page.getByText(`Only continue if your device shows the code ${started.user_code}.`).waitFor();
  await page.getByText('Read your email address').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'activate.png') });
  await page.getByRole('button', { name: 'Allow' }).click();
  await shows(page, page.getByText('Your device is connected. You can return to your device.'));
  await page.close();

  const tokens = await polling; // openid-client validated the ID token (iss, aud, signature)
  assert.ok(tokens.refresh_token, 'offline_access');
  assert.equal(tokens.claims().email, ADMIN_EMAIL);
  const jwks = createRemoteJWKSet(new URL(`${worker.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: worker.url, audience: 'demo-tv' });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.scope, 'openid profile email offline_access');
  approved = started.device_code;
  const events = await worker.query("SELECT event FROM audit_log WHERE event IN ('device.code_issued', 'device.approved') ORDER BY timestamp, rowid");
  assert.deepEqual(events.map((e) => e.event), ['device.code_issued', 'device.approved']);
});

test('RFC 8628 §3.5: the same device code redeemed twice fails the second time', async () => {
  const again = await pollOnce(approved);
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
});

test('RFC 8628 §3.5: Deny on /activate (code typed in lower case without the dash) → access_denied', async () => {
  const started = await startDevice();
  const page = await context.newPage();
  await page.goto(`${worker.url}/activate`);
  await shows(page, page.getByLabel('Code'));
  await page.getByLabel('Code').fill('BBBB-BBBB');
  await page.getByRole('button', { name: 'Continue' }).click();
  await shows(page, page.getByRole('alert').filter({ hasText: 'That code is not valid or has expired' }));
  await page.getByLabel('Code').fill(started.user_code.replace('-', '').toLowerCase());
  await page.getByRole('button', { name: 'Continue' }).click();
  await shows(page, page.getByRole('button', { name: 'Deny' }));
  await page.getByRole('button', { name: 'Deny' }).click();
  await shows(page, page.getByText('The request was denied.'));
  await page.close();
  const denied = await pollOnce(started.device_code);
  assert.equal(denied.status, 400);
  assert.equal(denied.body.error, 'access_denied');
  const rejected = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'device.user_code_rejected'");
  assert.equal(rejected[0].n, 1);
});

test('RFC 8628 §3.5: polling faster than the interval → slow_down with an interval 5 s longer', async () => {
  const started = await startDevice();
  assert.equal(started.interval, 5);
  const first = await pollOnce(started.device_code);
  assert.deepEqual([first.status, first.body.error], [400, 'authorization_pending']);
  const second = await pollOnce(started.device_code);
  assert.deepEqual([second.status, second.body.error], [400, 'slow_down']);
  assert.match(second.body.error_description, /10 seconds/);
  const [row] = await worker.query('SELECT poll_interval FROM device_codes ORDER BY created_at DESC, rowid DESC LIMIT 1');
  assert.equal(row.poll_interval, 10);
});

test('RFC 8628 §3.5: an expired device code → expired_token; unknown codes → invalid_grant', async () => {
  const started = await startDevice();
  await worker.query("UPDATE device_codes SET expires_at = 1 WHERE status = 'pending'");
  const expired = await pollOnce(started.device_code);
  assert.deepEqual([expired.status, expired.body.error], [400, 'expired_token']);
  const unknown = await pollOnce('not-a-device-code');
  assert.deepEqual([unknown.status, unknown.body.error], [400, 'invalid_grant']);
  const noGrant = await fetch(`${worker.url}/device`, form({ client_id: 'authority-admin' }));
  assert.equal(noGrant.status, 400);
  assert.equal((await noGrant.json()).error, 'unauthorized_client');
  const alias = await fetch(`${worker.url}/device/code`, form({ client_id: 'demo-tv' }));
  assert.equal(alias.status, 200, '/device/code is an alias');
});
