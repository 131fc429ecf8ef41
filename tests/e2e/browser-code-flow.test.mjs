// End-to-end: an app's code + PKCE flow through the real sign-in and consent screens in
// headless Chromium, checked by an independent OIDC relying-party library
// (openid-client), in workerd with fresh D1/KV. Also SSO, prompt=none, form_post, the
// implicit flow, the error page, and a replayed code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { startWorker, launchChromium, startApp, pointDemoAppAt } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
let worker;
let browser;
let demo; // openid-client configuration of demo-app
let context; // one browser profile: its session cookie is the SSO
let app; // the app: demo-app's redirect URIs point at it
let CALLBACK;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET,
    REVOKE_TOKENS_ON_SESSION_END: 'true',
    // The implicit flow is off by default (RFC 9700 §2.1.2); one test below uses it.
    ALLOW_IMPLICIT: 'true',
    // More sign-ins from one address than RATE_LIMIT_LOGIN_MAX allows a minute (tested in accounts).
    RATE_LIMIT_LOGIN_MAX: '100' } });
  app = await startApp();
  CALLBACK = app.callback;
  await pointDemoAppAt(worker, app);
  await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
    redirect_uris, grant_types, response_types, scopes, logo_uri, created_at, updated_at) VALUES ('implicit-app',
    'Implicit App', 'public', 'none', '["${app.origin}/implicit"]', '["implicit"]', '["id_token", "id_token token"]',
    '["openid", "profile", "email"]', 'https://app.example.com/logo.png', 0, 0)`);
  demo = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
  context = await browser.newContext();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
  await app?.close();
});


/**
 * Opens `url` (if given) and resolves once the browser is at a URL starting with
 * `prefix`, with that URL (fragment included) and, for the app, the request it got.
 */
async function landing(page, prefix, url) {
  const arrived = prefix.startsWith(app.origin) ? app.next() : Promise.resolve(null);
  // 'commit': the URL is all we need; the landing page's own loading is not under test.
  if (url) await page.goto(url, { waitUntil: 'commit' });
  await page.waitForURL((u) => u.href.startsWith(prefix), { waitUntil: 'commit' }).catch(async (e) => {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`expected to land at ${prefix}, the browser is at ${page.url()} showing "${text}": ${e.message}`);
  });
  const request = await arrived;
  // Let the landing page finish (an app page is plain text, quick) so closing it later
  // does not race its load; the admin console's page is not waited for.
  if (request) await page.waitForLoadState('load');
  return { url: page.url(), method: request?.method ?? 'GET', body: request?.body ?? '' };
}

function codeFlowUrl(extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  return oidc.calculatePKCECodeChallenge(verifier).then((challenge) => ({
    verifier, state, nonce,
    url: oidc.buildAuthorizationUrl(demo, {
      redirect_uri: CALLBACK, scope: 'openid profile email offline_access', code_challenge: challenge,
      code_challenge_method: 'S256', state, nonce, ...extra,
    }).href,
  }));
}

let firstTokens;
let ssoRefreshToken; // issued in the shared browser's session

test('OIDC code + PKCE: sign in, consent, code exchanged and the ID token validated by openid-client', async () => {
  const page = await context.newPage();
  const flow = await codeFlowUrl();
  await page.goto(flow.url);
  await page.waitForURL(/\/signin\?request=/);
  await page.getByRole('heading', { name: /Sign in to continue to Demo App/ }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'signin.png') });
  // A wrong password is shown in place.
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'incorrect' }).waitFor();
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/consent\?request=/);
  await page.getByText('Read your email address').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'consent.png') });
  const callback = landing(page, CALLBACK);
  await page.getByRole('button', { name: 'Allow' }).click();
  const { url } = await callback;
  const params = new URL(url).searchParams;
  assert.equal(params.get('iss'), worker.url, 'RFC 9207');
  const tokens = await oidc.authorizationCodeGrant(demo, new URL(url), {
    pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert.equal(claims.email, ADMIN_EMAIL);
  assert.equal(claims.nonce, flow.nonce);
  assert.ok(claims.auth_time > 0);
  assert.ok(tokens.refresh_token, 'offline_access');
  const info = await oidc.fetchUserInfo(demo, tokens.access_token, claims.sub);
  assert.equal(info.email, ADMIN_EMAIL);
  firstTokens = { tokens, code: params.get('code') };
  const consents = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'consent.granted'");
  assert.equal(consents[0].n, 1);
  await page.close();
});

test('RFC 6749 §10.5: a replayed code fails and revokes the tokens of the first exchange', async () => {
  const { tokens, code } = firstTokens;
  const auth = `Basic ${Buffer.from(`demo-app:${DEMO_SECRET}`).toString('base64')}`;
  const post = (path, body) => fetch(`${worker.url}${path}`, {
    method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  const replay = await post('/token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).error, 'invalid_grant');
  const introspected = await (await post('/token/introspect', { token: tokens.access_token })).json();
  assert.equal(introspected.active, false);
  const refresh = await post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  assert.equal(refresh.status, 400);
  const events = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'token.code_replayed'");
  assert.equal(events[0].n, 1);
});

test('SSO and remembered consent: the next authorization goes straight back to the app', async () => {
  const page = await context.newPage();
  const flow = await codeFlowUrl();
  const { url } = await landing(page, CALLBACK, flow.url);
  const tokens = await oidc.authorizationCodeGrant(demo, new URL(url), {
    pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
  });
  assert.equal(tokens.claims().email, ADMIN_EMAIL);
  ssoRefreshToken = tokens.refresh_token;
  await page.close();
});

test('SSO for a second client: the admin console (first-party, public) gets a code without sign-in', async () => {
  const admin = await oidc.discovery(new URL(worker.url), 'authority-admin', undefined, oidc.None(),
    { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(admin, {
    redirect_uri: `${worker.url}/admin/callback`, scope: 'openid email admin', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const page = await context.newPage();
  const landed = await landing(page, `${worker.url}/admin/callback`, url.href);
  const tokens = await oidc.authorizationCodeGrant(admin, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state });
  assert.equal(tokens.scope, 'openid email admin');
  assert.equal(tokens.claims().email, ADMIN_EMAIL);
  // Left open: the console's page loads the whole SPA, which is not under test here.
});

test('OIDC Core §3.1.2.1 prompt=none: login_required without a session, a code with one', async () => {
  const fresh = await browser.newContext();
  const page = await fresh.newPage();
  const flow = await codeFlowUrl({ prompt: 'none' });
  const { url } = await landing(page, CALLBACK, flow.url);
  const params = new URL(url).searchParams;
  assert.equal(params.get('error'), 'login_required');
  assert.equal(params.get('state'), flow.state);
  assert.equal(params.get('iss'), worker.url);
  await fresh.close();
  const signedIn = await context.newPage();
  const again = await codeFlowUrl({ prompt: 'none' });
  const landed = await landing(signedIn, CALLBACK, again.url);
  assert.ok(new URL(landed.url).searchParams.get('code'));
  await signedIn.close();
});

test('form_post: the response arrives as a POST to the redirect URI', async () => {
  const page = await context.newPage();
  const flow = await codeFlowUrl({ response_mode: 'form_post' });
  const landed = await landing(page, CALLBACK, flow.url);
  assert.equal(landed.method, 'POST');
  const body = new URLSearchParams(landed.body);
  assert.equal(body.get('state'), flow.state);
  assert.equal(body.get('iss'), worker.url);
  const callback = new URL(CALLBACK);
  callback.search = body.toString();
  const tokens = await oidc.authorizationCodeGrant(demo, callback, {
    pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
  });
  assert.ok(tokens.access_token);
  await page.close();
});

test('implicit (response_type=id_token): consent, then an ID token in the fragment that openid-client accepts', async () => {
  const implicit = await oidc.discovery(new URL(worker.url), 'implicit-app', undefined, oidc.None(),
    { execute: [oidc.allowInsecureRequests] });
  oidc.useIdTokenResponseType(implicit);
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(implicit, {
    redirect_uri: `${app.origin}/implicit`, scope: 'openid email', nonce, state,
  });
  const page = await context.newPage();
  await page.goto(url.href);
  await page.waitForURL(/\/consent\?request=/);
  // The client's registered logo_uri is on the consent screen.
  await page.locator('img[src="https://app.example.com/logo.png"]').waitFor({ state: 'attached' });
  const landed = landing(page, `${app.origin}/implicit`);
  await page.getByRole('button', { name: 'Allow' }).click();
  const { url: back } = await landed;
  const claims = await oidc.implicitAuthentication(implicit, new URL(back), nonce, { expectedState: state });
  assert.equal(claims.email, ADMIN_EMAIL);
  await page.close();
});

test('prompt=select_account: the signed-in account is offered, and choosing it continues', async () => {
  const page = await context.newPage();
  const flow = await codeFlowUrl({ prompt: 'select_account' });
  await page.goto(flow.url);
  await page.waitForURL(/\/signin\?request=/);
  const back = landing(page, CALLBACK);
  await page.getByRole('link', { name: `Continue as ${ADMIN_EMAIL}` }).click();
  const { url } = await back;
  assert.ok(new URL(url).searchParams.get('code'));
  await page.close();
});

test('consent Deny sends access_denied to the app', async () => {
  const fresh = await browser.newContext();
  const page = await fresh.newPage();
  const flow = await codeFlowUrl();
  await page.goto(flow.url);
  // A new browser: sign in first; consent for demo-app is remembered, so prompt for it.
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  const callback = landing(page, CALLBACK);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const first = await callback;
  assert.ok(new URL(first.url).searchParams.get('code'), 'remembered consent skips the screen');
  const denyFlow = await codeFlowUrl({ prompt: 'consent' });
  await page.goto(denyFlow.url);
  await page.waitForURL(/\/consent\?request=/);
  const denied = landing(page, CALLBACK);
  await page.getByRole('button', { name: 'Deny' }).click();
  const params = new URL((await denied).url).searchParams;
  assert.equal(params.get('error'), 'access_denied');
  assert.equal(params.get('state'), denyFlow.state);
  await fresh.close();
});

test('an unregistered redirect_uri shows the error page and never redirects', async () => {
  const url = new URL(`${worker.url}/authorize`);
  url.search = new URLSearchParams({ client_id: 'demo-app', redirect_uri: 'https://evil.example.com/cb',
    response_type: 'code', scope: 'openid', state: 's' }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type'), /text\/html/);
  const html = await res.text();
  assert.match(html, /not registered for this client/);
  assert.doesNotMatch(html, /evil\.example\.com/, 'the untrusted URI is not even echoed');
  // Unknown client, and a duplicated parameter: the same page.
  const unknown = await fetch(`${worker.url}/authorize?client_id=nobody&response_type=code`, { redirect: 'manual' });
  assert.equal(unknown.status, 400);
  const dup = await fetch(`${worker.url}/authorize?client_id=demo-app&client_id=demo-app`, { redirect: 'manual' });
  assert.equal(dup.status, 400);
  assert.equal(dup.headers.get('location'), null);
});

test('CSRF: the session API refuses a sign-in without the token', async () => {
  const res = await fetch(`${worker.url}/api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error, 'csrf_failed');
  const consent = await fetch(`${worker.url}/api/consent`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example.com' },
    body: JSON.stringify({ request: 'x', allow: true }),
  });
  assert.equal(consent.status, 403);
});

// Last: these end the shared browser's session.
test('RP-Initiated Logout with id_token_hint: straight back to the app with state; the session is gone', async () => {
  const page = await context.newPage();
  const url = new URL(`${worker.url}/logout`);
  url.search = new URLSearchParams({ id_token_hint: firstTokens.tokens.id_token,
    post_logout_redirect_uri: `${app.origin}/`, state: 'bye-1' }).toString();
  const { url: back } = await landing(page, `${app.origin}/`, url.href);
  assert.equal(new URL(back).searchParams.get('state'), 'bye-1');
  const flow = await codeFlowUrl({ prompt: 'none' });
  const { url: after } = await landing(page, CALLBACK, flow.url);
  assert.equal(new URL(after).searchParams.get('error'), 'login_required');
  const events = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'user.logout'");
  assert.equal(events[0].n, 1);
  // REVOKE_TOKENS_ON_SESSION_END=true: the refresh tokens of that session died with it.
  const refresh = await fetch(`${worker.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`demo-app:${DEMO_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: ssoRefreshToken }),
  });
  assert.equal(refresh.status, 400);
  assert.equal((await refresh.json()).error, 'invalid_grant');
  await page.close();
});

test('RP-Initiated Logout without a hint asks first; unregistered redirect URIs get the error page', async () => {
  const fresh = await browser.newContext();
  const page = await fresh.newPage();
  const flow = await codeFlowUrl();
  await page.goto(flow.url);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  const signedIn = landing(page, CALLBACK);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signedIn;
  await page.goto(`${worker.url}/logout?client_id=demo-app&post_logout_redirect_uri=${encodeURIComponent(`${app.origin}/`)}`);
  await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'logout-confirm.png') });
  const out = landing(page, `${app.origin}/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await out;
  const again = await codeFlowUrl({ prompt: 'none' });
  const { url: after } = await landing(page, CALLBACK, again.url);
  assert.equal(new URL(after).searchParams.get('error'), 'login_required');
  const evil = await fetch(`${worker.url}/logout?client_id=demo-app&post_logout_redirect_uri=${encodeURIComponent('https://evil.example.com/')}`,
    { redirect: 'manual' });
  assert.equal(evil.status, 400);
  assert.equal(evil.headers.get('location'), null);
  await fresh.close();
});
