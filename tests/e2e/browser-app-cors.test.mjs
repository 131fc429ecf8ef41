// End-to-end: a single-page app (public client, code + PKCE) signs a person in from its
// own origin in headless Chromium, with the independent oauth4webapi library running in
// the page: discovery, the code exchange, UserInfo, a refresh and a revocation are all
// cross-origin `fetch`es that the browser lets through only because the worker answers
// CORS for the client's registered origin (docs/api.md "Browser apps"). The same calls from
// an origin the client did not register are blocked by the browser and change nothing.
// The same app pushes its request (PAR) and binds its tokens to a DPoP key made in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
let worker;
let browser;
let spa; // the app's origin, registered
let stranger; // another origin, not registered
let liveRefreshToken; // spa-app's, from the first test
const servers = [];

/** A static origin serving oauth4webapi and a page that exposes it as `window.oauth`. */
async function serveOrigin() {
  const library = await readFile(join(root, 'node_modules', 'oauth4webapi', 'build', 'index.js'));
  const page = `<!doctype html><title>SPA</title><script type="module">
    import * as oauth from '/oauth4webapi.js'; window.oauth = oauth; window.ready = true;</script>`;
  const server = createServer((req, res) => {
    if (req.url === '/oauth4webapi.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(library);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, RATE_LIMIT_LOGIN_MAX: '100' } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  spa = await serveOrigin();
  stranger = await serveOrigin();
  await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
    redirect_uris, grant_types, response_types, scopes, created_at, updated_at) VALUES ('spa-app', 'SPA App', 'public',
    'none', '["${spa}/callback"]', '["authorization_code", "refresh_token"]', '["code"]',
    '["openid", "profile", "email", "offline_access"]', 0, 0)`);
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
  for (const s of servers) s.close();
});

/** Opens `url` on a page and waits for oauth4webapi to load there. */
async function open(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.ready === true);
}

test('a browser app on its registered origin signs in with code + PKCE, reads UserInfo, refreshes and revokes', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, `${spa}/`);
  // The app: discovery, PKCE, and off to /authorize (oauth4webapi in the page).
  const authorizeUrl = await page.evaluate(async ({ issuer, redirect }) => {
    const oauth = window.oauth;
    const opts = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), opts));
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    sessionStorage.setItem('flow', JSON.stringify({ verifier, state, nonce }));
    const url = new URL(as.authorization_endpoint);
    for (const [k, v] of Object.entries({ client_id: 'spa-app', redirect_uri: redirect, response_type: 'code',
      scope: 'openid email offline_access', state, nonce, code_challenge_method: 'S256',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier) })) url.searchParams.set(k, v);
    return url.href;
  }, { issuer: worker.url, redirect: `${spa}/callback` });
  await page.goto(authorizeUrl);
  await page.waitForURL(/\/signin\?request=/);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/consent\?request=/);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.href.startsWith(`${spa}/callback`));
  await page.waitForFunction(() => window.ready === true);

  const result = await page.evaluate(async ({ issuer, redirect }) => {
    const oauth = window.oauth;
    const opts = { [oauth.allowInsecureRequests]: true };
    const flow = JSON.parse(sessionStorage.getItem('flow'));
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), opts));
    const client = { client_id: 'spa-app' };
    const params = oauth.validateAuthResponse(as, client, new URL(location.href), flow.state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirect, flow.verifier, opts),
      { expectedNonce: flow.nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    const info = await oauth.processUserInfoResponse(as, client, claims.sub,
      await oauth.userInfoRequest(as, client, tokens.access_token, opts));
    const refreshed = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, opts));
    const revoked = await oauth.revocationRequest(as, client, oauth.None(), refreshed.access_token, opts);
    await oauth.processRevocationResponse(revoked);
    // The revoked access token's error is readable too: the origin is the client's.
    const after = await oauth.userInfoRequest(as, client, refreshed.access_token, opts);
    return { email: info.email, rotated: refreshed.refresh_token !== tokens.refresh_token, revoked: revoked.status,
      afterRevocation: after.status,
      refreshToken: refreshed.refresh_token };
  }, { issuer: worker.url, redirect: `${spa}/callback` });
  assert.equal(result.email, ADMIN_EMAIL);
  assert.ok(result.rotated, 'the refresh token rotated');
  assert.equal(result.revoked, 200);
  assert.equal(result.afterRevocation, 401);
  liveRefreshToken = result.refreshToken;
  await context.close();
});

test('the same calls from an origin the client did not register are blocked by the browser', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, `${stranger}/`);
  const outcome = await page.evaluate(async ({ issuer, refreshToken }) => {
    const attempt = async (url, init) => {
      try {
        const r = await fetch(url, init);
        return { status: r.status };
      } catch (e) {
        return { blocked: e.name };
      }
    };
    const form = (body) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body) });
    return {
      discovery: await attempt(`${issuer}/.well-known/openid-configuration`),
      jwks: await attempt(`${issuer}/.well-known/jwks.json`),
      token: await attempt(`${issuer}/token`, form({ grant_type: 'refresh_token', client_id: 'spa-app',
        refresh_token: refreshToken })),
      userinfo: await attempt(`${issuer}/userinfo`, { headers: { authorization: 'Bearer abc' } }),
      revoke: await attempt(`${issuer}/token/revoke`, form({ client_id: 'spa-app', token: 'abc' })),
      device: await attempt(`${issuer}/device`, form({ client_id: 'spa-app' })),
    };
  }, { issuer: worker.url, refreshToken: liveRefreshToken });
  assert.deepEqual(outcome.discovery, { status: 200 }, 'discovery allows any origin');
  assert.deepEqual(outcome.jwks, { status: 200 }, 'the JWKS allows any origin');
  for (const name of ['token', 'revoke', 'device']) assert.deepEqual(outcome[name], { blocked: 'TypeError' }, name);
  // UserInfo with a token that names no client: its 401 is readable, and says nothing.
  assert.deepEqual(outcome.userinfo, { status: 401 });
  await context.close();
});

test('a foreign origin is refused before the grant runs: the refresh token it tried still works', async () => {
  const refresh = (headers) => fetch(`${worker.url}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'spa-app', refresh_token: liveRefreshToken }),
  });
  // What a browser on the foreign origin sends (the browser test above could not read it).
  const refused = await refresh({ origin: stranger });
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).error, 'invalid_request');
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  const ok = await refresh({ origin: spa });
  assert.equal(ok.status, 200, `${JSON.stringify(await ok.clone().json())}: the token was neither used nor revoked by the refused attempts`);
  assert.equal(ok.headers.get('access-control-allow-origin'), spa);
  assert.match(ok.headers.get('vary'), /Origin/);
  // The preflight names the methods and headers, for any origin (it carries no client).
  const pre = await fetch(`${worker.url}/token`, { method: 'OPTIONS', headers: { origin: spa,
    'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, dpop' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), spa);
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'POST');
});

test('a browser app pushes its request (PAR, CORS) with a DPoP proof from its page, and its refresh token is bound to that key', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, `${spa}/`);
  const authorizeUrl = await page.evaluate(async ({ issuer, redirect }) => {
    const oauth = window.oauth;
    const opts = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), opts));
    const client = { client_id: 'spa-app' };
    // The key outlives the navigation in sessionStorage (a real app would keep a
    // non-extractable key in IndexedDB).
    const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    sessionStorage.setItem('flow', JSON.stringify({ verifier, state,
      privateJwk: await crypto.subtle.exportKey('jwk', keyPair.privateKey),
      publicJwk: await crypto.subtle.exportKey('jwk', keyPair.publicKey) }));
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, await oauth.pushedAuthorizationRequest(as,
      client, oauth.None(), { redirect_uri: redirect, response_type: 'code', scope: 'openid email offline_access', state,
        code_challenge_method: 'S256', code_challenge: await oauth.calculatePKCECodeChallenge(verifier) },
      { ...opts, DPoP: oauth.DPoP(client, keyPair) }));
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', 'spa-app');
    url.searchParams.set('request_uri', pushed.request_uri);
    return url.href;
  }, { issuer: worker.url, redirect: `${spa}/callback` });
  await page.goto(authorizeUrl);
  await page.waitForURL(/\/signin\?request=/);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // No consent screen: the first test's consent covers these scopes.
  await page.waitForURL((u) => u.href.startsWith(`${spa}/callback`));
  await page.waitForFunction(() => window.ready === true);

  const result = await page.evaluate(async ({ issuer, redirect }) => {
    const oauth = window.oauth;
    const opts = { [oauth.allowInsecureRequests]: true };
    const flow = JSON.parse(sessionStorage.getItem('flow'));
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
    const keyPair = { privateKey: await crypto.subtle.importKey('jwk', flow.privateJwk, algorithm, false, ['sign']),
      publicKey: await crypto.subtle.importKey('jwk', flow.publicJwk, algorithm, true, ['verify']) };
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), opts));
    const client = { client_id: 'spa-app' };
    const DPoP = oauth.DPoP(client, keyPair);
    const params = oauth.validateAuthResponse(as, client, new URL(location.href), flow.state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirect, flow.verifier,
        { ...opts, DPoP }));
    const info = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck,
      await oauth.userInfoRequest(as, client, tokens.access_token, { ...opts, DPoP }));
    const refreshed = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, { ...opts, DPoP }));
    // Without the key the (rotated) refresh token is refused, and the page can read why.
    const stolen = await fetch(as.token_endpoint, { method: 'POST', headers: {
      'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token',
      client_id: 'spa-app', refresh_token: refreshed.refresh_token }) });
    const jkt = JSON.parse(atob(tokens.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).cnf?.jkt;
    return { tokenType: tokens.token_type, email: info.email, jkt, refreshedType: refreshed.token_type,
      stolen: [stolen.status, (await stolen.json()).error] };
  }, { issuer: worker.url, redirect: `${spa}/callback` });
  assert.equal(result.tokenType.toLowerCase(), 'dpop');
  assert.equal(result.refreshedType.toLowerCase(), 'dpop');
  assert.equal(result.email, ADMIN_EMAIL);
  assert.ok(result.jkt, 'the access token is bound (cnf.jkt)');
  assert.deepEqual(result.stolen, [400, 'invalid_dpop_proof']);
  await context.close();
});
