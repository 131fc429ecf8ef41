// End-to-end: OpenID Connect Back-Channel Logout 1.0. A relying party on a local port
// registers a backchannel_logout_uri (RFC 7591 registration); a person signs in
// to it in Chromium (code + PKCE, openid-client); when the session ends — at /logout, or
// by an admin — the RP receives a Logout Token that jose verifies against the JWKS with
// the session's sid, and the access token of that session is inactive at introspection
// and refused at UserInfo. A delivery to an RP that is down waits among the deliveries
// (docs/delivery.md) with its error and arrives when an admin retries it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startWorker, launchChromium, freePort, adminApi, basic } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-0123';
const ADMIN_ID = 'admin-cli';
const ADMIN_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const EMAIL = 'bea@example.com';
const PASSWORD = 'a long enough password';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let worker;
let rp;
let browser;
let demo;
let jwks;
let CLIENT_ID;
let CLIENT_SECRET;

/** The relying party: its callback, and a back-channel endpoint that can go down and come back. */
async function startRp() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const received = [];
  let waiters = [];
  let server;
  const up = () => new Promise((resolve) => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/backchannel') {
          const token = new URLSearchParams(body).get('logout_token');
          received.push({ token, type: req.headers['content-type'] });
          for (const w of waiters) w(token);
          waiters = [];
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('the app');
      });
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  await up();
  return {
    origin, callback: `${origin}/callback`, received, up,
    down: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
    /** The next Logout Token, or a failure after `ms`. */
    next: (ms = 15_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Logout Token arrived')), ms);
      waiters.push((token) => { clearTimeout(timer); resolve(token); });
    }),
  };
}

before(async () => {
  rp = await startRp();
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN_ID,
    ADMIN_CLIENT_SECRET: ADMIN_SECRET, RATE_LIMIT_LOGIN_MAX: '100' } });
  const admin = adminApi(worker, ADMIN_ID, ADMIN_SECRET);
  const registered = await admin('POST', '/register', { client_name: 'Back-channel RP', redirect_uris: [rp.callback],
    post_logout_redirect_uris: [`${rp.origin}/`], grant_types: ['authorization_code'], scope: 'openid email',
    token_endpoint_auth_method: 'client_secret_basic', backchannel_logout_uri: `${rp.origin}/backchannel`,
    backchannel_logout_session_required: true });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.equal(registered.body.backchannel_logout_uri, `${rp.origin}/backchannel`);
  assert.equal(registered.body.backchannel_logout_session_required, true);
  ({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET } = registered.body);
  const refused = await admin('POST', '/register', { client_name: 'Bad', redirect_uris: [rp.callback],
    backchannel_logout_uri: `${rp.origin}/backchannel#fragment` });
  assert.equal(refused.status, 400, 'Back-Channel Logout §2.2: no fragment');
  assert.equal(refused.body.error, 'invalid_client_metadata');
  assert.equal((await admin('POST', '/api/users', { email: EMAIL, password: PASSWORD, email_verified: true })).status,
    201);
  demo = await oidc.discovery(new URL(worker.url), CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  jwks = createRemoteJWKSet(new URL(`${worker.url}/.well-known/jwks.json`));
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
  await rp?.down();
});

/** Signs in to the RP in a fresh Chromium profile; the tokens and the profile. */
async function signIn() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: rp.callback, scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  await page.goto(url.href);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(`${worker.url}/consent`) || u.href.startsWith(rp.callback),
    { waitUntil: 'commit' });
  if (page.url().startsWith(`${worker.url}/consent`)) {
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(rp.callback), { waitUntil: 'commit' });
  }
  const tokens = await oidc.authorizationCodeGrant(demo, new URL(page.url()),
    { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
  await page.close();
  return { tokens, context };
}

/** Verifies a Logout Token as an RP must (§2.6) with jose; its claims. */
async function verifiedLogoutToken(token) {
  assert.equal(decodeProtectedHeader(token).typ, 'logout+jwt');
  const { payload } = await jwtVerify(token, jwks, { issuer: worker.url, audience: CLIENT_ID,
    typ: 'logout+jwt', maxTokenAge: '2 minutes' });
  assert.deepEqual(payload.events, { [EVENT]: {} });
  assert.equal(payload.nonce, undefined, '§2.4: no nonce');
  assert.ok(payload.jti);
  return payload;
}

const introspect = async (token) => (await (await fetch(`${worker.url}/token/introspect`, { method: 'POST',
  headers: { authorization: basic(CLIENT_ID, CLIENT_SECRET), 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token }) })).json()).active;

test('discovery lists back-channel logout with sid (Back-Channel Logout 1.0 §2.1)', async () => {
  const metadata = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.equal(metadata.backchannel_logout_supported, true);
  assert.equal(metadata.backchannel_logout_session_supported, true);
});

test('signing out at /logout posts the app a Logout Token with the session\'s sid; its access token ends too', async () => {
  const { tokens, context } = await signIn();
  const sid = tokens.claims().sid;
  assert.ok(sid, 'the ID token names the session');
  assert.equal(await introspect(tokens.access_token), true);
  const arrived = rp.next();
  const page = await context.newPage();
  const logout = new URL(`${worker.url}/logout`);
  logout.search = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: `${rp.origin}/` })
    .toString();
  await page.goto(logout.href);
  await page.waitForURL((u) => u.href.startsWith(`${rp.origin}/`), { waitUntil: 'commit' });
  const claims = await verifiedLogoutToken(await arrived);
  assert.equal(claims.sid, sid);
  assert.equal(claims.sub, tokens.claims().sub);
  assert.equal(rp.received.at(-1).type, 'application/x-www-form-urlencoded');
  assert.equal(await introspect(tokens.access_token), false, 'the session\'s access token is inactive');
  const userinfo = await fetch(`${worker.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(userinfo.status, 401);
  const [delivered] = await worker.query(
    "SELECT COUNT(*) AS n FROM audit_log WHERE event = 'logout.backchannel_delivered' AND resource_id = ?1", CLIENT_ID);
  assert.equal(delivered.n, 1, 'each delivery is audited');
  await context.close();
});

test('an admin ending the person\'s sessions tells the app the same way', async () => {
  const { tokens, context } = await signIn();
  const arrived = rp.next();
  const admin = adminApi(worker, ADMIN_ID, ADMIN_SECRET);
  const [user] = (await admin('GET', `/api/users?search=${encodeURIComponent(EMAIL)}`)).body.data;
  assert.equal((await admin('DELETE', `/api/users/${user.id}/sessions`)).status, 200);
  const claims = await verifiedLogoutToken(await arrived);
  assert.equal(claims.sid, tokens.claims().sid);
  assert.equal(await introspect(tokens.access_token), false);
  await context.close();
});

test('a delivery to an app that is down waits as a pending delivery and arrives by an admin\'s retry', async () => {
  const { tokens, context } = await signIn();
  await rp.down();
  const admin = adminApi(worker, ADMIN_ID, ADMIN_SECRET);
  const [user] = (await admin('GET', `/api/users?search=${encodeURIComponent(EMAIL)}`)).body.data;
  const before = rp.received.length;
  assert.equal((await admin('DELETE', `/api/users/${user.id}/sessions`)).status, 200);
  let failed = [];
  for (let i = 0; i < 50 && failed.length === 0; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    failed = (await admin('GET', '/api/deliveries?kind=logout&status=pending')).body.data
      .filter((d) => d.attempts === 1 && d.last_error);
  }
  assert.equal(failed.length, 1, 'the first attempt failed and was recorded, with its error, among the deliveries');
  assert.match(failed[0].summary, /^Logout Token to /);
  assert.equal(rp.received.length, before);
  await rp.up();
  const arrived = rp.next();
  // "Retry now" (the console's Deliveries screen) sends it at once, with the same jti.
  const retried = await admin('POST', `/api/deliveries/${failed[0].id}/retry`);
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.status, 'delivered');
  const claims = await verifiedLogoutToken(await arrived);
  assert.equal(claims.sid, tokens.claims().sid);
  assert.equal(claims.jti, failed[0].id, 'the delivery\'s id is the Logout Token\'s jti');
  const [row] = await worker.query('SELECT attempts, delivered_at FROM deliveries WHERE id = ?1', claims.jti);
  assert.equal(row.attempts, 1, 'a retry starts a fresh budget');
  assert.ok(row.delivered_at);
  await context.close();
});
