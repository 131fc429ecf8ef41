// End-to-end: admin power kept in its place (docs/api.md "Admin and account API"; RFC 9700
// §4.1 for redirect URIs). The first super_admin exists before anyone can sign up with
// ADMIN_EMAIL; only a super_admin changes the console's client or a bootstrap client; a
// renewed ADMIN_CLIENT_SECRET stays revoked when the worker restarts with the old value
// still in its environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWorker, basic, insertClient } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-secret-0123456789abcdef0123456789';
const TESTER_ID = 'e2e-tester';
const TESTER_SECRET = 'e2e-tester-secret-0123456789abcdef0123456789';
// Fixed, so that a restarted worker opens the same sealed signing keys.
const SECRET_KEY = randomBytes(32).toString('hex');
const vars = { SECRET_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET,
  ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: TESTER_ID };
let worker;

before(async () => {
  worker = await startWorker({ vars });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

const form = (auth, body) => fetch(`${worker.url}/token`, {
  method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body),
});
/** The service account's token, or null when its secret is refused (401 invalid_client). */
const serviceToken = async (secret = ADMIN_SECRET) => {
  const res = await form(basic(ADMIN_ID, secret), { grant_type: 'client_credentials', scope: 'admin' });
  if (res.status === 401) return null;
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token;
};
const superAdminToken = async () => {
  const res = await form(basic(TESTER_ID, TESTER_SECRET),
    { grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD, scope: 'openid admin' });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token;
};
const api = async (method, path, token, body) => {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${token}`,
    ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

test('on a fresh deployment the first request may be a sign-up with ADMIN_EMAIL: the super_admin exists first', async () => {
  const res = await fetch(`${worker.url}/api/signup`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: worker.url },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: 'an-attacker-password-1' }),
  });
  // The sign-up gets the answer any sign-up gets (nothing tells the address is taken)...
  assert.equal(res.status, 201);
  assert.match((await res.json()).message, /^We sent a verification link to /);
  const users = await worker.query(`SELECT role FROM users WHERE email = '${ADMIN_EMAIL}'`);
  // ...but the account is the bootstrapped super_admin's, with ADMIN_PASSWORD (below).
  assert.deepEqual(users, [{ role: 'super_admin' }]);
  // A password-grant client for the super_admin's scripts (used below).
  await insertClient(worker, { id: TESTER_ID, secret: TESTER_SECRET });
  assert.ok(await superAdminToken(), 'ADMIN_PASSWORD signs in, not the sign-up\'s');
});

test('only a super_admin changes the console\'s client or a bootstrap client; redirect changes are audited', async () => {
  const service = await serviceToken();
  const evil = { redirect_uris: ['https://evil.example/admin/callback'] };
  for (const path of ['/register/authority-admin', `/register/${ADMIN_ID}`]) {
    const refused = await api('PATCH', path, service, evil);
    assert.equal(refused.status, 403, path);
    assert.equal(refused.body.error, 'protected_client');
  }
  assert.equal((await api('POST', `/register/${ADMIN_ID}/renew_secret`, service)).status, 403,
    'a leaked service secret cannot lock its owner out');
  const console = await api('GET', '/register/authority-admin', service);
  assert.equal(console.status, 200, 'reading stays an admin\'s');
  const own = await api('PATCH', '/register/authority-admin', await superAdminToken(),
    { post_logout_redirect_uris: [`${worker.url}/`, `${worker.url}/signed-out`] });
  assert.equal(own.status, 200, JSON.stringify(own.body));
  const [entry] = await worker.query(`SELECT actor_type, metadata FROM audit_log
    WHERE event = 'client.updated' AND resource_id = 'authority-admin'`);
  assert.equal(entry.actor_type, 'user');
  assert.deepEqual(JSON.parse(entry.metadata).post_logout_redirect_uris.after, [`${worker.url}/`, `${worker.url}/signed-out`]);
});

test('a renewed ADMIN_CLIENT_SECRET stays revoked after a restart with the old value still set', async () => {
  assert.ok(await serviceToken(), 'the seeded secret works');
  const renewed = await api('POST', `/register/${ADMIN_ID}/renew_secret`, await superAdminToken());
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  assert.equal(await serviceToken(), null, 'the old secret is refused at once');
  assert.ok(await serviceToken(renewed.body.client_secret), 'the renewed one works');
  // Every isolate cold, the environment unchanged: the bootstrap must not bring it back.
  await worker.stop({ keepState: true });
  worker = await startWorker({ vars, stateDir: worker.stateDir });
  assert.equal(await serviceToken(), null, 'the old secret stays revoked');
  assert.ok(await serviceToken(renewed.body.client_secret), 'the renewed one works');
});
