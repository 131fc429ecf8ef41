// End-to-end: /api/openapi.json describes the whole /api and /register surface, and the
// server keeps to it. The document is checked by an independent OpenAPI 3.1 validator; its
// paths are exactly the route table's; then every operation is called against the real
// worker (successes and the usual refusals), and each answer's status must be one the
// document lists for that operation, its body valid against the documented schema (ajv,
// JSON Schema 2020-12). Every operation must have answered with a documented success.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import { TOTP, Secret } from 'otpauth';
import { startWorker, insertClient } from './harness.mjs';
import { authenticator } from './webauthn-authenticator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOT_EMAIL = 'root@example.com';
const ROOT_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-cli-secret-0123456789abcdef0123';
const TESTER_ID = 'e2e-tester';
const TESTER_SECRET = 'e2e-tester-secret-0123456789abcdef0123456789';
const PASSWORD = 'a long enough password';
let worker;
let doc;
let ajv;
const seen = new Map(); // "METHOD template" -> Set of statuses

before(async () => {
  // A host name, not an IP address: passkeys (WebAuthn) are refused on an IP address.
  worker = await startWorker({ hostName: 'localhost', vars: { ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD,
    ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET, DEMO_CLIENT_SECRET: 'e2e-demo-secret-0123456789abcdef0123456789',
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: TESTER_ID, RATE_LIMIT_LOGIN_MAX: '1000',
    RATE_LIMIT_TOKEN_MAX: '1000', RATE_LIMIT_PASSWORD_RESET_MAX: '1000', ALLOW_OPEN_REGISTRATION: 'true' } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  await insertClient(worker, { id: TESTER_ID, secret: TESTER_SECRET });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

/** The operation of `doc` that `method path` calls, and its template. */
function operation(method, path) {
  const bare = path.split('?')[0];
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(bare) && item[method.toLowerCase()]) return { template, op: item[method.toLowerCase()] };
  }
  return null;
}

function schemaValidator(schema) {
  const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"api#/components/'));
  return ajv.compile(rebased);
}

/** Calls the worker and checks the answer against the document. */
async function call(method, path, { token, cookie, csrf, body, expect } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (cookie) headers.cookie = cookie;
  if (csrf) Object.assign(headers, { 'x-csrf-token': csrf, origin: worker.url });
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${worker.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const found = operation(method, path);
  assert.ok(found, `${method} ${path} is not in the document`);
  const key = `${method} ${found.template}`;
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key).add(res.status);
  const documented = found.op.responses[String(res.status)];
  assert.ok(documented, `${key} answered ${res.status}, which the document does not list: ${text}`);
  const response = documented.$ref ? doc.components.responses[documented.$ref.split('/').pop()] : documented;
  const type = (res.headers.get('content-type') ?? '').split(';')[0];
  let json = null;
  if (response.content) {
    assert.ok(response.content[type], `${key} ${res.status}: content type ${type} is not documented`);
    if (type === 'application/json') {
      json = JSON.parse(text);
      const validate = schemaValidator(response.content[type].schema);
      assert.ok(validate(json), `${key} ${res.status}: ${ajv.errorsText(validate.errors)}\n${text}`);
    }
  } else {
    assert.equal(text, '', `${key} ${res.status} documents no body`);
  }
  // Every call says the status a user relies on: a refusal answered 200 must fail here.
  assert.ok(expect !== undefined, `${key}: the call names no expected status`);
  assert.equal(res.status, expect, `${key}: ${text}`);
  return { status: res.status, body: json, headers: res.headers };
}

async function passwordToken(email, password) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${TESTER_ID}:${TESTER_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'password', username: email, password, scope: 'openid admin' }) });
  return (await res.json()).access_token;
}

/** Signs in through /api/session; returns the cookies and the session's CSRF token. */
async function browser(email, password) {
  const info = await call('GET', '/api/session', { expect: 200 });
  const res = await call('POST', '/api/session', { cookie: `authority_csrf=${info.body.csrf_token}`,
    csrf: info.body.csrf_token, body: { email, password }, expect: 200 });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { cookie, csrf: res.body.csrf_token };
}

/** The cookies an answer set (cleared ones too: an empty value counts as none), after `before`. */
function cookiesOf(res, before = '') {
  return [before, ...res.headers.getSetCookie().map((c) => c.split(';')[0])].filter(Boolean).join('; ');
}

/** The token in the newest `template` mail to `to` (mail is written after the answer). */
async function mailedToken(superAdmin, to, template) {
  for (let i = 0; i < 25; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    const { data } = await (await fetch(`${worker.url}/api/outbox?limit=50`, { headers: { authorization: `Bearer ${superAdmin}` } })).json();
    const mail = data.find((m) => m.to === to && m.template === template);
    const token = mail?.text.match(/\?token=([A-Za-z0-9_-]+)/)?.[1];
    if (token) return token;
  }
  throw new Error(`no ${template} mail to ${to}`);
}

test('the document is valid OpenAPI 3.1 and lists exactly the /api and /register routes', async () => {
  const res = await fetch(`${worker.url}/api/openapi.json`);
  assert.equal(res.status, 200);
  doc = await res.json();
  const result = await new Validator().validate(doc);
  assert.ok(result.valid, JSON.stringify(result.errors, null, 1));
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'api', components: doc.components });

  // The route table as the worker's own test wrote it (worker/src/routes.rs).
  const routed = JSON.parse(await readFile(join(root, 'tests', 'e2e', 'routes.json'), 'utf8'))
    .map((r) => ({ path: r.pattern, methods: r.methods.filter((x) => !['HEAD', 'OPTIONS'].includes(x)) }))
    .filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/register'));
  const fromRoutes = routed.flatMap((r) => r.methods.map((m) => `${m} ${r.path}`)).sort();
  const fromDoc = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();
  assert.deepEqual(fromDoc, fromRoutes);
});

test('every operation answers as documented', async () => {
  const admin = (await (await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' })).json()).access_token;
  const superAdmin = await passwordToken(ROOT_EMAIL, ROOT_PASSWORD);
  const A = { token: admin };
  const S = { token: superAdmin };

  // Public.
  await call('GET', '/api/ui-config', { expect: 200 });
  await call('GET', '/api/openapi.json', { expect: 200 });
  await call('POST', '/api/validate-password', { body: { password: 'short' }, expect: 200 });
  await call('POST', '/api/signup', { body: { email: 'new@example.com', password: PASSWORD }, expect: 201 });
  await call('POST', '/api/signup', { body: { email: 'not an email', password: PASSWORD }, expect: 422 });
  await call('POST', '/api/verify-email', { body: { token: 'nope' }, expect: 400 });
  const verification = await mailedToken(superAdmin, 'new@example.com', 'verification');
  await call('POST', '/api/verify-email', { body: { token: verification }, expect: 200 });
  await call('POST', '/api/verify-email/resend', { body: { email: 'new@example.com' }, expect: 200 });
  await call('POST', '/api/password-reset', { body: { email: 'new@example.com' }, expect: 200 });
  await call('POST', '/api/password-reset/complete', { body: { token: 'nope', password: PASSWORD }, expect: 400 });
  await call('GET', '/api/authorize?request=nope', { expect: 400 });

  // Users (the admin API), then a person's browser.
  await call('GET', '/api/users', { expect: 401 });
  const bob = (await call('POST', '/api/users', { ...A, body: { email: 'bob@example.com', name: 'Bob', password: PASSWORD, email_verified: true }, expect: 201 })).body;
  await call('POST', '/api/users', { ...A, body: { email: 'bob@example.com', password: PASSWORD }, expect: 409 });
  await call('POST', '/api/users', { ...A, body: { email: 'eve@example.com', password: PASSWORD, role: 'admin' }, expect: 403 });
  await call('GET', '/api/users?search=bob&limit=5', { ...A, expect: 200 });
  await call('GET', '/api/users?limit=0x', { ...A, expect: 422 });
  await call('GET', `/api/users/${bob.id}`, { ...A, expect: 200 });
  await call('PATCH', `/api/users/${bob.id}`, { ...A, body: { name: 'Robert' }, expect: 200 });
  await call('POST', `/api/users/${bob.id}/unlock`, { ...A, expect: 204 });
  await call('POST', `/api/users/${bob.id}/send-password-reset`, { ...A, expect: 202 });
  await call('GET', `/api/users/${bob.id}/password-status`, { ...A, expect: 200 });

  await call('POST', '/api/session', { body: { email: 'bob@example.com', password: PASSWORD }, expect: 403 });
  const wrong = (await call('GET', '/api/session', { expect: 200 })).body.csrf_token;
  await call('POST', '/api/session', { cookie: `authority_csrf=${wrong}`, csrf: wrong,
    body: { email: 'bob@example.com', password: 'wrong password!!' }, expect: 401 });
  const b = await browser('bob@example.com', PASSWORD);
  await call('GET', '/api/session', { cookie: b.cookie, expect: 200 });
  await call('GET', '/api/account', { expect: 401 });
  await call('GET', '/api/account', { cookie: b.cookie, expect: 200 });
  await call('PATCH', '/api/account', { ...b, body: { name: 'Bobby' }, expect: 200 });
  // An app's authorization request: the consent screen's data, then the decision.
  const consent = async () => {
    const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
    const authorize = await fetch(`${worker.url}/authorize?${new URLSearchParams({ client_id: 'demo-app',
      response_type: 'code', redirect_uri: 'http://127.0.0.1:3000/callback', scope: 'openid', state: 's',
      code_challenge: challenge, code_challenge_method: 'S256' })}`, { headers: { cookie: b.cookie }, redirect: 'manual' });
    const sealed = new URL(authorize.headers.get('location'), worker.url).searchParams.get('request');
    assert.ok(sealed, authorize.headers.get('location'));
    await call('GET', `/api/authorize?request=${sealed}`, { cookie: b.cookie, expect: 200 });
    await call('POST', '/api/consent', { ...b, body: { request: sealed, allow: true }, expect: 200 });
  };
  await call('POST', '/api/consent', { ...b, body: { request: 'nope', allow: true }, expect: 400 });
  await consent();
  // An admin sees and withdraws it; the person allows the app again.
  const given = await call('GET', `/api/users/${bob.id}/consents`, { ...A, expect: 200 });
  assert.deepEqual(given.body.map((c) => c.client_id), ['demo-app']);
  await call('DELETE', `/api/users/${bob.id}/consents/demo-app`, { ...A, expect: 204 });
  await call('DELETE', `/api/users/${bob.id}/consents/demo-app`, { ...A, expect: 404 });
  await consent();
  await call('GET', '/api/account/consents', { cookie: b.cookie, expect: 200 });
  await call('GET', '/api/account/identities', { cookie: b.cookie, expect: 200 });
  await call('GET', '/api/account/identities', { expect: 401 });
  await call('DELETE', '/api/account/consents/nope', { ...b, expect: 404 });
  await call('DELETE', '/api/account/consents/demo-app', { ...b, expect: 204 });
  const other = await browser('bob@example.com', PASSWORD);
  const mine = await call('GET', '/api/account/sessions', { cookie: b.cookie, expect: 200 });
  await call('DELETE', '/api/account/sessions/nope', { ...b, expect: 404 });
  await call('DELETE', `/api/account/sessions/${mine.body.find((s) => !s.current).id}`, { ...b, expect: 204 });
  await call('GET', '/api/account', { cookie: other.cookie, expect: 401 });
  // A device asks; the person looks its code up and approves it (RFC 8628).
  const device = await (await fetch(`${worker.url}/device`, { method: 'POST', headers: {
    'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=demo-tv&scope=openid' })).json();
  await call('POST', '/api/device/lookup', { ...b, body: { user_code: 'BCDF-GHJK' }, expect: 400 });
  await call('POST', '/api/device/lookup', { ...b, body: { user_code: device.user_code }, expect: 200 });
  await call('POST', '/api/device/decision', { ...b, body: { user_code: device.user_code, allow: true }, expect: 200 });
  // The password: changed by its owner, then reset through the mailed link.
  await call('POST', '/api/account/password', { ...b, body: { current_password: 'wrong', new_password: PASSWORD }, expect: 422 });
  await call('POST', '/api/account/password', { ...b, body: { current_password: PASSWORD, new_password: `${PASSWORD} 2` }, expect: 204 });
  await call('POST', '/api/password-reset', { body: { email: 'bob@example.com' }, expect: 200 });
  const reset = await mailedToken(superAdmin, 'bob@example.com', 'password-reset');
  // A provider identity on bob's account: the reset lists it for review, removable with its grant.
  await worker.query("INSERT INTO social_identities (provider, subject, user_id, email, linked_at) \
    VALUES ('corp', 'someone-else', ?1, 'bob@example.com', 0)", bob.id);
  const done = await call('POST', '/api/password-reset/complete', { body: { token: reset, password: `${PASSWORD} 3` }, expect: 200 });
  assert.deepEqual(done.body.review.providers.map((p) => p.id), ['corp']);
  await call('POST', '/api/password-reset/review', { body: { grant: 'forged', providers: ['corp'] }, expect: 401 });
  await call('POST', '/api/password-reset/review', { body: { grant: done.body.review.grant, providers: ['corp'] }, expect: 204 });
  assert.deepEqual(await worker.query('SELECT provider FROM social_identities WHERE user_id = ?1', bob.id), []);
  const again = `${PASSWORD} 3`;

  // Two-step sign-in: carol enrols an app (codes by the otpauth library), signs in with a
  // code after her password, manages her backup codes, turns it off; an admin resets it.
  const carol = (await call('POST', '/api/users', { ...A, body: { email: 'carol@example.com', password: PASSWORD, email_verified: true }, expect: 201 })).body;
  const c = await browser('carol@example.com', PASSWORD);
  await call('GET', '/api/mfa', { expect: 401 });
  await call('GET', '/api/mfa', { cookie: c.cookie, expect: 200 });
  await call('POST', '/api/mfa/disable', { ...c, body: { code: '123456' }, expect: 409 });
  const enrolment = (await call('POST', '/api/mfa/totp', { ...c, expect: 200 })).body;
  const app = new TOTP({ secret: Secret.fromBase32(enrolment.secret) });
  await call('POST', '/api/mfa/totp/confirm', { ...c, body: { code: 'abc' }, expect: 400 });
  const confirmed = await call('POST', '/api/mfa/totp/confirm', { ...c, body: { code: app.generate() }, expect: 200 });
  const c2 = { cookie: cookiesOf(confirmed), csrf: confirmed.body.csrf_token };
  await call('POST', '/api/mfa/totp', { ...c2, expect: 409 });
  const renewed = await call('POST', '/api/mfa/backup-codes', { ...c2, body: { code: confirmed.body.backup_codes[0] }, expect: 200 });
  const start = await call('GET', '/api/session', { expect: 200 });
  const pending = await call('POST', '/api/session', { cookie: `authority_csrf=${start.body.csrf_token}`,
    csrf: start.body.csrf_token, body: { email: 'carol@example.com', password: PASSWORD }, expect: 200 });
  assert.equal(pending.body.step, 'verify');
  const p = { cookie: cookiesOf(pending, `authority_csrf=${pending.body.csrf_token}`), csrf: pending.body.csrf_token };
  assert.equal((await call('GET', '/api/mfa', { cookie: p.cookie, expect: 200 })).body.pending_sign_in, true);
  await call('POST', '/api/mfa/verify', { ...p, body: { code: '000000' }, expect: 401 });
  // The confirmation used this 30-s step's code; the next step's is within the window.
  const verified = await call('POST', '/api/mfa/verify', { ...p, body: { code: app.generate({ timestamp: Date.now() + 30_000 }) }, expect: 200 });
  const c3 = { cookie: cookiesOf(verified), csrf: verified.body.csrf_token };
  await call('POST', '/api/mfa/disable', { ...c3, body: { code: renewed.body.backup_codes[0] }, expect: 204 });
  const again2 = (await call('POST', '/api/mfa/totp', { ...c3, expect: 200 })).body;
  const app2 = new TOTP({ secret: Secret.fromBase32(again2.secret) });
  const confirmed2 = await call('POST', '/api/mfa/totp/confirm', { ...c3, body: { code: app2.generate() }, expect: 200 });
  // The confirmation renewed the session.
  const c4old = { cookie: cookiesOf(confirmed2), csrf: confirmed2.body.csrf_token };
  // A fresh sign-in before a change to how one signs in (REAUTHENTICATION_MAX_AGE): the
  // password, and a code since carol has an app; a new session replaces the old one.
  await call('POST', '/api/account/confirm', { ...c4old, body: { password: 'not her password at all' }, expect: 401 });
  await call('POST', '/api/account/confirm', { ...c4old, body: { password: PASSWORD }, expect: 401 });
  const reconfirmed = await call('POST', '/api/account/confirm', { ...c4old,
    body: { password: PASSWORD, code: app2.generate({ timestamp: Date.now() + 30_000 }) }, expect: 200 });
  await call('GET', '/api/account', { cookie: c4old.cookie, expect: 401 });
  const c4 = { cookie: cookiesOf(reconfirmed), csrf: reconfirmed.body.csrf_token };
  await call('GET', '/api/users?mfa=true', { ...A, expect: 200 });
  await call('DELETE', `/api/users/${carol.id}/mfa`, { ...A, expect: 204 });
  await call('DELETE', `/api/users/${carol.id}/mfa`, { ...A, expect: 404 });
  // The reset ended the sessions made with the factors it removed: carol signs in again.
  await call('GET', '/api/passkeys', { cookie: c4.cookie, expect: 401 });
  const c5 = await browser('carol@example.com', PASSWORD);

  // Passkeys: carol registers a simulated authenticator and signs in with it alone.
  await call('GET', '/api/passkeys', { cookie: c5.cookie, expect: 200 });
  const simulated = authenticator('localhost', worker.url);
  const refused = (await call('POST', '/api/passkeys/register/options', { ...c5, expect: 200 })).body;
  await call('POST', '/api/passkeys', { ...c5, body: simulated.register(refused.challenge, 'https://evil.example'), expect: 401 });
  const creation = (await call('POST', '/api/passkeys/register/options', { ...c5, expect: 200 })).body;
  await call('POST', '/api/passkeys', { ...c5, body: simulated.register(creation.challenge), expect: 201 });
  const fresh = await call('GET', '/api/session', { expect: 200 });
  const anon = { cookie: `authority_csrf=${fresh.body.csrf_token}`, csrf: fresh.body.csrf_token };
  const request = (await call('POST', '/api/passkeys/sign-in/options', { ...anon, expect: 200 })).body;
  const assertion = simulated.assert(request.challenge);
  const byPasskey = await call('POST', '/api/passkeys/sign-in', { ...anon, body: { credential: assertion }, expect: 200 });
  assert.equal(byPasskey.body.user.email, 'carol@example.com');
  await call('POST', '/api/passkeys/sign-in', { ...anon, body: { credential: assertion }, expect: 401 });
  const keys2 = await call('GET', '/api/passkeys', { cookie: c5.cookie, expect: 200 });
  // The passkey is carol's second factor now: her password-only session may not remove it;
  // the session the passkey signed in may.
  await call('DELETE', `/api/passkeys/${keys2.body[0].id}`, { ...c5, expect: 403 });
  const c6 = { cookie: cookiesOf(byPasskey), csrf: byPasskey.body.csrf_token };
  await call('DELETE', '/api/passkeys/nope', { ...c6, expect: 404 });
  await call('DELETE', `/api/passkeys/${keys2.body[0].id}`, { ...c6, expect: 204 });

  // An expired password (PASSWORD_EXPIRY_DAYS, a run-time setting) is replaced at sign-in.
  await call('PATCH', '/api/settings', { ...S, body: { PASSWORD_EXPIRY_DAYS: '30' }, expect: 200 });
  await worker.query(`UPDATE users SET password_changed_at = 0 WHERE email = 'carol@example.com'`);
  const start2 = await call('GET', '/api/session', { expect: 200 });
  const expired = await call('POST', '/api/session', { cookie: `authority_csrf=${start2.body.csrf_token}`,
    csrf: start2.body.csrf_token, body: { email: 'carol@example.com', password: PASSWORD }, expect: 200 });
  assert.equal(expired.body.step, 'change_password');
  const e = { cookie: cookiesOf(expired, `authority_csrf=${expired.body.csrf_token}`), csrf: expired.body.csrf_token };
  await call('POST', '/api/password/expired', { ...e, body: { new_password: 'short' }, expect: 422 });
  const renewedPassword = await call('POST', '/api/password/expired', { ...e, body: { new_password: `${PASSWORD} 4` }, expect: 200 });
  assert.equal(renewedPassword.body.user.email, 'carol@example.com');
  await call('PATCH', '/api/settings', { ...S, body: { PASSWORD_EXPIRY_DAYS: '0' }, expect: 200 });

  // Sessions (admin).
  const current = await browser('bob@example.com', again);
  const listed = await call('GET', `/api/sessions?user_id=${bob.id}`, { ...A, expect: 200 });
  assert.equal(listed.body.total, 1, 'the reset ended the earlier sessions');
  await call('GET', '/api/account', { cookie: current.cookie, expect: 200 });
  await call('GET', '/api/metrics/sessions', { ...A, expect: 200 });
  await call('GET', `/api/users/${bob.id}/sessions`, { ...A, expect: 200 });
  await call('DELETE', '/api/sessions', { ...A, expect: 422 });
  await call('DELETE', '/api/sessions?older_than=30d', { ...A, expect: 200 });
  await call('DELETE', '/api/sessions/nope', { ...A, expect: 404 });
  await call('DELETE', `/api/sessions/${listed.body.data[0].id}`, { ...A, expect: 204 });
  await call('GET', '/api/account', { cookie: current.cookie, expect: 401 });
  const b2 = await browser('bob@example.com', again);
  await call('DELETE', '/api/session', { ...b2, expect: 204 });
  await call('DELETE', `/api/users/${bob.id}/sessions`, { ...A, expect: 200 });

  // Sign-in providers (admin); kept provider tokens (super_admin).
  await call('GET', '/api/providers', { ...A, expect: 200 });
  await call('GET', `/api/users/${bob.id}/identities`, { ...A, expect: 200 });
  await call('GET', `/api/users/${bob.id}/identities/corp/tokens`, { ...S, expect: 404 });
  await worker.query(`INSERT INTO social_identities (provider, subject, user_id, linked_at) VALUES ('corp', 's-1', '${bob.id}', 0)`);
  await call('GET', `/api/users/${bob.id}/identities/corp/tokens`, { ...A, expect: 403 });
  await call('GET', `/api/users/${bob.id}/identities/corp/tokens`, { ...S, expect: 200 });

  // Clients (RFC 7591/7592).
  await call('GET', '/api/outbox', { ...A, expect: 403 });
  await call('GET', '/api/outbox?limit=5', { ...S, expect: 200 });
  // Deliveries (docs/delivery.md): a dead one whose payload cannot be opened is retried
  // and stays pending with that error.
  await worker.query(`INSERT INTO deliveries (id, kind, summary, payload_sealed, status, attempts, next_attempt_at,
    created_at) VALUES ('d-spec', 'mail', 'verification to x@example.com', 'v1.x.y', 'dead', 8, 0, 0)`);
  await call('GET', '/api/deliveries?status=dead', { ...A, expect: 200 });
  await call('GET', '/api/deliveries?status=lost', { ...A, expect: 400 });
  await call('GET', '/api/deliveries?kind=mail', { ...A, expect: 200 });
  await call('GET', '/api/deliveries?kind=fax', { ...A, expect: 400 });
  const retried = (await call('POST', '/api/deliveries/d-spec/retry', { ...A, expect: 200 })).body;
  assert.equal(retried.status, 'pending');
  assert.match(retried.last_error, /cannot be opened/);
  await call('POST', '/api/deliveries/nope/retry', { ...A, expect: 404 });
  await call('POST', '/api/mail/test', { ...A, body: { to: 'ops@example.com' }, expect: 403 });
  const sent = (await call('POST', '/api/mail/test', { ...S, body: { to: 'ops@example.com' }, expect: 200 })).body;
  assert.deepEqual([sent.provider, sent.delivered], ['log', true]);
  await call('POST', '/api/mail/test', { ...S, body: { to: 'not an address' }, expect: 400 });
  // Mail templates (docs/i18n.md): an admin reads and previews, a super_admin saves and resets.
  const templates = (await call('GET', '/api/mail-templates', { ...A, expect: 200 })).body;
  assert.equal(templates.length, 21);
  const edit = { subject: 'Hi {{ user.name }}', text: '{{ url }}', html: '<p>{{ button(url, "Go") }}</p>' };
  await call('POST', '/api/mail-templates/welcome/fr/preview', { ...A, body: edit, expect: 200 });
  await call('POST', '/api/mail-templates/welcome/fr/preview', { ...A, body: { ...edit, text: '{{ nope }}' }, expect: 400 });
  await call('PUT', '/api/mail-templates/welcome/fr', { ...A, body: edit, expect: 403 });
  assert.equal((await call('PUT', '/api/mail-templates/welcome/fr', { ...S, body: edit, expect: 200 })).body.customized, true);
  await call('PUT', '/api/mail-templates/welcome/de', { ...S, body: edit, expect: 404 });
  assert.equal((await call('DELETE', '/api/mail-templates/welcome/fr', { ...S, expect: 200 })).body.customized, false);
  const client = (await call('POST', '/register', { ...A, body: { client_name: 'Spec app', redirect_uris: ['https://app.example/cb'] }, expect: 201 })).body;
  await call('POST', '/register', { ...A, body: { client_name: 'Bad', redirect_uris: ['http://evil.example/cb'] }, expect: 400 });
  // Open registration (RFC 7591 §3) and the registration access token (RFC 7592 §3).
  const agent = (await call('POST', '/register', { body: { client_name: 'Spec agent', redirect_uris: ['http://127.0.0.1:9/cb'] },
    expect: 201 })).body;
  await call('GET', `/register/${agent.client_id}`, { token: agent.registration_access_token, expect: 200 });
  await call('PATCH', `/register/${agent.client_id}`, { token: agent.registration_access_token, body: { client_name: 'Spec agent 2' }, expect: 200 });
  await call('DELETE', `/register/${agent.client_id}`, { token: 'not-the-token', expect: 401 });
  await call('DELETE', `/register/${agent.client_id}`, { token: agent.registration_access_token, expect: 204 });
  await call('GET', `/register/${client.client_id}`, { ...A, expect: 200 });
  await call('PATCH', `/register/${client.client_id}`, { ...A, body: { client_name: 'Spec app 2' }, expect: 200 });
  const added = (await call('POST', `/register/${client.client_id}/secrets`, { ...A, body: { action: 'add' }, expect: 201 })).body;
  await call('DELETE', `/register/${client.client_id}/secrets/${added.secret_id}`, { ...A, expect: 204 });
  await call('POST', `/register/${client.client_id}/renew_secret`, { ...A, expect: 200 });
  await call('GET', '/api/clients?search=Spec', { ...A, expect: 200 });
  await call('POST', `/api/clients/${client.client_id}/revoke_tokens`, { ...A, expect: 200 });
  await call('DELETE', `/register/${client.client_id}`, { ...A, expect: 204 });
  await call('GET', `/register/${client.client_id}`, { ...A, expect: 404 });

  // Scopes.
  const scope = (await call('POST', '/api/scopes', { ...A, body: { name: 'spec:read', description: 'Read specs' }, expect: 201 })).body;
  await call('POST', '/api/scopes', { ...A, body: { name: 'spec:read', description: 'Again' }, expect: 409 });
  await call('POST', '/api/scopes', { ...A, body: { name: 'two words', description: 'x' }, expect: 422 });
  const scopes = await call('GET', '/api/scopes?limit=50', { ...A, expect: 200 });
  await call('GET', `/api/scopes/${scope.id}`, { ...A, expect: 200 });
  await call('PATCH', `/api/scopes/${scope.id}`, { ...A, body: { default: true, claims: ['email'] }, expect: 200 });
  await call('DELETE', `/api/scopes/${scopes.body.data.find((s) => s.name === 'openid').id}`, { ...A, expect: 409 });
  await call('DELETE', `/api/scopes/${scope.id}`, { ...A, expect: 204 });
  await call('GET', `/api/scopes/${scope.id}`, { ...A, expect: 404 });
  const resource = (await call('POST', '/api/resources', { ...A, body: { identifier: 'https://spec.example.com/',
    name: 'Spec API', scopes: ['openid'], access_token_ttl: 600 }, expect: 201 })).body;
  await call('POST', '/api/resources', { ...A, body: { identifier: 'https://spec.example.com/', name: 'Again' }, expect: 409 });
  await call('POST', '/api/resources', { ...A, body: { identifier: 'not a uri', name: 'x' }, expect: 422 });
  await call('GET', '/api/resources?limit=50', { ...A, expect: 200 });
  await call('GET', `/api/resources/${resource.id}`, { ...A, expect: 200 });
  await call('PATCH', `/api/resources/${resource.id}`, { ...A, body: { access_token_ttl: null, signing_alg: 'ES256' }, expect: 200 });
  await call('DELETE', `/api/resources/${resource.id}`, { ...A, expect: 204 });
  await call('GET', `/api/resources/${resource.id}`, { ...A, expect: 404 });

  // Signing keys.
  await call('GET', '/api/keys', { expect: 401 });
  // The JWKS makes the key of every algorithm (the first tokens needed only RS256's).
  await fetch(`${worker.url}/.well-known/jwks.json`).then((r) => r.arrayBuffer());
  const keys = await call('GET', '/api/keys?limit=10', { ...A, expect: 200 });
  assert.deepEqual(keys.body.data.map((k) => [k.status, k.published]).sort(),
    [['active', true], ['active', true], ['active', true]], 'one key per algorithm');
  await call('POST', '/api/keys/rotate', { ...A, body: { alg: 'ES256' }, expect: 403 });
  await call('POST', '/api/keys/rotate', { ...S, body: { alg: 'HS256' }, expect: 422 });
  const rotated = await call('POST', '/api/keys/rotate', { ...S, body: { alg: 'ES256' }, expect: 202 });
  assert.equal(rotated.body.data[0].status, 'pending');
  await call('POST', '/api/keys/rotate', { ...S, body: { alg: 'ES256' }, expect: 409 });

  // Settings.
  await call('GET', '/api/settings', { ...A, expect: 200 });
  await call('PATCH', '/api/settings', { ...A, body: { APP_TAGLINE: 'x' }, expect: 403 });
  await call('PATCH', '/api/settings', { ...S, body: { ACCESS_TOKEN_TTL: '0' }, expect: 422 });
  await call('PATCH', '/api/settings', { ...S, body: { APP_TAGLINE: 'Specified' }, expect: 200 });

  // The audit log.
  const page = await call('GET', '/api/audit-logs?limit=5', { ...A, expect: 200 });
  await call('GET', '/api/audit-logs?from=yesterday', { ...A, expect: 422 });
  await call('GET', `/api/audit-logs/${page.body.data[0].id}`, { ...A, expect: 200 });
  await call('GET', '/api/audit-logs/nope', { ...A, expect: 404 });
  await call('GET', '/api/audit-logs/export?format=csv&event=user.created', { ...A, expect: 200 });
  await call('GET', '/api/audit-logs/export?format=ndjson', { ...A, expect: 200 });
  const hourly = await call('GET', '/api/metrics/sign-ins?period=24h', { ...A, expect: 200 });
  assert.ok(hourly.body.buckets.at(-1).sign_ins >= 1, 'bob signed in this hour');
  await call('GET', '/api/metrics/sign-ins?period=30d', { ...A, expect: 200 });
  await call('GET', '/api/metrics/sign-ins?period=1y', { ...A, expect: 422 });

  // Last: deleting bob.
  await call('DELETE', `/api/users/${bob.id}`, { ...A, expect: 204 });
  await call('GET', `/api/users/${bob.id}`, { ...A, expect: 404 });

  const unanswered = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`))
    .filter((key) => ![...(seen.get(key) ?? [])].some((s) => s >= 200 && s < 300));
  assert.deepEqual(unanswered, [], 'operations never seen succeeding');
});
