// End-to-end: "Continue with GitHub / Facebook / Apple" in Chromium, each provider played
// by the local fake (fake-providers.mjs) speaking that provider's real protocol, reached
// through SOCIAL_PROVIDER_BASE_URLS. From an app's /authorize to the app's code through each
// one; GitHub's unverified primary address; Apple's cross-site form_post and its name on
// the first sign-in only; the refusals (a forged state, an ID token for another client or
// signed by a stranger); the console's providers with their user counts; kept provider
// tokens sealed and readable by a super_admin only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as oidc from 'openid-client';
import { startWorker, startApp, pointDemoAppAt, launchChromium, freePort, openConsole, serviceToken, adminApi } from './harness.mjs';
import { startFakeProviders } from './fake-providers.mjs';

const ADMIN_CLIENT_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
let CALLBACK; // the app's callback (startApp): demo-app's redirect URI
const ROOT = { email: 'root@example.com', password: 'e2e-admin-password-0123' };
const PASSWORD = 'a long enough password';
let fake;
let worker;
let browser;
let demo;
let app;

const adminToken = () => serviceToken(worker, 'admin-cli', ADMIN_CLIENT_SECRET);
const admin = (method, path, body) => adminApi(worker, 'admin-cli', ADMIN_CLIENT_SECRET)(method, path, body);

before(async () => {
  const team = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p8 = team.privateKey.export({ format: 'pem', type: 'pkcs8' });
  fake = await startFakeProviders({ port: await freePort(),
    github: { clientId: 'gh-client', clientSecret: 'gh-secret', people: [
      { id: 9001, login: 'octo', name: 'Octo Cat', emails: [{ email: 'octo@example.com', primary: true, verified: true }] },
      { id: 9002, login: 'una', emails: [{ email: 'una@example.com', primary: true, verified: false },
        { email: 'una@work.example.com', primary: false, verified: true }] },
      { id: 9003, login: 'mallory', emails: [{ email: 'mallory@example.com', primary: true, verified: true }], quirk: 'forgedState' },
      { id: 9004, login: 'rex', emails: [{ email: 'rex@example.com', primary: true, verified: true }], quirk: 'redirectsElsewhere' },
      { id: 9005, login: 'sloth', emails: [{ email: 'sloth@example.com', primary: true, verified: true }], quirk: 'neverAnswers' },
    ] },
    facebook: { clientId: 'fb-app', clientSecret: 'fb-app-secret', people: [
      { id: '10158001', name: 'Fay Book', email: 'fay@example.com' },
    ] },
    apple: { clientId: 'com.example.authority', teamId: 'TEAM123456', keyId: 'KEY1234567',
      teamPublicKey: team.publicKey.export({ format: 'pem', type: 'spki' }), people: [
        { sub: '001234.ada', email: 'x7ada@privaterelay.appleid.com', firstName: 'Ada', lastName: 'Apple' },
        { sub: '001234.eve', email: 'eve@example.com', firstName: 'Eve', lastName: 'Elsewhere', quirk: 'wrongAudience' },
        { sub: '001234.sam', email: 'sam@example.com', firstName: 'Sam', lastName: 'Stranger', quirk: 'badSignature' },
      ] },
  });
  // EMAIL_VERIFICATION_REQUIRED off: the providers' own ways of (not) vouching for an
  // address are what these tests show; the default's refusal is in social-oidc.
  worker = await startWorker({ vars: { ADMIN_CLIENT_ID: 'admin-cli', ADMIN_CLIENT_SECRET, RATE_LIMIT_LOGIN_MAX: '100',
    EMAIL_VERIFICATION_REQUIRED: 'false', ADMIN_EMAIL: ROOT.email, ADMIN_PASSWORD: ROOT.password, DEMO_CLIENT_SECRET: DEMO_SECRET,
    GITHUB_OAUTH_ENABLED: 'true', GITHUB_CLIENT_ID: 'gh-client', GITHUB_CLIENT_SECRET: 'gh-secret',
    FACEBOOK_OAUTH_ENABLED: 'true', FACEBOOK_CLIENT_ID: 'fb-app', FACEBOOK_CLIENT_SECRET: 'fb-app-secret',
    APPLE_OAUTH_ENABLED: 'true', APPLE_CLIENT_ID: 'com.example.authority', APPLE_TEAM_ID: 'TEAM123456',
    APPLE_KEY_ID: 'KEY1234567', APPLE_PRIVATE_KEY: p8.trim().replaceAll('\n', '\\n'),
    SOCIAL_PROVIDER_BASE_URLS: JSON.stringify(fake.bases), SOCIAL_STORE_PROVIDER_TOKENS: 'true' } });
  app = await startApp();
  CALLBACK = app.callback;
  await pointDemoAppAt(worker, app);
  // Una has an account here under the address GitHub holds unverified.
  assert.equal((await admin('POST', '/api/users', { email: 'una@example.com', password: PASSWORD, email_verified: true })).status, 201);
  demo = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await worker?.stop();
  await fake?.close();
  await app?.close();
});

/** An app's /authorize here, "Continue with {provider}", the fake's "Continue as {who}",
 * this server's consent: the app's tokens (openid-client checks the ID token). */
async function appSignIn(provider, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(demo, { redirect_uri: CALLBACK, scope: 'openid email profile', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  await page.goto(url.href);
  await page.waitForURL(/\/signin\?request=/);
  await page.getByRole('link', { name: `Continue with ${provider}` }).click();
  await page.getByRole('button', { name: `Continue as ${who}` }).click();
  // Consent is asked the first time only.
  await page.waitForURL((u) => u.href.startsWith(CALLBACK) || /\/consent\?request=/.test(u.href));
  if (!page.url().startsWith(CALLBACK)) {
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(CALLBACK));
  }
  const tokens = await oidc.authorizationCodeGrant(demo, new URL(page.url()), { pkceCodeVerifier: verifier,
    expectedState: state, idTokenExpected: true });
  await context.close();
  return tokens.claims();
}

/** From /signin, "Continue with {provider}" and "Continue as {who}": the page it ends on. */
async function signInFromPage(provider, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByRole('link', { name: `Continue with ${provider}` }).click();
  await page.getByRole('button', { name: `Continue as ${who}` }).click();
  return { context, page };
}

const account = async (email) => (await worker.query(`SELECT u.id, u.name, u.email_verified, s.provider, s.tokens FROM users u LEFT JOIN social_identities s ON s.user_id = u.id WHERE u.email = '${email}'`));

test('GitHub: an app gets its code for a new person; the verified primary address from /user/emails', async () => {
  const claims = await appSignIn('GitHub', 'octo');
  assert.equal(claims.email, 'octo@example.com');
  assert.deepEqual(claims.amr, ['fed']);
  const [row] = await account('octo@example.com');
  assert.deepEqual([row.name, row.email_verified, row.provider], ['Octo Cat', 1, 'github']);
  // GitHub was asked for JSON with a User-Agent, the secret and the PKCE verifier.
  const exchange = fake.requests.find((r) => r.path === '/github/login/oauth/access_token');
  assert.match(exchange.headers.accept, /application\/json/);
  assert.ok(exchange.params.code_verifier);
  assert.ok(fake.requests.find((r) => r.path === '/github/user/emails').headers['user-agent']);
});

test('GitHub: an unverified primary address does not sign in to the account that has it', async () => {
  const { context, page } = await signInFromPage('GitHub', 'una');
  await page.getByText('An account with this email address exists').waitFor();
  const rows = await account('una@example.com');
  assert.deepEqual(rows.map((r) => r.provider), [null], 'nothing linked to Una');
  await context.close();
});

test('a forged state is refused and signs nobody in', async () => {
  const { context, page } = await signInFromPage('GitHub', 'mallory');
  await page.getByText('state mismatch').waitFor();
  assert.equal((await account('mallory@example.com')).length, 0);
  await context.close();
});

test('Facebook: an app gets its code; the address is not taken as verified', async () => {
  const claims = await appSignIn('Facebook', 'Fay Book');
  assert.equal(claims.email, 'fay@example.com');
  const [row] = await account('fay@example.com');
  assert.deepEqual([row.name, row.email_verified, row.provider], ['Fay Book', 0, 'facebook']);
  const me = fake.requests.find((r) => r.path === '/facebook/v23.0/me');
  assert.match(me.params.appsecret_proof, /^[0-9a-f]{64}$/);
});

test('Apple: a cross-site form_post brings the person back; the name comes on the first sign-in only', async () => {
  const claims = await appSignIn('Apple', 'Ada Apple');
  assert.equal(claims.email, 'x7ada@privaterelay.appleid.com');
  const answer = fake.requests.find((r) => r.path === '/apple/auth/token');
  assert.equal(answer.params.client_id, 'com.example.authority');
  let [row] = await account('x7ada@privaterelay.appleid.com');
  assert.deepEqual([row.name, row.email_verified, row.provider], ['Ada Apple', 1, 'apple']);
  // The second time Apple sends no name: the same account, its name kept.
  const again = await appSignIn('Apple', 'Ada Apple');
  assert.equal(again.sub, claims.sub);
  [row] = await account('x7ada@privaterelay.appleid.com');
  assert.equal(row.name, 'Ada Apple');
  // SOCIAL_STORE_PROVIDER_TOKENS: kept, sealed; Apple's tokens do not appear in the row.
  // (Looked for whole: a short prefix such as `r-` turns up in random base64url by chance.)
  const given = fake.issued.filter((t) => t.startsWith('apple-') || t.startsWith('r-'));
  assert.ok(given.length >= 4, 'two sign-ins, an access and a refresh token each');
  assert.ok(row.tokens, 'kept');
  for (const token of given) assert.ok(!row.tokens.includes(token), `${token} in ${row.tokens}`);
});

test("Apple: an ID token for another client or signed by another key is refused", async () => {
  for (const [who, why] of [['Eve Elsewhere', 'another client'], ['Sam Stranger', 'signature']]) {
    const { context, page } = await signInFromPage('Apple', who);
    await page.getByText(why).waitFor();
    await context.close();
  }
  assert.equal((await account('eve@example.com')).length, 0);
  assert.equal((await account('sam@example.com')).length, 0);
  const failed = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'social.login_failed'");
  assert.ok(failed[0].n >= 4, 'una, mallory, eve and sam were refused and audited');
});

test('admins see the providers with their user counts; kept tokens are for a super_admin only', async () => {
  const list = await admin('GET', '/api/providers');
  assert.equal(list.status, 200);
  const users = Object.fromEntries(list.body.data.map((p) => [p.name, p.users]));
  assert.deepEqual(users, { github: 1, facebook: 1, apple: 1 });
  const [ada] = await account('x7ada@privaterelay.appleid.com');
  const identities = await admin('GET', `/api/users/${ada.id}/identities`);
  assert.deepEqual(identities.body.data.map((i) => i.provider), ['apple']);
  // A service account with the admin scope is no super_admin.
  const tokens = await admin('GET', `/api/users/${ada.id}/identities/apple/tokens`);
  assert.equal(tokens.status, 403);
  assert.equal(tokens.body.error, 'super_admin_required');

  const context = await browser.newContext();
  const page = await context.newPage();
  await openConsole(page, `${worker.url}/admin/providers`, ROOT.email, ROOT.password, 'Sign-in providers');
  const table = page.getByRole('table', { name: 'Sign-in providers' });
  await table.getByRole('row').filter({ hasText: 'Sign in with Apple' }).filter({ hasText: '1' }).waitFor();
  await table.getByRole('row').filter({ hasText: 'GitHub OAuth' }).waitFor();
  await context.close();
});

test('trust finding: a provider call that redirects is not followed, and one that never answers is given up', async () => {
  const redirected = await signInFromPage('GitHub', 'rex');
  await redirected.page.getByRole('heading', { name: 'This sign-in link does not work' }).waitFor();
  assert.equal(fake.requests.filter((r) => r.path === '/github/stolen').length, 0, 'the redirect was not followed');
  assert.deepEqual(await account('rex@example.com'), [], 'no account from a refused answer');
  await redirected.context.close();
  // The provider would hold the call for a minute: the sign-in ends in the error page well
  // before this wait does (the worker's deadline is 10 s).
  const stalled = await signInFromPage('GitHub', 'sloth');
  await stalled.page.getByRole('heading', { name: 'This sign-in link does not work' }).waitFor({ timeout: 40_000 });
  assert.deepEqual(await account('sloth@example.com'), []);
  await stalled.context.close();
});

