// End-to-end: the sequential storage round trips of the requests a returning person and
// their apps make, read from the Server-Timing header (SERVER_TIMING=true). A Worker far
// from its D1 database pays a network round trip for each: client_credentials,
// introspection, UserInfo, a refresh and the code exchange take one (docs/storage.md,
// "One trip per grant"), /authorize with a live session one, a password sign-in and the
// password grant two (the account and the limits, then argon2id, then the session or the
// refresh token with the record). The one-trip grants keep their single-use guarantees under races.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startWorker, insertClient } from './harness.mjs';
import { parseServerTiming } from '../../bench/round-trips.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const PASSWORD_CLIENT = ['e2e-password-grant', 'e2e-password-grant-secret-0123456789'];
const CALLBACK = 'http://127.0.0.1:3000/callback';
const VERIFIER = randomBytes(32).toString('base64url');
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
let worker;

before(async () => {
  worker = await startWorker({
    vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET, SERVER_TIMING: 'true',
      ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1], PASSWORD_EXPIRY_DAYS: '90',
      ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: PASSWORD_CLIENT[0] },
  });
});
after(async () => {
  await worker?.stop();
});

const basic = ([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const cookiesOf = (res) => res.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => !c.endsWith('='));
const trips = (res) => parseServerTiming(res.headers.get('server-timing'));

async function form(path, body, authorization) {
  const res = await fetch(`${worker.url}${path}`, { method: 'POST', body: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization } });
  return { res, body: await res.json() };
}

function authorizeUrl(extra = {}) {
  const query = new URLSearchParams({ client_id: 'demo-app', response_type: 'code', redirect_uri: CALLBACK,
    scope: 'openid email offline_access', state: 's', nonce: 'n', code_challenge: CHALLENGE,
    code_challenge_method: 'S256', ...extra });
  return `${worker.url}/authorize?${query}`;
}

async function signIn() {
  const first = await fetch(`${worker.url}/api/session`);
  const { csrf_token: csrf } = await first.json();
  const res = await fetch(`${worker.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie: cookiesOf(first).join('; ') },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return { res, cookie: cookiesOf(res).join('; '), csrf: (await res.json()).csrf_token };
}

const codeCount = async () => (await worker.query('SELECT COUNT(*) AS n FROM authorization_codes'))[0].n;

test('a password sign-in from a known browser waits on storage twice: the reads, then the writes', async () => {
  await signIn(); // the first sign-in from this browser also remembers it
  const { res } = await signIn();
  const t = trips(res);
  assert.equal(t.depth, 2, res.headers.get('server-timing'));
  const [row] = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'user.login'");
  assert.equal(row.n, 2, 'each sign-in is recorded with its session');
});

test('/authorize with a live session and consent: the code in one round trip', async () => {
  const { cookie, csrf } = await signIn();
  // The first time, the consent screen: the code prepared with the reads is removed.
  const before = await codeCount();
  const toConsent = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
  const location = new URL(toConsent.headers.get('location'), worker.url);
  assert.equal(location.pathname, '/consent');
  assert.equal(await codeCount(), before, 'no code is left behind by a request that went to the consent screen');
  const consent = await fetch(`${worker.url}/api/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
    body: JSON.stringify({ request: location.searchParams.get('request'), allow: true }),
  });
  assert.equal(consent.status, 200, await consent.text());

  const codeOf = async () => {
    const res = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
    assert.ok([302, 303].includes(res.status), `${res.status}`);
    const code = new URL(res.headers.get('location')).searchParams.get('code');
    assert.ok(code, res.headers.get('location'));
    // The isolate read demo-app already (the consent redirect): the code was written in
    // the batch that read the client, the session's user and the consent.
    assert.equal(trips(res).depth, 1, res.headers.get('server-timing'));
    return code;
  };
  const redeem = async (code) => form('/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK,
    code_verifier: VERIFIER }, basic(['demo-app', DEMO_SECRET]));
  // The first exchange in this isolate loads the signing keys, which it then caches.
  const warm = await redeem(await codeOf());
  const code = await codeOf();

  // RFC 6749 §4.1.3: the code redeems once, in one round trip.
  const exchange = await redeem(code);
  assert.equal(exchange.res.status, 200, JSON.stringify(exchange.body));
  assert.equal(trips(exchange.res).depth, 1, exchange.res.headers.get('server-timing'));
  await fetch(`${worker.url}/userinfo`, { headers: { authorization: `Bearer ${warm.body.access_token}` } });
  const userinfo = await fetch(`${worker.url}/userinfo`, { headers: { authorization: `Bearer ${exchange.body.access_token}` } });
  assert.equal(userinfo.status, 200);
  assert.equal(trips(userinfo).depth, 1, userinfo.headers.get('server-timing'));

  await form('/token', { grant_type: 'refresh_token', refresh_token: warm.body.refresh_token }, basic(['demo-app', DEMO_SECRET]));
  const refresh = await form('/token', { grant_type: 'refresh_token', refresh_token: exchange.body.refresh_token },
    basic(['demo-app', DEMO_SECRET]));
  assert.equal(refresh.res.status, 200, JSON.stringify(refresh.body));
  assert.equal(trips(refresh.res).depth, 1, refresh.res.headers.get('server-timing'));
  // A retry of a lost answer: the same successor, still in one trip.
  const retry = await form('/token', { grant_type: 'refresh_token', refresh_token: exchange.body.refresh_token },
    basic(['demo-app', DEMO_SECRET]));
  assert.equal(retry.body.refresh_token, refresh.body.refresh_token);
  assert.equal(trips(retry.res).depth, 1, retry.res.headers.get('server-timing'));
  const again = await redeem(code);
  assert.equal(again.body.error, 'invalid_grant');
});

test('a request that needs the person again leaves no code: prompt=consent and a signed-out session', async () => {
  const { cookie } = await signIn();
  const before = await codeCount();
  const res = await fetch(authorizeUrl({ prompt: 'consent' }), { headers: { cookie }, redirect: 'manual' });
  assert.equal(new URL(res.headers.get('location'), worker.url).pathname, '/consent', res.headers.get('location'));
  // Signed out elsewhere: KV may still hold the session for a moment, D1 does not.
  const hash = (await worker.query('SELECT id_hash FROM sessions ORDER BY created_at DESC LIMIT 1'))[0].id_hash;
  await worker.query(`DELETE FROM sessions WHERE id_hash = '${hash}'`);
  const signedOut = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
  assert.equal(new URL(signedOut.headers.get('location'), worker.url).pathname, '/signin');
  assert.equal(await codeCount(), before);
});

test('client_credentials and introspection: one round trip each', async () => {
  // (A fresh database makes its signing key on first use and the isolate caches it at
  // its next load; from then on each call reads only the client.)
  for (let i = 0; i < 2; i++) await form('/token', { grant_type: 'client_credentials', scope: 'admin' }, basic(ADMIN));
  const cc = await form('/token', { grant_type: 'client_credentials', scope: 'admin' }, basic(ADMIN));
  assert.equal(cc.res.status, 200, JSON.stringify(cc.body));
  assert.equal(trips(cc.res).depth, 1, cc.res.headers.get('server-timing'));
  await form('/token/introspect', { token: cc.body.access_token }, basic(ADMIN)); // the verification key, cached
  const introspection = await form('/token/introspect', { token: cc.body.access_token }, basic(ADMIN));
  assert.equal(introspection.body.active, true);
  assert.equal(trips(introspection.res).depth, 1, introspection.res.headers.get('server-timing'));
});

/** A code for demo-app from a signed-in session that has consented. */
async function consentedCodes(count) {
  const { cookie, csrf } = await signIn();
  const toConsent = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
  const location = new URL(toConsent.headers.get('location'), worker.url);
  if (location.pathname === '/consent') {
    await fetch(`${worker.url}/api/consent`, { method: 'POST', body: JSON.stringify({ request: location.searchParams.get('request'), allow: true }),
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie } });
  }
  const codes = [];
  for (let i = 0; i < count; i += 1) {
    const res = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
    codes.push(new URL(res.headers.get('location')).searchParams.get('code'));
  }
  return codes;
}

const redeemCode = (code, secret = DEMO_SECRET) => form('/token', { grant_type: 'authorization_code', code,
  redirect_uri: CALLBACK, code_verifier: VERIFIER }, basic(['demo-app', secret]));

test('one-trip code exchange: ten parallel redemptions of one code, exactly one winner; the replay revokes its tokens', async () => {
  const [code] = await consentedCodes(1);
  const results = await Promise.all(Array.from({ length: 10 }, () => redeemCode(code)));
  const winners = results.filter((r) => r.res.status === 200);
  assert.equal(winners.length, 1, results.map((r) => `${r.res.status} ${r.body.error ?? ''}`).join(','));
  assert.ok(results.every((r) => r.res.status === 200 || r.body.error === 'invalid_grant'));
  // RFC 6749 §10.5: the losers were replays; what the winner got is revoked.
  const { refresh_token: refreshToken } = winners[0].body;
  const afterReplay = await form('/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(['demo-app', DEMO_SECRET]));
  assert.equal(afterReplay.body.error, 'invalid_grant');
  const [row] = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'token.code_replayed'");
  assert.ok(row.n >= 1);
});

test('one-trip code exchange: a refused request changes nothing, the code still redeems once', async () => {
  const [code] = await consentedCodes(1);
  const wrongSecret = await redeemCode(code, 'not-the-secret-0123456789abcdef0123456789');
  assert.equal(wrongSecret.body.error, 'invalid_client');
  const wrongVerifier = await form('/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK,
    code_verifier: randomBytes(32).toString('base64url') }, basic(['demo-app', DEMO_SECRET]));
  assert.equal(wrongVerifier.body.error, 'invalid_grant');
  const wrongRedirect = await form('/token', { grant_type: 'authorization_code', code, redirect_uri: `${CALLBACK}/x`,
    code_verifier: VERIFIER }, basic(['demo-app', DEMO_SECRET]));
  assert.equal(wrongRedirect.body.error, 'invalid_grant');
  const [unused] = await worker.query('SELECT consumed_at FROM authorization_codes WHERE consumed_at IS NULL AND code_hash = ?1',
    createHash('sha256').update(code).digest('base64url'));
  assert.ok(unused, 'the refused requests left the code unredeemed');
  const good = await redeemCode(code);
  assert.equal(good.res.status, 200, JSON.stringify(good.body));
  assert.equal(trips(good.res).depth, 1, good.res.headers.get('server-timing'));
});

test('one-trip refresh: twelve parallel refreshes, one successor; a refusal after the guard (an expired password) leaves the token as it was', async () => {
  const [code] = await consentedCodes(1);
  const { body } = await redeemCode(code);
  const refresh = (token) => form('/token', { grant_type: 'refresh_token', refresh_token: token }, basic(['demo-app', DEMO_SECRET]));
  const results = await Promise.all(Array.from({ length: 12 }, () => refresh(body.refresh_token)));
  assert.ok(results.every((r) => r.res.status === 200), results.map((r) => `${r.res.status} ${r.body.error}`).join(','));
  assert.equal(new Set(results.map((r) => r.body.refresh_token)).size, 1, 'one successor for all');
  const successor = results[0].body.refresh_token;
  const family = await worker.query('SELECT COUNT(*) AS n FROM refresh_tokens WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?1)',
    createHash('sha256').update(successor).digest('base64url'));
  assert.equal(family[0].n, 2, 'the token and its one successor');

  // The guard lets the rotation through (it does not know the password policy); the
  // grant refuses and puts the token back: after the policy is lifted it refreshes.
  const now = Math.floor(Date.now() / 1000);
  await worker.query(`UPDATE users SET password_changed_at = ${now - 400 * 86400} WHERE email = '${ADMIN_EMAIL}'`);
  const expired = await refresh(successor);
  assert.equal(expired.body.error, 'invalid_grant');
  assert.match(expired.body.error_description, /password has expired/);
  await worker.query(`UPDATE users SET password_changed_at = ${now} WHERE email = '${ADMIN_EMAIL}'`);
  const after = await refresh(successor);
  assert.equal(after.res.status, 200, `the token was put back as it was: ${JSON.stringify(after.body)}`);
  assert.equal(trips(after.res).depth, 1, after.res.headers.get('server-timing'));
  assert.notEqual(after.body.refresh_token, successor);
});

test('one-trip /authorize: a client changed since the isolate read it gets the answer of its new registration and leaves no code', async () => {
  const { cookie } = await signIn();
  await consentedCodes(1); // the isolate has read demo-app and the person has consented
  const [row] = await worker.query("SELECT scopes FROM clients WHERE client_id = 'demo-app'");
  const before = await codeCount();
  // An admin narrows the client: its memo in this isolate is stale now.
  await worker.query(`UPDATE clients SET scopes = '["openid","offline_access"]' WHERE client_id = 'demo-app'`);
  const res = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
  const location = new URL(res.headers.get('location'));
  assert.equal(location.searchParams.get('error'), 'invalid_scope', res.headers.get('location'));
  assert.equal(await codeCount(), before, 'the guessed code was removed');
  await worker.query(`UPDATE clients SET scopes = '${row.scopes}' WHERE client_id = 'demo-app'`);
  // The isolate read the client again: the next request is one trip and gets its code.
  const again = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
  assert.ok(new URL(again.headers.get('location')).searchParams.get('code'), again.headers.get('location'));
  const next = await fetch(authorizeUrl(), { headers: { cookie }, redirect: 'manual' });
  assert.ok(new URL(next.headers.get('location')).searchParams.get('code'));
  assert.equal(trips(next).depth, 1, next.headers.get('server-timing'));
  assert.equal(await codeCount(), before + 2);
});

test('the password grant waits on storage twice: the client and the account, then argon2id, then the record with the refresh token (or the failure)', async () => {
  await insertClient(worker, { id: PASSWORD_CLIENT[0], secret: PASSWORD_CLIENT[1], grants: ['password', 'refresh_token'],
    scopes: ['openid', 'offline_access'] });
  const grant = (password) => form('/token', { grant_type: 'password', username: ADMIN_EMAIL, password,
    scope: 'openid offline_access' }, basic(PASSWORD_CLIENT));
  const logins = async () => (await worker.query(
    "SELECT COUNT(*) AS n FROM audit_log WHERE event = 'user.login' AND metadata LIKE '%password_grant%'"))[0].n;
  const before = await logins();
  const ok = await grant(ADMIN_PASSWORD);
  assert.equal(ok.res.status, 200, JSON.stringify(ok.body));
  assert.equal(trips(ok.res).depth, 2, ok.res.headers.get('server-timing'));
  assert.equal(await logins(), before + 1, 'the sign-in is recorded with the token it yields');
  const refreshed = await form('/token', { grant_type: 'refresh_token', refresh_token: ok.body.refresh_token },
    basic(PASSWORD_CLIENT));
  assert.equal(refreshed.res.status, 200, 'the refresh token written in that batch works');

  const wrong = await grant('not-the-password-at-all');
  assert.equal(wrong.body.error, 'invalid_grant');
  assert.equal(trips(wrong.res).depth, 2, wrong.res.headers.get('server-timing'));
  const [user] = await worker.query('SELECT failed_attempts FROM users WHERE email = ?', ADMIN_EMAIL);
  assert.equal(user.failed_attempts, 1, 'a wrong password counts');
  const again = await grant(ADMIN_PASSWORD);
  assert.equal(again.res.status, 200);
  const [reset] = await worker.query('SELECT failed_attempts FROM users WHERE email = ?', ADMIN_EMAIL);
  assert.equal(reset.failed_attempts, 0, 'a sign-in resets the count');
});

test('a pending device poll waits on storage once: the client, the code and the poll\'s time in one batch (RFC 8628 §3.5 slow_down kept)', async () => {
  const device = ['e2e-device', 'e2e-device-secret-0123456789abcdef'];
  await insertClient(worker, { id: device[0], secret: device[1], grants: ['urn:ietf:params:oauth:grant-type:device_code'],
    scopes: ['openid'] });
  const started = await form('/device', { scope: 'openid' }, basic(device));
  assert.equal(started.res.status, 200, JSON.stringify(started.body));
  const poll = () => form('/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: started.body.device_code }, basic(device));
  const first = await poll();
  assert.equal(first.body.error, 'authorization_pending');
  assert.equal(trips(first.res).depth, 1, first.res.headers.get('server-timing'));
  const early = await poll();
  assert.equal(early.body.error, 'slow_down', 'polled sooner than the interval');
  assert.equal(trips(early.res).depth, 1, early.res.headers.get('server-timing'));
  const [row] = await worker.query('SELECT poll_interval FROM device_codes WHERE client_id = ?', device[0]);
  assert.equal(row.poll_interval, 10, 'the grown interval is kept');
  const wrong = await form('/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: started.body.device_code }, basic([device[0], 'not-the-secret-0123456789abcdef']));
  assert.equal(wrong.body.error, 'invalid_client');
  const [after] = await worker.query('SELECT poll_interval FROM device_codes WHERE client_id = ?', device[0]);
  assert.equal(after.poll_interval, 10, 'a refused poll changes nothing');
});
