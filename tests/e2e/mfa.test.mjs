// End-to-end: two-step sign-in in headless Chromium against workerd. A person enrols an
// authenticator app from the QR page (codes computed by the independent `otpauth` library
// from the secret the page shows), signs in through an app's /authorize with password and
// code, and the ID token says so (RFC 8176 amr, OIDC acr); a backup code works once;
// acr_values makes a password-only session show a second factor (step-up);
// REQUIRE_ADMIN_MFA sends an admin into enrolment before the console; an admin resets a
// user's second factor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { TOTP, Secret } from 'otpauth';
import { startWorker, launchChromium, startApp, pointDemoAppAt, serviceToken, adminApi } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-0123';
const ADMIN_CLIENT_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
let CALLBACK; // the app's callback (startApp): demo-app's redirect URI
const PASSWORD = 'a long enough password';
const MULTI_FACTOR = 'urn:authority:loa:2';
let worker;
let browser;
let demo;
// The app's callback: a real page, so the browser's navigation there ends before the next.
let app;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET,
    ADMIN_CLIENT_ID: 'admin-cli', ADMIN_CLIENT_SECRET, RATE_LIMIT_LOGIN_MAX: '100' } });
  app = await startApp();
  CALLBACK = app.callback;
  await pointDemoAppAt(worker, app);
  demo = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  for (const email of ['ann@example.com', 'bob@example.com']) {
    const { status } = await admin('POST', '/api/users', { email, password: PASSWORD, email_verified: true });
    assert.equal(status, 201);
  }
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
  await app?.close();
});

const adminToken = (w = worker) => serviceToken(w, 'admin-cli', ADMIN_CLIENT_SECRET);
const admin = (method, path, body) => adminApi(worker, 'admin-cli', ADMIN_CLIENT_SECRET)(method, path, body);

/**
 * Codes of one authenticator: each code comes from a newer 30-s step than the last one
 * used (RFC 6238 §5.2: a code is accepted once), waiting for the clock when the next step
 * is beyond the server's one-step window.
 */
function authenticator(base32) {
  const totp = new TOTP({ secret: Secret.fromBase32(base32), algorithm: 'SHA1', digits: 6, period: 30 });
  let last = -1;
  return {
    async code() {
      let now = Math.floor(Date.now() / 1000 / 30);
      while (last + 1 > now + 1) {
        await new Promise((r) => setTimeout(r, 1000));
        now = Math.floor(Date.now() / 1000 / 30);
      }
      last = Math.max(now, last + 1);
      return totp.generate({ timestamp: last * 30_000 });
    },
  };
}

async function codeFlow(extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: CALLBACK, scope: 'openid email', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra }).href;
  return { url, verifier, state };
}

/** Waits until the browser has landed on the app's callback, then redeems the code there. */
async function redeem(page, flow) {
  await page.waitForURL((u) => u.href.startsWith(CALLBACK));
  return oidc.authorizationCodeGrant(demo, new URL(page.url()), { pkceCodeVerifier: flow.verifier,
    expectedState: flow.state, idTokenExpected: true });
}

/** The browser context's cookies for the worker, as a Cookie header. */
async function cookieHeader(context) {
  return (await context.cookies(worker.url)).map((c) => `${c.name}=${c.value}`).join('; ');
}

async function signIn(page, email) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Enrols from the page showing "Set up an authenticator app"; returns the app and the backup codes. */
async function enrol(page, screenshot) {
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = await page.locator('#totp-secret').innerText();
  assert.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit base32 secret');
  assert.equal(await page.locator('.qr svg path').count(), 1, 'the QR code is drawn in the page');
  if (screenshot) await page.screenshot({ path: join(SCREENSHOTS, screenshot) });
  const app = authenticator(secret);
  await page.getByLabel('The six-digit code the app shows now').fill(await app.code());
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.locator('#backup-codes li').nth(9).waitFor();
  const backup = await page.locator('#backup-codes li').allInnerTexts();
  assert.equal(backup.length, 10);
  return { app, backup };
}

let ann; // { app, backup }

test('an authenticator app is enrolled from the account page with the QR code and a first code', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/account`);
  await page.waitForURL(/\/signin/);
  await signIn(page, 'ann@example.com');
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.match(await page.locator('#mfa-state').innerText(), /^Off/);
  await page.getByRole('link', { name: 'Set up two-step sign-in' }).click();
  await page.waitForURL(/\/mfa\/setup/);
  ann = await enrol(page, 'mfa-setup.png');
  await page.getByRole('link', { name: /I saved them/ }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.locator('#mfa-state').filter({ hasText: '10 backup codes left' }).waitFor();
  const events = await worker.query("SELECT event FROM audit_log WHERE event = 'mfa.enabled'");
  assert.equal(events.length, 1);
  const mail = await worker.query("SELECT template FROM mail_outbox WHERE template = 'mfa-enabled'");
  assert.equal(mail.length, 1, 'the mfa-enabled mail');
  const users = await admin('GET', '/api/users?mfa=true');
  assert.deepEqual(users.body.data.map((u) => u.email), ['ann@example.com']);
  assert.equal(users.body.data[0].mfa_enabled, true);
  await context.close();
});

test('an app sign-in asks for the code after the password; the ID token carries amr otp and the mfa acr', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const flow = await codeFlow();
  await page.goto(flow.url);
  await page.waitForURL(/\/signin\?request=/);
  await signIn(page, 'ann@example.com');
  await page.waitForURL(/\/mfa\?request=/);
  // No session exists before the code: the account page would send the browser to sign in.
  const pending = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
  assert.equal(pending.user, null);
  await page.getByLabel('Code', { exact: true }).fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'mfa-verify.png') });
  await page.getByLabel('Code', { exact: true }).fill(await ann.app.code());
  const tokens = redeem(page, flow);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(/\/consent\?request=/);
  await page.getByRole('button', { name: 'Allow' }).click();
  const claims = (await tokens).claims();
  assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
  assert.equal(claims.acr, MULTI_FACTOR);
  const failed = await worker.query("SELECT event FROM audit_log WHERE event = 'mfa.challenge_failed'");
  assert.equal(failed.length, 1);
  const login = await worker.query("SELECT metadata FROM audit_log WHERE event = 'user.login' ORDER BY timestamp DESC LIMIT 1");
  assert.equal(JSON.parse(login[0].metadata).mfa_used, true);
  await context.close();
});

test('a backup code signs in once', async () => {
  const [code] = ann.backup;
  for (const attempt of ['first', 'second']) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${worker.url}/signin?next=%2Faccount`);
    await signIn(page, 'ann@example.com');
    await page.waitForURL(/\/mfa\?next=/);
    await page.getByLabel('Code', { exact: true }).fill(code.toUpperCase());
    await page.getByRole('button', { name: 'Verify' }).click();
    if (attempt === 'first') {
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      await page.locator('#mfa-state').filter({ hasText: '9 backup codes left' }).waitFor();
    } else {
      await page.getByRole('alert').filter({ hasText: 'already used' }).waitFor();
    }
    await context.close();
  }
  const used = await worker.query("SELECT metadata FROM audit_log WHERE event = 'mfa.backup_code_used'");
  assert.equal(used.length, 1);
  assert.equal(JSON.parse(used[0].metadata).left, 9);
});

test('OIDC acr_values: a password-only session shows a second factor first (step-up), or prompt=none fails', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const first = await codeFlow();
  await page.goto(first.url);
  await signIn(page, 'bob@example.com');
  await page.waitForURL(/\/consent\?request=/);
  const weak = redeem(page, first);
  await page.getByRole('button', { name: 'Allow' }).click();
  const weakClaims = (await weak).claims();
  assert.deepEqual(weakClaims.amr, ['pwd']);
  assert.equal(weakClaims.acr, 'urn:authority:loa:1');

  // Silent step-up cannot happen (OIDC Core §3.1.2.6).
  const silent = await codeFlow({ acr_values: MULTI_FACTOR, prompt: 'none' });
  const answer = await fetch(silent.url, { redirect: 'manual', headers: { cookie: await cookieHeader(context) } });
  const location = new URL(answer.headers.get('location'));
  assert.equal(location.origin + location.pathname, CALLBACK);
  assert.equal(location.searchParams.get('error'), 'interaction_required');

  const stepUp = await codeFlow({ acr_values: MULTI_FACTOR });
  await page.goto(stepUp.url);
  await page.waitForURL(/\/mfa\?request=/);
  // Bob has no app yet: the step-up is his enrolment.
  await enrol(page);
  const strong = redeem(page, stepUp);
  await page.getByRole('link', { name: /I saved them/ }).click();
  const claims = (await strong).claims();
  assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
  assert.equal(claims.acr, MULTI_FACTOR);
  assert.ok(claims.auth_time >= weakClaims.auth_time, 'the step-up is a new authentication');
  await context.close();
});

test('an admin resets a user\'s second factor: the user signs in with the password alone again', async () => {
  const { body } = await admin('GET', '/api/users?search=bob%40example.com');
  const bob = body.data[0];
  assert.equal(bob.mfa_enabled, true);
  assert.equal((await admin('DELETE', `/api/users/${bob.id}/mfa`)).status, 204);
  assert.equal((await admin('DELETE', `/api/users/${bob.id}/mfa`)).status, 404, 'nothing left to reset');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await signIn(page, 'bob@example.com');
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.match(await page.locator('#mfa-state').innerText(), /^Off/);
  const reset = await worker.query("SELECT actor_type, metadata FROM audit_log WHERE event = 'mfa.disabled'");
  assert.equal(reset.length, 1);
  assert.equal(JSON.parse(reset[0].metadata).reset_by_admin, true);
  await context.close();
});

test('REQUIRE_ADMIN_MFA: an admin enrols at the next sign-in before the console opens', async () => {
  const strict = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, REQUIRE_ADMIN_MFA: 'true' } });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${strict.url}/admin/users`);
    await page.waitForURL(/\/signin\?request=/, { timeout: 15_000 });
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/mfa\/setup\?request=/);
    await page.getByText('Your account needs two-step sign-in').waitFor();
    assert.equal(await page.getByRole('link', { name: /later|Not now/ }).count(), 0, 'no way around it');
    // Nothing is signed in until the app is confirmed.
    const before = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
    assert.equal(before.user, null);
    await enrol(page);
    await page.getByRole('link', { name: /I saved them/ }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor({ timeout: 15_000 });
    // The console shows who has a second factor, and resets it (a lost phone).
    await page.getByLabel('Two-step sign-in').selectOption('true');
    await page.getByRole('row', { name: new RegExp(ADMIN_EMAIL) }).getByRole('cell', { name: 'On', exact: true }).waitFor();
    await page.getByRole('button', { name: `Sessions and apps of ${ADMIN_EMAIL}` }).click();
    await page.locator('#user-mfa-state').filter({ hasText: 'On' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-user-mfa.png'), fullPage: true });
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await page.getByText(`${ADMIN_EMAIL}'s two-step sign-in is reset.`).waitFor();
    const left = await strict.query('SELECT COUNT(*) AS n FROM mfa_totp');
    assert.equal(left[0].n, 0);
    await context.close();
  } finally {
    await strict.stop();
  }
});
