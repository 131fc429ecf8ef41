// End-to-end: the password policy beyond length. CHECK_COMMON_PASSWORDS
// refuses the 10,000 most common passwords (sign-up, validation, and the live checklist in
// Chromium); PASSWORD_EXPIRY_DAYS makes an expired password's owner choose a new one
// before the session starts, and offers the change while it expires soon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, launchChromium } from './harness.mjs';

const ADMIN_CLIENT_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const PASSWORD = 'a long enough password';
const TOO_COMMON = 'This password is one of the most commonly used. Please choose a different password.';
let worker;
let browser;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'e2e-admin-password-0123',
    ADMIN_CLIENT_ID: 'admin-cli', ADMIN_CLIENT_SECRET, RATE_LIMIT_LOGIN_MAX: '100',
    PASSWORD_EXPIRY_DAYS: '30', PASSWORD_EXPIRY_WARNING_DAYS: '5', PASSWORD_EXPIRY_GRACE_DAYS: '0' } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  const token = (await (await fetch(`${worker.url}/token`, { method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`admin-cli:${ADMIN_CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=admin' })).json()).access_token;
  for (const email of ['old@example.com', 'aging@example.com']) {
    const created = await fetch(`${worker.url}/api/users`, { method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, email_verified: true }) });
    assert.equal(created.status, 201);
  }
  const day = 86_400;
  const now = Math.floor(Date.now() / 1000);
  await worker.query(`UPDATE users SET password_changed_at = ${now - 31 * day} WHERE email = 'old@example.com'`);
  await worker.query(`UPDATE users SET password_changed_at = ${now - 27 * day} WHERE email = 'aging@example.com'`);
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
});

test('CHECK_COMMON_PASSWORDS: a password among the 10,000 most common is refused, live and at sign-up', async () => {
  const check = await (await fetch(`${worker.url}/api/validate-password`, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: '1qaz2wsx3edc' }) })).json();
  assert.deepEqual(check, { valid: false, errors: [TOO_COMMON] });
  const signup = await fetch(`${worker.url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'common@example.com', password: '123456789QWERTY' }) });
  assert.equal(signup.status, 422, 'case is ignored');
  assert.equal((await signup.json()).details[0].message, TOO_COMMON);

  const page = await browser.newPage();
  await page.goto(`${worker.url}/signup`);
  const rule = page.getByRole('list', { name: 'Password requirements' }).getByText('Not one of the most common passwords');
  await page.getByLabel('Password', { exact: true }).fill('1qaz2wsx3edc');
  await page.locator('li.unmet', { hasText: 'Not one of the most common passwords' }).waitFor();
  await page.getByLabel('Password', { exact: true }).fill('a rarely chosen phrase');
  await page.locator('li.met', { hasText: 'Not one of the most common passwords' }).waitFor();
  assert.equal(await rule.count(), 1);
  await page.close();
});

test('PASSWORD_EXPIRY_DAYS: an expired password is replaced before the session starts', async () => {
  const page = await browser.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByLabel('Email').fill('old@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/password\?next=/);
  await page.getByRole('heading', { name: 'Your password has expired' }).waitFor();
  const pending = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
  assert.equal(pending.user, null, 'no session before the new password');
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('alert').filter({ hasText: 'this one has expired' }).waitFor();
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  const events = await worker.query("SELECT event FROM audit_log WHERE event IN ('password.expired', 'password.changed')");
  assert.deepEqual(events.map((e) => e.event).sort(), ['password.changed', 'password.expired']);
  await page.close();
});

test('PASSWORD_EXPIRY_WARNING_DAYS: a password expiring soon signs in and offers the change, which can wait', async () => {
  const page = await browser.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByLabel('Email').fill('aging@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/password\?next=.*soon=1/);
  await page.getByRole('heading', { name: 'Your password expires soon' }).waitFor();
  await page.getByRole('link', { name: 'Later' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.close();
});
