// End-to-end: the admin API on browser sessions (docs/api.md "Admin and account API",
// Sessions): listed with their users from D1's index, ended one at a time or by address
// and age, counted; an ended session is refused on its very next request, and an admin
// (here the admin-cli service account) cannot end a super_admin's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');

const ROOT_EMAIL = 'root@example.com';
const ROOT_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-cli-secret-0123456789abcdef0123';
const PASSWORD = 'a long enough password';
let worker;
let admin;
let carol;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD,
    ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET, RATE_LIMIT_LOGIN_MAX: '1000' } });
  const token = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  admin = (await token.json()).access_token;
  carol = (await api('POST', '/api/users', { email: 'carol@example.com', name: 'Carol', password: PASSWORD, email_verified: true })).body;
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

async function api(method, path, body) {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`,
    ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
/** A browser sign-in through the SPA's API; `account()` then asks for the account page's data. */
async function browserSignIn(email, password, userAgent) {
  const info = await fetch(`${worker.url}/api/session`);
  const csrf = (await info.json()).csrf_token;
  const res = await fetch(`${worker.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': csrf, cookie: `authority_csrf=${csrf}`, 'user-agent': userAgent },
  body: JSON.stringify({ email, password }) });
  assert.equal(res.status, 200);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { account: () => fetch(`${worker.url}/api/account`, { headers: { cookie } }).then((r) => r.status) };
}

test('sessions are listed with their users and counted; one ended by id is refused on its next request', async () => {
  const before = (await api('GET', '/api/metrics/sessions')).body;
  const laptop = await browserSignIn('carol@example.com', PASSWORD, 'Carol laptop');
  const phone = await browserSignIn('carol@example.com', PASSWORD, 'Carol phone');
  assert.deepEqual([await laptop.account(), await phone.account()], [200, 200]);
  const listed = await api('GET', `/api/sessions?user_id=${carol.id}`);
  assert.equal(listed.status, 200);
  assert.equal(listed.body.total, 2);
  assert.deepEqual(listed.body.data.map((s) => [s.email, s.user_agent]).sort(),
    [['carol@example.com', 'Carol laptop'], ['carol@example.com', 'Carol phone']]);
  assert.ok(listed.body.data[0].created_at >= listed.body.data[1].created_at, 'newest first');
  const metrics = (await api('GET', '/api/metrics/sessions')).body;
  assert.equal(metrics.active, before.active + 2);
  assert.equal(metrics.created_last_hour, before.created_last_hour + 2);

  const laptopSession = listed.body.data.find((s) => s.user_agent === 'Carol laptop');
  const ended = await api('DELETE', `/api/sessions/${laptopSession.id}`);
  assert.equal(ended.status, 204);
  assert.equal(await laptop.account(), 401, 'the laptop is signed out at once');
  assert.equal(await phone.account(), 200, 'the phone is not');
  assert.equal((await api('DELETE', `/api/sessions/${laptopSession.id}`)).status, 404);
  const audit = await api('GET', '/api/audit-logs?event=session.revoked');
  assert.equal(audit.body.data[0].resource_id, laptopSession.id);
});

test('ending by address keeps to the role hierarchy: an admin ends users\' sessions, never a super_admin\'s', async () => {
  const root = await browserSignIn(ROOT_EMAIL, ROOT_PASSWORD, 'Root desktop');
  const carolAgain = await browserSignIn('carol@example.com', PASSWORD, 'Carol tablet');
  const roots = await api('GET', '/api/sessions?ip=127.0.0.1');
  const rootSession = roots.body.data.find((s) => s.email === ROOT_EMAIL);
  assert.ok(rootSession, JSON.stringify(roots.body));
  const refused = await api('DELETE', `/api/sessions/${rootSession.id}`);
  assert.deepEqual([refused.status, refused.body.error], [403, 'super_admin_required']);
  const unfiltered = await api('DELETE', '/api/sessions');
  assert.deepEqual([unfiltered.status, unfiltered.body.error], [422, 'validation_error'], 'never everything by accident');
  assert.equal((await api('DELETE', '/api/sessions?older_than=30x')).status, 422);
  const byIp = await api('DELETE', '/api/sessions?ip=127.0.0.1');
  assert.equal(byIp.status, 200);
  assert.ok(byIp.body.ended >= 2, JSON.stringify(byIp.body));
  assert.equal(await carolAgain.account(), 401);
  assert.equal(await root.account(), 200, 'the super_admin stays signed in');
  const left = await api('GET', '/api/sessions');
  assert.deepEqual(left.body.data.map((s) => s.email), [ROOT_EMAIL]);
});

test('the console\'s Sessions screen: the counts, the list, and ending one session with a confirmation', async () => {
  const carolNow = await browserSignIn('carol@example.com', PASSWORD, 'Carol kiosk');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (dialog) => dialog.accept());
    await openConsole(page, `${worker.url}/admin/sessions`, ROOT_EMAIL, ROOT_PASSWORD, 'Sessions');
    await page.getByText('Live sessions', { exact: true }).first().waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Carol kiosk' });
    await row.waitFor({ timeout: 15_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-sessions.png'), fullPage: true });
    await row.getByRole('button', { name: /^End carol@example.com's session/ }).click();
    await page.getByText('carol@example.com is signed out of that browser.').waitFor({ timeout: 15_000 });
    assert.equal(await carolNow.account(), 401);
    await page.getByRole('row').filter({ hasText: 'Carol kiosk' }).waitFor({ state: 'detached', timeout: 15_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the console\'s Users screen: a person\'s sessions and apps, and signing them out everywhere', async () => {
  const carolDesk = await browserSignIn('carol@example.com', PASSWORD, 'Carol desk');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (dialog) => dialog.accept());
    await openConsole(page, `${worker.url}/admin/users`, ROOT_EMAIL, ROOT_PASSWORD, 'Users');
    await page.getByRole('button', { name: 'Sessions and apps of carol@example.com' }).click();
    const detail = page.getByRole('region', { name: 'carol@example.com: sessions and apps' });
    await detail.getByRole('cell', { name: 'Carol desk' }).waitFor({ timeout: 15_000 });
    await detail.getByText('No apps.').waitFor();
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-user-detail.png'), fullPage: true });
    await detail.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByText('carol@example.com is signed out everywhere.').waitFor({ timeout: 15_000 });
    await detail.getByText('Not signed in anywhere.').waitFor({ timeout: 15_000 });
    assert.equal(await carolDesk.account(), 401);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
