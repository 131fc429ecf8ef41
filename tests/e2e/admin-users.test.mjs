// End-to-end: the admin API on users (docs/api.md "Admin and account API"): an admin creates
// a user who then signs in; an admin cannot promote anyone, a super_admin can; the last
// super_admin stays; deactivation ends a live session and the user's tokens stop working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole, insertClient } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');

const ROOT_EMAIL = 'root@example.com';
const ROOT_PASSWORD = 'e2e-admin-password-123';
const TESTER_ID = 'e2e-tester';
const TESTER_SECRET = 'e2e-tester-secret-0123456789abcdef0123456789';
const PASSWORD = 'a long enough password';
let worker;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD,
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: TESTER_ID, RATE_LIMIT_LOGIN_MAX: '1000' } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  // A confidential client for the password grant: how these scripts get a person's token.
  await insertClient(worker, { id: TESTER_ID, secret: TESTER_SECRET, grants: ['password', 'refresh_token'],
    scopes: ['openid', 'email', 'admin', 'offline_access'] });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

const tester = `Basic ${Buffer.from(`${TESTER_ID}:${TESTER_SECRET}`).toString('base64')}`;
async function passwordGrant(username, password, scope) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST',
    headers: { authorization: tester, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password, scope }) });
  return { status: res.status, body: await res.json() };
}
async function tokenOf(email, password) {
  const { status, body } = await passwordGrant(email, password, 'openid admin');
  assert.equal(status, 200, JSON.stringify(body));
  return body.access_token;
}
async function api(token, method, path, body) {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${token}`,
    ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
/** A browser sign-in through the SPA's API: the session and CSRF cookies. */
async function browserSignIn(email, password) {
  const info = await fetch(`${worker.url}/api/session`);
  const csrf = (await info.json()).csrf_token;
  const res = await fetch(`${worker.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': csrf, cookie: `authority_csrf=${csrf}` }, body: JSON.stringify({ email, password }) });
  return { status: res.status, cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

let root;
let admin;
let bob;

test('a super_admin makes an admin; the admin creates a user who signs in; nobody but the super_admin promotes', async () => {
  root = await tokenOf(ROOT_EMAIL, ROOT_PASSWORD);
  const made = await api(root, 'POST', '/api/users', { email: 'ada@example.com', name: 'Ada', password: PASSWORD, role: 'admin', email_verified: true });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body.role, 'admin');
  admin = await tokenOf('ada@example.com', PASSWORD);
  const refused = await api(admin, 'POST', '/api/users', { email: 'eve@example.com', password: PASSWORD, role: 'admin' });
  assert.equal(refused.status, 403, 'an admin cannot create an admin');
  const created = await api(admin, 'POST', '/api/users', { email: 'bob@example.com', name: 'Bob', password: PASSWORD, email_verified: true });
  assert.equal(created.status, 201);
  bob = created.body;
  assert.deepEqual([bob.role, bob.active, bob.locked], ['user', true, false]);
  assert.equal((await browserSignIn('bob@example.com', PASSWORD)).status, 200, 'the new user signs in');
  assert.equal((await api(admin, 'PATCH', `/api/users/${bob.id}`, { role: 'admin' })).status, 403);
  const promoted = await api(root, 'PATCH', `/api/users/${bob.id}`, { role: 'admin' });
  assert.equal(promoted.body.role, 'admin');
  assert.equal((await api(root, 'PATCH', `/api/users/${bob.id}`, { role: 'user' })).status, 200);
  // The list: search, filter, paging, the shape of docs/api.md.
  const list = await api(admin, 'GET', '/api/users?search=BOB&role=user&limit=10');
  assert.deepEqual([list.body.total, list.body.data[0].email, list.body.limit, list.body.offset], [1, 'bob@example.com', 10, 0]);
  // A search as long as the API takes runs on D1 (whose LIKE patterns stop at 50 bytes);
  // a longer one is a 422 naming the field, on users and clients alike.
  for (const path of ['/api/users', '/api/clients']) {
    const longest = await api(admin, 'GET', `${path}?search=${encodeURIComponent('b%_'.repeat(33))}b`);
    assert.deepEqual([longest.status, longest.body.total], [200, 0], path);
    const tooLong = await api(admin, 'GET', `${path}?search=${'b'.repeat(101)}`);
    assert.deepEqual([tooLong.status, tooLong.body.error], [422, 'validation_error'], path);
  }
  const [rootRow] = await worker.query(`SELECT id FROM users WHERE email = '${ROOT_EMAIL}'`);
  const last = await api(root, 'PATCH', `/api/users/${rootRow.id}`, { active: false });
  assert.deepEqual([last.status, last.body.error], [409, 'last_super_admin']);
});

test('deactivation ends the live session and the tokens stop working at once', async () => {
  const browser = await browserSignIn('bob@example.com', PASSWORD);
  const account = () => fetch(`${worker.url}/api/account`, { headers: { cookie: browser.cookie } });
  assert.equal((await account()).status, 200);
  const grant = await passwordGrant('bob@example.com', PASSWORD, 'openid email offline_access');
  assert.equal(grant.status, 200);
  const sessions = await api(admin, 'GET', `/api/users/${bob.id}/sessions`);
  assert.ok(sessions.body.data.length >= 1);
  const off = await api(admin, 'PATCH', `/api/users/${bob.id}`, { active: false });
  assert.equal(off.status, 200);
  assert.equal(off.body.active, false);
  assert.equal((await account()).status, 401, 'the browser session is over');
  const userinfo = await fetch(`${worker.url}/userinfo`, { headers: { authorization: `Bearer ${grant.body.access_token}` } });
  assert.equal(userinfo.status, 401);
  const refresh = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: tester,
    'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: grant.body.refresh_token }) });
  assert.equal(refresh.status, 400);
  const introspected = await fetch(`${worker.url}/token/introspect`, { method: 'POST', headers: { authorization: tester,
    'content-type': 'application/x-www-form-urlencoded' }, body: `token=${grant.body.access_token}` });
  assert.deepEqual(await introspected.json(), { active: false });
  assert.equal((await browserSignIn('bob@example.com', PASSWORD)).status, 401, 'nor can bob sign in again');
  const events = await worker.query("SELECT event FROM audit_log WHERE resource_type = 'user' ORDER BY timestamp");
  for (const e of ['user.created', 'user.updated']) assert.ok(events.some((r) => r.event === e), e);
});

test('password status, a reset mail on request, and delete', async () => {
  const status = await api(admin, 'GET', `/api/users/${bob.id}/password-status`);
  assert.equal(status.body.has_password, true);
  assert.equal(status.body.age_days, 0);
  await api(root, 'PATCH', `/api/users/${bob.id}`, { active: true });
  assert.equal((await api(admin, 'POST', `/api/users/${bob.id}/send-password-reset`)).status, 202);
  const mails = await worker.query("SELECT template FROM mail_outbox WHERE to_address = 'bob@example.com'");
  assert.ok(mails.some((m) => m.template === 'password-reset'));
  assert.equal((await api(admin, 'DELETE', `/api/users/${bob.id}`)).status, 204);
  assert.equal((await api(admin, 'GET', `/api/users/${bob.id}`)).status, 404);
});

test('the audit log: filtered pages, one entry, CSV and NDJSON exports; reading is audited', async () => {
  const page = await api(admin, 'GET', '/api/audit-logs?event=user.created&limit=5');
  assert.equal(page.status, 200);
  assert.ok(page.body.total >= 2);
  const entry = page.body.data[0];
  assert.equal(entry.event, 'user.created');
  assert.match(entry.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(typeof entry.metadata, 'object');
  const one = await api(admin, 'GET', `/api/audit-logs/${entry.id}`);
  assert.deepEqual(one.body, entry);
  const bad = await api(admin, 'GET', '/api/audit-logs?from=yesterday');
  assert.deepEqual([bad.status, bad.body.error], [422, 'validation_error']);
  const csv = await fetch(`${worker.url}/api/audit-logs/export?format=csv&event=user.created`,
    { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  assert.equal(lines[0], 'id,timestamp,event,actor_id,actor_type,resource_type,resource_id,ip_address,user_agent,metadata');
  assert.equal(lines.length - 1, page.body.total, 'every matching entry');
  // RFC 4180: ten quoted fields per line, the metadata JSON with its quotes doubled.
  assert.ok(lines.slice(1).every((l) => l.startsWith('"') && l.split('","').length === 10), lines[1]);
  const ndjson = await fetch(`${worker.url}/api/audit-logs/export?format=ndjson`, { headers: { authorization: `Bearer ${admin}` } });
  const records = (await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(records.length >= page.body.total);
  const reads = await worker.query("SELECT event FROM audit_log WHERE event IN ('audit.read', 'audit.exported')");
  assert.ok(reads.filter((r) => r.event === 'audit.exported').length >= 2);
  assert.ok(reads.some((r) => r.event === 'audit.read'));
});

test('the console\'s Users screen: create an account with a mailed link, find it, deactivate it', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await openConsole(page, `${worker.url}/admin/users`, ROOT_EMAIL, ROOT_PASSWORD, 'Users');
    // The list first; the form opens on demand.
    await page.getByRole('table').first().waitFor();
    assert.equal(await page.getByRole('form', { name: 'New account' }).count(), 0);
    await page.getByRole('button', { name: 'New account' }).click();
    const form = page.getByRole('form', { name: 'New account' });
    await form.getByLabel('Email').fill('not an email');
    await form.getByRole('alert').filter({ hasText: 'Email' }).waitFor();
    await form.getByLabel('Email').fill('carol@example.com');
    await form.getByLabel('Name').fill('Carol');
    await form.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('carol@example.com is created.').waitFor({ timeout: 15_000 });
    assert.equal(await form.count(), 0, 'the form closes once the account is made');
    await page.getByRole('searchbox', { name: 'Search' }).fill('carol');
    const row = page.getByRole('row').filter({ hasText: 'carol@example.com' });
    await row.getByRole('cell', { name: 'Active' }).waitFor({ timeout: 15_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-users.png'), fullPage: true });
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByText('carol@example.com is deactivated and signed out.').waitFor({ timeout: 15_000 });
    await row.getByRole('cell', { name: 'Deactivated' }).waitFor({ timeout: 15_000 });
    const [carol] = await worker.query("SELECT active, password_hash FROM users WHERE email = 'carol@example.com'");
    assert.deepEqual(carol, { active: 0, password_hash: null });
    const mail = await worker.query("SELECT template FROM mail_outbox WHERE to_address = 'carol@example.com'");
    assert.deepEqual(mail, [{ template: 'password-reset' }], 'a link to set the password');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the console\'s Audit log screen: filter by event, open an entry, export what the filter selects as CSV', async () => {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await openConsole(page, `${worker.url}/admin/audit`, ROOT_EMAIL, ROOT_PASSWORD, 'Audit log');
    await page.getByLabel('Event').fill('user.created');
    const entries = page.getByRole('list', { name: 'Audit entries' }).getByRole('listitem');
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll('ul[aria-label="Audit entries"] li summary strong')];
      return items.length > 0 && items.every((s) => s.textContent === 'user.created');
    }, null, { timeout: 15_000 });
    await entries.first().locator('summary').click();
    await entries.first().getByText('IP address').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 15_000 }),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'audit-log.csv');
    const text = await readFile(await download.path(), 'utf8');
    const lines = text.trim().split('\r\n');
    assert.equal(lines[0].split(',')[2], 'event');
    const created = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'user.created'");
    assert.equal(lines.length - 1, created[0].n, 'the export holds what the filter selects');
    assert.ok(lines.slice(1).every((l) => l.split('","')[2] === 'user.created'));
    await page.getByText('The CSV export is downloaded.').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-audit.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
