// End-to-end: sign-in with another OpenID provider (docs/api.md "Endpoints"), the
// provider being a second instance of this server configured as a generic OpenID provider
// (OIDC_PROVIDERS by issuer, found through its discovery document). In Chromium: an app's
// /authorize here, "Continue with Corp SSO", sign-in and consent at the provider, back
// with a code, an account made for the new person, the app's code at the end. Then the
// refusals: an unverified provider address matching an existing account links nothing, a
// replayed callback signs nobody in, the only way to sign in cannot be unlinked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startWorker, startApp, pointDemoAppAt, launchChromium, freePort, adminApi } from './harness.mjs';

const ADMIN_CLIENT_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
let CALLBACK; // the app's callback (startApp): demo-app's redirect URI
const PASSWORD = 'a long enough password';
let provider; // the OpenID provider: another Authority, at http://localhost (its own cookies)
let worker; // this server, at http://127.0.0.1
let browser;
let demo;
let replay; // a callback URL already used, and the browser's cookies as it was sent
let replayCookies;
let app;

const admin = (w, method, path, body) => adminApi(w, 'admin-cli', ADMIN_CLIENT_SECRET)(method, path, body);
const common = { ADMIN_CLIENT_ID: 'admin-cli', ADMIN_CLIENT_SECRET, RATE_LIMIT_LOGIN_MAX: '100' };

before(async () => {
  const port = await freePort();
  // The provider lets an account with an unverified address sign in (its policy, not
  // ours): what it then asserts is `email_verified: false`.
  provider = await startWorker({ hostName: 'localhost', vars: { ...common, ADMIN_EMAIL: 'idp@example.com',
    ADMIN_PASSWORD: 'e2e-idp-admin-password-0', EMAIL_VERIFICATION_REQUIRED: 'false' } });
  await fetch(`${provider.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  const register = (name) => admin(provider, 'POST', '/register', { client_name: `Authority RP (${name})`,
    redirect_uris: [`http://127.0.0.1:${port}/auth/${name}/callback`], grant_types: ['authorization_code'],
    scope: 'openid email profile', token_endpoint_auth_method: 'client_secret_basic' });
  const rp = await register('corp');
  assert.equal(rp.status, 201, JSON.stringify(rp.body));
  // The same provider plays Google too: GOOGLE_OAUTH_ENABLED with the test-only issuer override.
  const google = await register('google');
  for (const [email, verified] of [['carol@example.com', true], ['dave@example.com', false],
    ['erin@example.com', false]]) {
    const user = await admin(provider, 'POST', '/api/users', { email, password: PASSWORD, email_verified: true });
    await admin(provider, 'PATCH', `/api/users/${user.body.id}`, { email_verified: verified });
  }
  worker = await startWorker({ port, vars: { ...common, ADMIN_EMAIL: 'root@example.com',
    ADMIN_PASSWORD: 'e2e-admin-password-0123', DEMO_CLIENT_SECRET: DEMO_SECRET,
    OIDC_PROVIDERS: JSON.stringify([{ name: 'corp', display_name: 'Corp SSO', issuer: provider.url,
      client_id: rp.body.client_id, client_secret: rp.body.client_secret }]),
    GOOGLE_OAUTH_ENABLED: 'true', GOOGLE_CLIENT_ID: google.body.client_id, GOOGLE_CLIENT_SECRET: google.body.client_secret,
    SOCIAL_PROVIDER_BASE_URLS: JSON.stringify({ google: provider.url }) } });
  app = await startApp();
  CALLBACK = app.callback;
  await pointDemoAppAt(worker, app);
  // Dave has an account here already, under the same address the provider leaves unverified.
  assert.equal((await admin(worker, 'POST', '/api/users', { email: 'dave@example.com', password: PASSWORD, email_verified: true })).status, 201);
  demo = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs(), provider?.logs());
  await browser?.close();
  await worker?.stop();
  await provider?.stop();
  await app?.close();
});

/** At the provider's pages: sign in and allow this server. */
async function atProvider(page, email) {
  await page.waitForURL((u) => u.href.startsWith(`${provider.url}/signin`));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(`${provider.url}/consent`));
  await page.getByRole('button', { name: 'Allow' }).click();
}

test('a new person signs in to an app through another OpenID provider and gets an account here', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: CALLBACK, scope: 'openid email', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  page.on('request', async (r) => {
    if (!r.url().includes('/auth/corp/callback?')) return;
    replay = r.url();
    replayCookies = (await r.allHeaders()).cookie;
  });
  await page.goto(url.href);
  await page.waitForURL(/\/signin\?request=/);
  await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
  await atProvider(page, 'carol@example.com');
  await page.waitForURL(/\/consent\?request=/);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.href.startsWith(CALLBACK));
  const tokens = await oidc.authorizationCodeGrant(demo, new URL(page.url()), { pkceCodeVerifier: verifier,
    expectedState: state, idTokenExpected: true });
  assert.equal(tokens.claims().email, 'carol@example.com');
  assert.deepEqual(tokens.claims().amr, ['fed']);
  const rows = await worker.query("SELECT u.email, u.email_verified, u.password_hash IS NULL AS no_password \
    FROM social_identities s JOIN users u ON u.id = s.user_id WHERE s.provider = 'corp'");
  assert.deepEqual(rows, [{ email: 'carol@example.com', email_verified: 1, no_password: 1 }]);
  const events = await worker.query("SELECT event FROM audit_log WHERE event IN ('social.login', 'social_account_linked')");
  assert.equal(events.length, 2);

  // The account page lists the link; it is Carol's only way in, so it stays.
  await page.goto(`${worker.url}/account`);
  await page.getByRole('list', { name: 'Linked accounts' }).getByText('carol@example.com').waitFor();
  await page.getByRole('button', { name: 'Unlink Corp SSO' }).click();
  await page.getByRole('status').filter({ hasText: 'only way to sign in' }).waitFor();
  await context.close();
});

test('GOOGLE_OAUTH_ENABLED: "Continue with Google" links to the account both sides verified, and signs in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByRole('link', { name: 'Continue with Google' }).click();
  await atProvider(page, 'carol@example.com');
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  const list = page.getByRole('list', { name: 'Linked accounts' });
  await list.getByRole('button', { name: 'Unlink Google' }).waitFor();
  await list.getByRole('button', { name: 'Unlink Corp SSO' }).waitFor();
  // Two ways in now: one may go.
  await page.getByRole('button', { name: 'Unlink Google' }).click();
  await page.getByRole('status').filter({ hasText: 'Unlinked.' }).waitFor();
  await list.getByRole('button', { name: 'Link Google' }).waitFor();
  const events = await worker.query("SELECT event FROM audit_log WHERE event = 'social_account_unlinked'");
  assert.equal(events.length, 1);
  await context.close();
});

test('a replayed provider callback signs nobody in, even with the flow cookie it came with', async () => {
  assert.ok(replay && replayCookies?.includes('authority_social='), 'the first test saw the callback and its cookie');
  // What a thief of both the URL and the browser's cookies would send again.
  const context = await browser.newContext();
  const { hostname } = new URL(worker.url);
  await context.addCookies(replayCookies.split('; ').map((c) => {
    const [name, ...value] = c.split('=');
    return { name, value: value.join('='), domain: hostname, path: '/' };
  }).filter((c) => c.name === 'authority_social'));
  const page = await context.newPage();
  const res = await page.goto(replay);
  assert.equal(res.status(), 400);
  // The provider redeems a code once (RFC 6749 §4.1.2): the exchange is refused there.
  await page.getByText("the provider's token endpoint answered invalid_grant").waitFor();
  const signedIn = (await context.cookies()).filter((c) => c.name.endsWith('authority_session') && c.value);
  assert.deepEqual(signedIn, [], 'no session for the replay');
  const failed = await worker.query("SELECT metadata FROM audit_log WHERE event = 'social.login_failed'");
  assert.equal(failed.length, 1);
  assert.match(failed[0].metadata, /invalid_grant/);
  await context.close();
  // Without the cookie: the flow began in another browser.
  const bare = await browser.newContext();
  const again = await (await bare.newPage()).goto(replay);
  assert.equal(again.status(), 400);
  await bare.close();
});

test('an address the provider does not vouch for links nothing to the account that has it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
  await atProvider(page, 'dave@example.com');
  await page.getByText('An account with this email address exists').waitFor();
  const linked = await worker.query("SELECT COUNT(*) AS n FROM social_identities WHERE email = 'dave@example.com'");
  assert.equal(linked[0].n, 0);
  const why = await worker.query("SELECT metadata FROM audit_log WHERE event = 'social.login_failed'");
  assert.equal(why.filter((r) => r.metadata.includes('An account with this email address exists')).length, 1,
    JSON.stringify(why));
  await context.close();
});

test('trust finding: a provider address nobody verified creates no account (EMAIL_VERIFICATION_REQUIRED, the default)', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
  await atProvider(page, 'erin@example.com');
  await page.getByText('The provider did not confirm this email address').waitFor();
  assert.deepEqual(await worker.query("SELECT id FROM users WHERE email = 'erin@example.com'"), [],
    'no account waits for the real owner');
  await context.close();
});

test('trust finding: linking cannot start from a cross-site GET, only from the account page\'s POST', async () => {
  const res = await fetch(`${worker.url}/auth/corp?link=true`, { redirect: 'manual' });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null, 'not sent on to the provider');
  const post = await fetch(`${worker.url}/auth/corp/link`, { method: 'POST', redirect: 'manual',
    headers: { origin: 'https://evil.example' } });
  assert.equal(post.status, 403, 'a cross-site POST fails the CSRF check');
});

test('trust finding: a provider sign-in honours the account\'s lock', async () => {
  const until = Math.floor(Date.now() / 1000) + 600;
  await worker.query("UPDATE users SET locked_until = ?1 WHERE email = 'carol@example.com'", until);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${worker.url}/signin?next=%2Faccount`);
    await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
    // Carol allowed this server at the provider in the first test: no consent screen now.
    await page.waitForURL((u) => u.href.startsWith(`${provider.url}/signin`));
    await page.getByLabel('Email').fill('carol@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('This account is locked').waitFor();
    const here = new URL(worker.url).hostname; // the provider's own session is at its host
    const signedIn = (await context.cookies(worker.url)).filter((c) => c.name.endsWith('authority_session') && c.value
      && c.domain === here);
    assert.deepEqual(signedIn, [], 'no session here while locked');
  } finally {
    await worker.query("UPDATE users SET locked_until = NULL WHERE email = 'carol@example.com'");
    await context.close();
  }
});
