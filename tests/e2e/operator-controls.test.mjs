// End-to-end: the operator's controls (docs/api.md "Times" and "Sessions", docs/usage.md
// "A token for scripts", docs/configuration.md "Settings this server does not read",
// docs/operations.md "Reading the logs"). The admin answers the product docs show, field
// by field, with RFC 3339 times; a session's device and place (Miniflare gives every
// request a Cloudflare placing, as the edge does); NOTIFY_NEW_SESSION; a super_admin's
// token from a terminal through the device flow (the repository's scripts/login.mjs, its
// prompt followed in Chromium); DELETE /api/sessions?all=true; an unknown variable named
// in /health with the nearest known name; LOG_LEVEL=debug's lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, serviceToken } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOT = ['root@example.com', 'e2e-admin-password-0123'];
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const BOB = ['bob@example.com', 'a long enough password'];
const MAC_CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) '
  + 'Chrome/120.0.0.0 Safari/537.36';
const WINDOWS_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
let worker;
let browser;
let admin;
let bob;
let superToken;

before(async () => {
  worker = await startWorker({
    hostName: 'localhost',
    cf: { city: 'San Francisco', regionCode: 'CA', country: 'US' },
    vars: { ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1], ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1],
      PASSWORD_EXPIRY_DAYS: '90', LOG_LEVEL: 'debug', RATE_LIMIT_LOGIN_MAX: '100',
      // A typo of ACCESS_TOKEN_TTL: set, and read by nothing.
      ACCES_TOKEN_TTL: '60' },
  });
  browser = await launchChromium();
  admin = await serviceToken(worker, ...ADMIN);
  const created = await call('POST', '/api/users', admin, { email: BOB[0], password: BOB[1], email_verified: true });
  assert.equal(created.status, 201);
  bob = created.body;
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

async function call(method, path, token, body) {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${token}`,
    ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/** Signs in through the SPA in a browser that calls itself `userAgent`. */
async function signIn([email, password], userAgent) {
  const context = await browser.newContext({ userAgent });
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 15_000 });
  return context;
}

const newLoginMails = () => worker.query("SELECT text_body FROM mail_outbox WHERE template = 'new-login' AND to_address = ?1", BOB[0]);

test('docs/api.md "Sessions": the documented shapes field by field; the new-sign-in mail names the device and place', async () => {
  await signIn(BOB, WINDOWS_FIREFOX);
  await signIn(BOB, MAC_CHROME);
  const listed = await call('GET', `/api/users/${bob.id}/sessions`, admin);
  assert.equal(listed.status, 200);
  assert.equal(listed.body.data.length, 2);
  // Both began within a second: told apart by their browser, not by their order.
  const newest = listed.body.data.find((s) => s.user_agent === MAC_CHROME);
  const first = listed.body.data.find((s) => s.user_agent === WINDOWS_FIREFOX);
  for (const field of ['id', 'created_at', 'last_activity', 'ip_address', 'user_agent', 'device', 'location']) {
    assert.ok(field in newest, `${field} in ${JSON.stringify(newest)}`);
  }
  assert.match(newest.created_at, RFC3339);
  assert.match(newest.last_activity, RFC3339);
  assert.equal(newest.ip_address, '127.0.0.1');
  assert.equal(newest.user_agent, MAC_CHROME);
  assert.equal(newest.device, 'Chrome on macOS');
  assert.equal(newest.location, 'San Francisco, CA');
  assert.equal(first.device, 'Firefox on Windows');
  const all = await call('GET', '/api/sessions', admin);
  const listedAll = all.body.data.find((s) => s.user_agent === MAC_CHROME);
  assert.equal(listedAll.device, 'Chrome on macOS');
  assert.match(listedAll.expires_at, RFC3339);

  const status = await call('GET', `/api/users/${bob.id}/password-status`, admin);
  assert.deepEqual(Object.keys(status.body).filter((k) => ['last_changed', 'expires_at', 'days_until_expiry',
    'requires_change'].includes(k)).sort(), ['days_until_expiry', 'expires_at', 'last_changed', 'requires_change']);
  assert.match(status.body.last_changed, RFC3339);
  const ninetyDays = Date.parse(status.body.expires_at) - Date.parse(status.body.last_changed);
  assert.equal(ninetyDays, 90 * 86_400_000, 'PASSWORD_EXPIRY_DAYS=90');
  assert.ok([89, 90].includes(status.body.days_until_expiry), String(status.body.days_until_expiry));
  assert.equal(status.body.requires_change, false);

  const metrics = await call('GET', '/api/metrics/sessions', admin);
  assert.equal(metrics.body.active_sessions, 2);
  assert.equal(metrics.body.sessions_today, 2);
  assert.equal(metrics.body.unique_users, 1);
  const user = await call('GET', `/api/users/${bob.id}`, admin);
  assert.match(user.body.created_at, RFC3339);

  // The second browser was new to the account: the mail says which and where.
  const [mail] = await newLoginMails();
  assert.match(mail.text_body, /Browser: Chrome on macOS\nLocation: San Francisco, CA\n/);
});

test('make login: a super_admin gets a token from a terminal through the device flow (RFC 8628)', async () => {
  const cli = spawn(process.execPath, [join(root, 'scripts', 'login.mjs'), worker.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((done) => cli.on('exit', done));
  const prompt = await new Promise((found, failed) => {
    cli.stderr.on('data', (d) => {
      stderr += d;
      const match = /Open (\S+) in a browser, sign in as an admin and approve code (\S+)\./.exec(stderr);
      if (match) found(match);
    });
    cli.on('exit', () => failed(new Error(`login.mjs ended: ${stderr}`)));
  });
  const context = await browser.newContext({ userAgent: MAC_CHROME });
  const page = await context.newPage();
  await page.goto(prompt[1]);
  await page.waitForURL(/\/signin\?next=/, { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(ROOT[0]);
  await page.getByLabel('Password').fill(ROOT[1]);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`Only continue if your device shows the code ${prompt[2]}.`).waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Allow' }).click();
  assert.equal(await exited, 0, stderr);
  superToken = stdout.trim();
  assert.match(superToken, /^ey/);
  const keys = await call('GET', '/api/keys', superToken);
  assert.equal(keys.status, 200, 'a person\'s admin token');
  assert.match(keys.body.data[0].created_at, RFC3339);
});

test('NOTIFY_NEW_SESSION=false: a sign-in from a new browser mails nothing', async () => {
  assert.ok(superToken, 'the device-flow test ran');
  const off = await call('PATCH', '/api/settings', superToken, { NOTIFY_NEW_SESSION: 'false' });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  const before = (await newLoginMails()).length;
  await signIn(BOB, 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0');
  await signIn(BOB, 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36');
  assert.equal((await newLoginMails()).length, before);
  assert.equal((await call('PATCH', '/api/settings', superToken, { NOTIFY_NEW_SESSION: null })).status, 200);
});

test('DELETE /api/sessions?all=true: a super_admin ends every session, theirs too; an admin may not', async () => {
  const refused = await call('DELETE', '/api/sessions?all=true', admin);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error, 'super_admin_required');
  assert.equal((await call('DELETE', '/api/sessions?all=true&ip=127.0.0.1', superToken)).status, 422);
  const live = (await call('GET', '/api/sessions', admin)).body.total;
  assert.ok(live >= 5, `bob's four and root's: ${live}`);
  const ended = await call('DELETE', '/api/sessions?all=true', superToken);
  assert.equal(ended.status, 200);
  assert.equal(ended.body.ended, live);
  assert.equal((await call('GET', '/api/sessions', admin)).body.total, 0);
  assert.equal((await call('GET', '/api/keys', superToken)).status, 401, 'the caller\'s token ended with its session');
  const audit = await worker.query("SELECT metadata FROM audit_log WHERE event = 'sessions.revoked' ORDER BY timestamp");
  assert.ok(audit.some((row) => JSON.parse(row.metadata).all === true));
});

test('an unknown variable is named in /health with the nearest known name, and in the log; LOG_LEVEL=debug lines', async () => {
  const health = await (await fetch(`${worker.url}/health`)).json();
  assert.equal(health.status, 'ok');
  assert.deepEqual(health.unread_settings.find((s) => s.name === 'ACCES_TOKEN_TTL'),
    { name: 'ACCES_TOKEN_TTL', instead: 'not a setting of this server; did you mean ACCESS_TOKEN_TTL?' });
  const settings = await call('GET', '/api/settings', admin);
  assert.equal(settings.body.find((s) => s.name === 'ACCES_TOKEN_TTL')?.source, 'unread');
  const logs = worker.logs();
  assert.match(logs, /setting ACCES_TOKEN_TTL is set but not read here; not a setting of this server; did you mean ACCESS_TOKEN_TTL\?/);
  assert.match(logs, /GET \/health 200 \d+ms/, 'info: one line per answer');
  assert.match(logs, /GET \/api\/sessions storage: d1 \d+ calls/, 'debug: the storage calls');
  assert.ok(!logs.includes(BOB[1]) && !logs.includes(ADMIN[1]), 'no secret in the log');
});
