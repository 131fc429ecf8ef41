// End-to-end: self-service accounts in workerd and headless Chromium. Sign-up, the
// verification mail read from the outbox (GET /api/outbox with a super_admin's token, as
// tests and developers read mail), forgot/reset password, the account page (profile, sessions,
// consents), the admin console's outbox, rate limits and the http mail provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, serviceToken, insertClient } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-secret-0123456789abcdef0123456789';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
const TESTER_ID = 'e2e-tester';
const TESTER_SECRET = 'e2e-tester-secret-0123456789abcdef0123456789';
const RESET_ANSWER = 'If an account with that email exists, a reset link has been sent.';
let worker;
let browser;

before(async () => {
  worker = await startWorker({ vars: {
    ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    DEMO_CLIENT_SECRET: DEMO_SECRET, EMAIL_VERIFICATION_REQUIRED: 'true',
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: TESTER_ID,
    // Many sign-ins from one address in this suite; the limit itself is tested below.
    RATE_LIMIT_LOGIN_MAX: '100',
  } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  // A script of the super_admin's: the password grant with the admin scope, the way a
  // test reads mail (the outbox is a super_admin's, not a service account's).
  await insertClient(worker, { id: TESTER_ID, secret: TESTER_SECRET });
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
});

const adminToken = (url = worker.url) => serviceToken({ url }, ADMIN_ID, ADMIN_SECRET);

/** An access token of the super_admin (ADMIN_EMAIL), with the admin scope. */
async function superAdminToken() {
  const res = await fetch(`${worker.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${TESTER_ID}:${TESTER_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD,
      scope: 'openid admin' }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token;
}

/** The outbox, newest first, as GET /api/outbox returns it. */
async function outbox() {
  const res = await fetch(`${worker.url}/api/outbox`, { headers: { authorization: `Bearer ${await superAdminToken()}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return res.json();
}

/**
 * The newest mail of `template` to `to`, and the link to `path` in it. Mail is written
 * after the answer (waitUntil), so this looks a few times before giving up.
 */
async function mailTo(to, template, path) {
  let data = [];
  let mail;
  for (let i = 0; i < 25 && !mail; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    ({ data } = await outbox());
    mail = data.find((m) => m.to === to && m.template === template);
  }
  assert.ok(mail, `a ${template} mail to ${to} in ${JSON.stringify(data.map((m) => [m.template, m.to]))}`);
  for (const field of ['to', 'subject', 'text', 'html', 'created_at']) assert.ok(field in mail, field);
  const link = path && mail.text.match(new RegExp(`${worker.url}${path}\\?token=[A-Za-z0-9_-]+`))?.[0];
  if (path) assert.ok(link, `a ${path} link in: ${mail.text}`);
  return { mail, link };
}

/** Signs in through the SPA's /signin in `page`; resolves once the browser left it. */
async function signInWithForm(page, email, password) {
  await page.goto(`${worker.url}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The session API as a script (or a second browser) calls it: CSRF cookie + header. */
async function apiSignIn(request, email, password) {
  const info = await (await request.get(`${worker.url}/api/session`)).json();
  return request.post(`${worker.url}/api/session`, {
    headers: { 'x-csrf-token': info.csrf_token, 'content-type': 'application/json' },
    data: { email, password },
  });
}

/** Waits for `locator`; on a timeout the error says what the page showed instead. */
async function shows(page, locator) {
  await locator.waitFor({ timeout: 15000 }).catch(async (e) => {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`${e.message}\nthe page at ${page.url()} shows:\n${text}`);
  });
}

async function apiSignOut(request) {
  const info = await (await request.get(`${worker.url}/api/session`)).json();
  const res = await request.delete(`${worker.url}/api/session`, { headers: { 'x-csrf-token': info.csrf_token } });
  assert.equal(res.status(), 204);
}

const ALICE = 'alice@example.com';
const ALICE_FIRST = 'first passphrase for alice';
const ALICE_SECOND = 'second passphrase for alice';

test('sign-up → verification mail from the outbox → sign-in (EMAIL_VERIFICATION_REQUIRED)', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin`);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL(/\/signup$/, { waitUntil: 'commit' });
  await page.getByLabel('Name (optional)').fill('Alice');
  await page.getByLabel('Email').fill(ALICE);
  // The policy shows live while typing (shared's rules, PASSWORD_MIN_LENGTH=12).
  await page.getByLabel('Password', { exact: true }).fill('short');
  const rule = page.locator('#password-rules li', { hasText: 'Be at least 12 characters' });
  assert.equal(await rule.getAttribute('class'), 'unmet');
  await page.getByLabel('Password', { exact: true }).fill(ALICE_FIRST);
  await page.waitForFunction(() => document.querySelector('#password-rules li')?.className === 'met');
  await page.screenshot({ path: join(SCREENSHOTS, 'signup.png') });
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('status').filter({ hasText: `We sent a verification link to ${ALICE}` }).waitFor();

  // Not verified yet: sign-in is refused with a sentence saying why.
  await signInWithForm(page, ALICE, ALICE_FIRST);
  await page.getByRole('alert').filter({ hasText: 'Verify your email address first' }).waitFor();

  const { mail, link } = await mailTo(ALICE, 'verification', '/verify-email');
  assert.equal(mail.subject, 'Verify your email address');
  assert.match(mail.html, /<a href="http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=/);
  await page.goto(link);
  await page.getByText('Your email address is verified').waitFor();
  assert.equal((await mailTo(ALICE, 'welcome')).mail.subject, 'Welcome to Authority');
  // The link works once.
  await page.goto(link);
  await page.getByRole('alert').filter({ hasText: 'invalid, has expired or was already used' }).waitFor();

  await signInWithForm(page, ALICE, ALICE_FIRST);
  await page.waitForURL(/\/account$/, { waitUntil: 'commit' });
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByText('Verified').waitFor();
  const events = await worker.query("SELECT event FROM audit_log WHERE event IN ('user.signup', 'email.verified')");
  assert.deepEqual(events.map((e) => e.event).sort(), ['email.verified', 'user.signup']);
  await context.close();
});

test('forgot password → reset mail → the new password works, the old one and the spent link fail', async () => {
  const signedIn = await browser.newContext();
  assert.equal((await apiSignIn(signedIn.request, ALICE, ALICE_FIRST)).status(), 200);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.waitForURL(/\/forgot-password$/, { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(ALICE);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByRole('status').filter({ hasText: RESET_ANSWER }).waitFor();

  const { mail, link } = await mailTo(ALICE, 'password-reset', '/reset-password');
  assert.equal(mail.subject, 'Reset your password');
  assert.match(mail.text, /This link expires in 60 minutes\./);
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill(ALICE_SECOND);
  await page.getByLabel('Confirm new password').fill(ALICE_SECOND);
  await page.screenshot({ path: join(SCREENSHOTS, 'reset-password.png') });
  await page.getByRole('button', { name: 'Reset password' }).click();
  await page.getByRole('heading', { name: 'Password reset complete' }).waitFor();

  const fresh = await browser.newContext();
  const old = await apiSignIn(fresh.request, ALICE, ALICE_FIRST);
  assert.equal(old.status(), 401);
  assert.equal((await old.json()).error, 'invalid_credentials');
  assert.equal((await apiSignIn(fresh.request, ALICE, ALICE_SECOND)).status(), 200);
  await apiSignOut(fresh.request);
  // The reset ended the sessions the account had.
  const before = await (await signedIn.request.get(`${worker.url}/api/session`)).json();
  assert.equal(before.user, null);
  const token = new URL(link).searchParams.get('token');
  const again = await fetch(`${worker.url}/api/password-reset/complete`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, password: 'a third passphrase here' }),
  });
  assert.equal(again.status, 400);
  assert.equal((await again.json()).error, 'invalid_token');
  const events = await worker.query("SELECT event FROM audit_log WHERE event IN ('password.reset_requested', 'password.reset') ORDER BY timestamp, rowid");
  assert.deepEqual(events.map((e) => e.event), ['password.reset_requested', 'password.reset']);
  await Promise.all([signedIn.close(), context.close(), fresh.close()]);
});

test('account page: profile saved, another browser signed out, an app consent revoked', async () => {
  const here = await browser.newContext();
  const elsewhere = await browser.newContext({ userAgent: 'Elsewhere/1.0 (e2e)' });
  assert.equal((await apiSignIn(elsewhere.request, ALICE, ALICE_SECOND)).status(), 200);
  const [alice] = await worker.query(`SELECT id FROM users WHERE email = '${ALICE}'`);
  await worker.query(`INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at)
    VALUES ('${alice.id}', 'demo-app', 'openid profile email', 1, 1)`);

  const page = await here.newPage();
  await page.goto(`${worker.url}/account`);
  await page.waitForURL(/\/signin\?next=%2Faccount$/, { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(ALICE);
  await page.getByLabel('Password').fill(ALICE_SECOND);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account$/, { waitUntil: 'commit' });

  await page.getByLabel('Given name').fill('Alice');
  await page.getByLabel('Family name').fill('Liddell');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await shows(page, page.getByText('Profile saved.'));
  const profile = await (await here.request.get(`${worker.url}/api/account`)).json();
  assert.equal(profile.family_name, 'Liddell');
  assert.equal(profile.email_verified, true);

  const sessions = page.getByRole('list', { name: 'Sessions' }).getByRole('listitem');
  await page.getByText('Elsewhere/1.0 (e2e)').waitFor();
  assert.equal(await sessions.count(), 2);
  await page.getByRole('list', { name: 'Apps' }).getByText('Demo App').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'account.png'), fullPage: true });

  await page.getByRole('button', { name: 'Sign out Elsewhere/1.0 (e2e)' }).click();
  await page.getByText('Elsewhere/1.0 (e2e)').waitFor({ state: 'detached' });
  assert.equal((await (await elsewhere.request.get(`${worker.url}/api/session`)).json()).user, null);

  await page.getByRole('button', { name: 'Revoke access of Demo App' }).click();
  await page.getByText('No apps yet.').waitFor();
  const left = await worker.query(`SELECT COUNT(*) AS n FROM consents WHERE user_id = '${alice.id}'`);
  assert.equal(left[0].n, 0);
  const events = await worker.query("SELECT event FROM audit_log WHERE event IN ('user.updated', 'session.revoked', 'consent.revoked')");
  assert.deepEqual(events.map((e) => e.event).sort(), ['consent.revoked', 'session.revoked', 'user.updated']);
  await Promise.all([here.close(), elsewhere.close()]);
});

test('the admin console shows the outbox (EMAIL_PROVIDER=log)', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/admin/outbox`);
  await page.waitForURL(/\/signin\?request=/, { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/outbox$/, { waitUntil: 'commit' });
  await page.getByRole('heading', { name: 'Outbox' }).waitFor();
  const messages = page.getByRole('list', { name: 'Messages' });
  await messages.getByText('Verify your email address', { exact: true }).first().waitFor();
  await messages.getByText('Reset your password', { exact: true }).first().click();
  await messages.getByText(/reset-password\?token=/).first().waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-outbox.png'), fullPage: true });
  await context.close();
});

test('account API: a super_admin token for the outbox, same reset answer, rate limits, validation, CSRF', async () => {
  // The admin service account (and any admin but a super_admin) cannot read reset links.
  const service = await fetch(`${worker.url}/api/outbox`, { headers: { authorization: `Bearer ${await adminToken()}` } });
  assert.equal(service.status, 403);
  assert.equal((await service.json()).error, 'super_admin_required');
  const none = await fetch(`${worker.url}/api/outbox`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="admin"');
  const bad = await fetch(`${worker.url}/api/outbox`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate'), /^Bearer realm="admin", error="invalid_token"/);

  const reset = (email) => fetch(`${worker.url}/api/password-reset`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }),
  });
  // HIDE_EMAIL_EXISTENCE=true: the same answer for an address without an account.
  const unknown = await reset('nobody@example.com');
  assert.equal(unknown.status, 200);
  assert.deepEqual(await unknown.json(), { message: RESET_ANSWER });
  // RATE_LIMIT_PASSWORD_RESET_MAX=3 per hour per address.
  await reset('nobody@example.com');
  await reset('nobody@example.com');
  const limited = await reset('NOBODY@example.com');
  assert.equal(limited.status, 429);
  const body = await limited.json();
  assert.equal(body.error, 'rate_limit_exceeded');
  assert.ok(body.retry_after > 0 && body.retry_after <= 3600);
  assert.equal(limited.headers.get('retry-after'), String(body.retry_after));

  const validate = await fetch(`${worker.url}/api/validate-password`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'short' }),
  });
  assert.deepEqual(await validate.json(), { valid: false, errors: ['Password must be at least 12 characters'] });

  const signup = await fetch(`${worker.url}/api/signup`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'not-an-address', password: 'short' }),
  });
  assert.equal(signup.status, 422);
  const invalid = await signup.json();
  assert.equal(invalid.error, 'validation_error');
  assert.deepEqual(invalid.details.map((d) => d.field), ['email', 'password']);

  const crossSite = await fetch(`${worker.url}/api/signup`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    body: JSON.stringify({ email: 'mallory@example.com', password: 'long enough password' }),
  });
  assert.equal(crossSite.status, 403);
  const noCsrf = await fetch(`${worker.url}/api/account/sessions/abc`, { method: 'DELETE' });
  assert.equal(noCsrf.status, 403);
  assert.equal((await noCsrf.json()).error, 'csrf_failed');
  const anonymous = await fetch(`${worker.url}/api/account`);
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).error, 'login_required');
});

test('RATE_LIMIT_LOGIN_* and EMAIL_PROVIDER=http: 429 after the limit; mail POSTed to the mail API', async () => {
  const received = [];
  const mailApi = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}');
    });
  });
  await new Promise((resolve) => mailApi.listen(0, '127.0.0.1', resolve));
  const limited = await startWorker({ vars: {
    ADMIN_EMAIL, ADMIN_PASSWORD, RATE_LIMIT_LOGIN_MAX: '2', EMAIL_PROVIDER: 'http',
    EMAIL_API_URL: `http://127.0.0.1:${mailApi.address().port}/emails`, EMAIL_API_KEY: 'test-mail-key',
  } });
  try {
    const context = await browser.newContext();
    const attempt = () => apiSignIn({
      get: (url) => context.request.get(url.replace(worker.url, limited.url)),
      post: (url, options) => context.request.post(url.replace(worker.url, limited.url), options),
    }, ADMIN_EMAIL, 'wrong password guess');
    assert.equal((await attempt()).status(), 401);
    assert.equal((await attempt()).status(), 401);
    const refused = await attempt();
    assert.equal(refused.status(), 429);
    assert.ok(Number(refused.headers()['retry-after']) > 0);
    await context.close();

    const reset = await fetch(`${limited.url}/api/password-reset`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN_EMAIL }),
    });
    assert.equal(reset.status, 200);
    // Sent after the answer (waitUntil): wait for it.
    for (let i = 0; i < 25 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(received.length, 1);
    assert.equal(received[0].authorization, 'Bearer test-mail-key');
    assert.deepEqual(received[0].body.to, [ADMIN_EMAIL]);
    assert.equal(received[0].body.from, 'Authority <noreply@example.com>');
    assert.equal(received[0].body.subject, 'Reset your password');
    let rows = [];
    for (let i = 0; i < 10; i++) {
      rows = await limited.query('SELECT status FROM mail_outbox');
      if (rows[0]?.status === 'sent') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(rows.map((r) => r.status), ['sent']);
    // The person got a working link; the outbox keeps it without the token.
    assert.match(received[0].body.text, /reset-password\?token=[A-Za-z0-9_-]{43}/);
    const [stored] = await limited.query('SELECT text_body, html_body FROM mail_outbox');
    assert.match(stored.text_body, /reset-password\?token=REDACTED/);
    assert.doesNotMatch(stored.html_body, /token=[A-Za-z0-9_-]{43}/);
  } finally {
    await limited.stop();
    mailApi.close();
  }
});
