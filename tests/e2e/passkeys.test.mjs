// End-to-end: passkeys (WebAuthn Level 2) in headless Chromium with its virtual
// authenticator (DevTools WebAuthn domain: a CTAP2 platform authenticator with resident
// keys and user verification), against workerd at http://localhost (WebAuthn refuses an
// IP address as the relying party id). A person adds a passkey on the account page, signs
// in to an app with it alone (usernameless), uses it as the second step after a password,
// and removes it; the ID tokens say how (RFC 8176 amr).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { startWorker, launchChromium, startApp, pointDemoAppAt } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
const ADMIN_CLIENT_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
let CALLBACK; // the app's callback (startApp): demo-app's redirect URI
const EMAIL = 'carol@example.com';
const PASSWORD = 'a long enough password';
let worker;
let browser;
let context;
let page;
let demo;
// The app's callback: a real page, so the browser's navigation there ends before the next.
let app;

before(async () => {
  worker = await startWorker({ hostName: 'localhost', vars: { DEMO_CLIENT_SECRET: DEMO_SECRET,
    ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'e2e-admin-password-0123',
    ADMIN_CLIENT_ID: 'admin-cli', ADMIN_CLIENT_SECRET, RATE_LIMIT_LOGIN_MAX: '100' } });
  app = await startApp();
  CALLBACK = app.callback;
  await pointDemoAppAt(worker, app);
  demo = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  const token = (await (await fetch(`${worker.url}/token`, { method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`admin-cli:${ADMIN_CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=admin' })).json()).access_token;
  const created = await fetch(`${worker.url}/api/users`, { method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD, email_verified: true }) });
  assert.equal(created.status, 201);
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
  // The virtual authenticator answers every ceremony of this page at once (no prompt).
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal',
    hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
  await app?.close();
});

async function codeFlow() {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: CALLBACK, scope: 'openid email', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).href;
  return { url, verifier, state };
}

/** Resolves with the tokens once the browser has landed on the app's callback. */
async function redeemed(flow) {
  await page.waitForURL((u) => u.href.startsWith(CALLBACK));
  return oidc.authorizationCodeGrant(demo, new URL(page.url()), { pkceCodeVerifier: flow.verifier,
    expectedState: flow.state, idTokenExpected: true });
}

async function signOut() {
  await page.goto(`${worker.url}/account`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/signin/);
}

test('a passkey is added on the account page', async () => {
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.locator('#passkeys-empty').waitFor();
  await page.getByLabel('Name for a new passkey (optional)').fill('Laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByRole('status').filter({ hasText: 'Passkey “Laptop” added.' }).waitFor();
  await page.getByRole('list', { name: 'Passkeys' }).getByText('Laptop').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'account-passkeys.png'), fullPage: true });
  const rows = await worker.query('SELECT algorithm, sign_count FROM passkeys');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].algorithm, -7, 'ES256');
  const events = await worker.query("SELECT event FROM audit_log WHERE event = 'passkey.registered'");
  assert.equal(events.length, 1);
});

test('usernameless sign-in to an app with the passkey alone; the ID token says hwk and mfa', async () => {
  await signOut();
  const flow = await codeFlow();
  await page.goto(flow.url);
  await page.waitForURL(/\/signin\?request=/);
  const tokens = redeemed(flow);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL(/\/consent\?request=/);
  await page.getByRole('button', { name: 'Allow' }).click();
  const claims = (await tokens).claims();
  assert.equal(claims.email, EMAIL);
  assert.deepEqual(claims.amr, ['hwk', 'mfa']);
  assert.equal(claims.acr, 'urn:authority:loa:2');
  const used = await worker.query('SELECT last_used_at FROM passkeys');
  assert.ok(used[0].last_used_at > 0);
});

test('after the password, the passkey is the second step', async () => {
  await signOut();
  const flow = await codeFlow();
  await page.goto(flow.url);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(/\/mfa\?request=/);
  const tokens = redeemed(flow);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  const claims = (await tokens).claims();
  assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
  assert.equal(claims.acr, 'urn:authority:loa:2');
});

test('a removed passkey no longer signs in, and the password alone does again', async () => {
  await page.goto(`${worker.url}/account`);
  await page.getByRole('button', { name: 'Remove passkey Laptop' }).click();
  await page.locator('#passkeys-empty').waitFor();
  const events = await worker.query("SELECT event FROM audit_log WHERE event = 'passkey.removed'");
  assert.equal(events.length, 1);
  await signOut();
  // The authenticator still holds the credential; the server no longer knows it.
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('alert').filter({ hasText: 'not registered here' }).waitFor();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
});
