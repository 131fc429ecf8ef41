// End-to-end: protected resources and RFC 8707 resource indicators. An admin registers a
// resource through /api/resources; client_credentials, the code flow (/authorize with a
// live session, then /token) and the refresh grant name it with `resource`; the access
// token's `aud` is the resource, checked with jose against the JWKS as a resource server
// would; unknown and forbidden resources are `invalid_target`; a refresh narrows to one
// of the grant's resources and no other. Also RFC 8414 metadata at the OAuth well-known URI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { adminApi, basic, launchChromium, openConsole, startWorker } from './harness.mjs';
import { parseServerTiming } from '../../bench/round-trips.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const CALLBACK = 'http://127.0.0.1:3000/callback';
const CALENDAR = 'https://calendar.example.com/';
const FILES = 'https://files.example.com/mcp';
const VERIFIER = randomBytes(32).toString('base64url');
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
let worker;
let admin;

before(async () => {
  worker = await startWorker({
    vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET, SERVER_TIMING: 'true',
      ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1] },
  });
  admin = adminApi(worker, ...ADMIN);
  for (const [identifier, name, scopes] of [[CALENDAR, 'Calendar', ['openid', 'email', 'offline_access']],
    [FILES, 'Files (MCP)', ['email']]]) {
    const made = await admin('POST', '/api/resources', { identifier, name, scopes, access_token_ttl: 900 });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
});
after(async () => {
  await worker?.stop();
});

const cookiesOf = (res) => res.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => !c.endsWith('='));
// Sequential D1 calls (the rate limiter's periodic KV merge, docs/benchmark.md, is not the resource's).
const d1Calls = (res) => parseServerTiming(res.headers.get('server-timing')).d1;

async function token(body, client = ['demo-app', DEMO_SECRET]) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', body: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(...client) } });
  return { res, body: await res.json() };
}

/** What a resource server does with a token: the signature by the JWKS, iss, aud, exp. */
async function acceptedBy(resource, accessToken) {
  const jwks = createRemoteJWKSet(new URL(`${worker.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(accessToken, jwks, { issuer: worker.url, audience: resource,
    typ: 'at+jwt' });
  return payload;
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
  return { cookie: cookiesOf(res).join('; '), csrf: (await res.json()).csrf_token };
}

function authorizeUrl(resources, extra = {}) {
  const query = new URLSearchParams({ client_id: 'demo-app', response_type: 'code', redirect_uri: CALLBACK,
    scope: 'openid email offline_access', state: 's', nonce: 'n', code_challenge: CHALLENGE,
    code_challenge_method: 'S256', ...extra });
  for (const r of resources) query.append('resource', r);
  return `${worker.url}/authorize?${query}`;
}

test('RFC 8414 §3: the authorization server metadata is the OpenID discovery document', async () => {
  const oauth = await (await fetch(`${worker.url}/.well-known/oauth-authorization-server`)).json();
  const oidc = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.equal(oauth.issuer, worker.url);
  assert.deepEqual(oauth.code_challenge_methods_supported, ['S256']);
  assert.equal(oauth.token_endpoint, oidc.token_endpoint);
  assert.equal(oauth.authorization_response_iss_parameter_supported, true, 'RFC 9207');
  // §3.1: the path-insertion form exists only for an issuer that has that path.
  const other = await fetch(`${worker.url}/.well-known/oauth-authorization-server/tenant`);
  assert.equal(other.status, 404);
});

test('RFC 8707 §2: client_credentials for a resource; its aud, scope and lifetime; a resource server accepts it', async () => {
  const plain = await token({ grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  assert.equal(plain.res.status, 200);
  const cc = await token({ grant_type: 'client_credentials', resource: CALENDAR }, ADMIN);
  assert.equal(cc.res.status, 200, JSON.stringify(cc.body));
  assert.equal(cc.body.expires_in, 900, "the resource's lifetime");
  assert.equal(cc.body.scope, '', 'admin is not a scope the calendar accepts');
  assert.equal(d1Calls(cc.res), 1, 'the resource is read with the client');
  const claims = await acceptedBy(CALENDAR, cc.body.access_token);
  assert.equal(claims.client_id, ADMIN[0]);
  await assert.rejects(acceptedBy(FILES, cc.body.access_token), /aud/, 'another resource refuses it');
  // Introspection tells a resource server the audience.
  const seen = await fetch(`${worker.url}/token/introspect`, { method: 'POST',
    headers: { authorization: basic(...ADMIN), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: cc.body.access_token }).toString() });
  assert.equal((await seen.json()).aud, CALENDAR);
});

test('RFC 8707 §2: unknown, malformed and forbidden resources are invalid_target', async () => {
  for (const resource of ['https://nowhere.example.com/', 'calendar', 'https://calendar.example.com/#x']) {
    const res = await token({ grant_type: 'client_credentials', resource }, ADMIN);
    assert.equal(res.res.status, 400);
    assert.equal(res.body.error, 'invalid_target', resource);
  }
  // The admin limits the client to the calendar: the files resource becomes forbidden to it.
  await worker.query(`UPDATE clients SET allowed_resources = ?1 WHERE client_id = ?2`, JSON.stringify([CALENDAR]), ADMIN[0]);
  const forbidden = await token({ grant_type: 'client_credentials', resource: FILES }, ADMIN);
  assert.equal(forbidden.body.error, 'invalid_target');
  assert.match(forbidden.body.error_description, /may not ask/);
  assert.equal((await token({ grant_type: 'client_credentials', resource: CALENDAR }, ADMIN)).res.status, 200);
  await worker.query(`UPDATE clients SET allowed_resources = '[]' WHERE client_id = ?1`, ADMIN[0]);
  // A resource a client's list names is not deleted.
  const listed = await admin('GET', '/api/resources');
  assert.equal(listed.body.total, 2);
});

test('RFC 8707: the code flow names two resources; the exchange and each refresh narrow to one of them', async () => {
  const { cookie, csrf } = await signIn();
  const toConsent = await fetch(authorizeUrl([CALENDAR, FILES]), { headers: { cookie }, redirect: 'manual' });
  const location = new URL(toConsent.headers.get('location'), worker.url);
  assert.equal(location.pathname, '/consent');
  // The consent screen names the services the app will reach.
  const details = await fetch(`${worker.url}/api/authorize?request=${location.searchParams.get('request')}`,
    { headers: { cookie } });
  const shown = await details.json();
  assert.deepEqual(shown.resources?.map((r) => r.name).sort(), ['Calendar', 'Files (MCP)'], JSON.stringify(shown));
  const consent = await fetch(`${worker.url}/api/consent`, { method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
    body: JSON.stringify({ request: location.searchParams.get('request'), allow: true }) });
  assert.equal(consent.status, 200, await consent.text());
  const authorized = await fetch(authorizeUrl([CALENDAR, FILES]), { headers: { cookie }, redirect: 'manual' });
  assert.ok(d1Calls(authorized) <= 2, authorized.headers.get('server-timing'));
  const code = new URL(authorized.headers.get('location')).searchParams.get('code');
  assert.ok(code, authorized.headers.get('location'));

  const exchange = await token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK,
    code_verifier: VERIFIER, resource: FILES });
  assert.equal(exchange.res.status, 200, JSON.stringify(exchange.body));
  assert.ok(d1Calls(exchange.res) <= 2, exchange.res.headers.get('server-timing'));
  assert.equal(exchange.body.scope, 'email', 'the granted scope within what the files resource accepts');
  await acceptedBy(FILES, exchange.body.access_token);
  const idToken = JSON.parse(Buffer.from(exchange.body.id_token.split('.')[1], 'base64url'));
  assert.equal(idToken.aud, 'demo-app', 'the ID token is the client\'s');

  const toCalendar = await token({ grant_type: 'refresh_token', refresh_token: exchange.body.refresh_token,
    resource: CALENDAR });
  assert.equal(toCalendar.res.status, 200, JSON.stringify(toCalendar.body));
  assert.ok(d1Calls(toCalendar.res) <= 2, toCalendar.res.headers.get('server-timing'));
  const calendarClaims = await acceptedBy(CALENDAR, toCalendar.body.access_token);
  assert.equal(calendarClaims.scope, 'openid email offline_access');
  const both = await token({ grant_type: 'refresh_token', refresh_token: toCalendar.body.refresh_token });
  assert.deepEqual((await acceptedBy(FILES, both.body.access_token)).aud, [CALENDAR, FILES]);
  const elsewhere = await token({ grant_type: 'refresh_token', refresh_token: both.body.refresh_token,
    resource: 'https://nowhere.example.com/' });
  assert.equal(elsewhere.body.error, 'invalid_target');
});

test('RFC 8707 at /authorize: an unknown resource goes back to the app as invalid_target with iss', async () => {
  const { cookie } = await signIn();
  const res = await fetch(authorizeUrl(['https://nowhere.example.com/']), { headers: { cookie }, redirect: 'manual' });
  const back = new URL(res.headers.get('location'));
  assert.equal(back.origin + back.pathname, CALLBACK);
  assert.equal(back.searchParams.get('error'), 'invalid_target');
  assert.equal(back.searchParams.get('iss'), worker.url, 'RFC 9207: errors carry iss too');
  assert.equal(back.searchParams.get('state'), 's');
});

test('the console registers a resource; a client limited to it; Chromium\'s consent screen names it', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await openConsole(page, `${worker.url}/admin/resources`, ADMIN_EMAIL, ADMIN_PASSWORD, 'Resources');
    // Live validation from shared::resources: an identifier is an absolute URI.
    await page.getByLabel("Identifier (the tokens' aud)").fill('tasks');
    await page.getByLabel('Name shown on the consent screen').fill('Tasks');
    await page.getByRole('alert').filter({ hasText: 'absolute URI' }).waitFor();
    await page.getByLabel("Identifier (the tokens' aud)").fill('https://tasks.example.com/');
    await page.getByLabel('Scopes its tokens may carry (space-separated)').fill('openid');
    await page.getByRole('button', { name: 'Create resource' }).click();
    await page.getByText('Tasks is saved.').waitFor({ timeout: 15_000 });
    await page.getByRole('row').filter({ hasText: 'https://tasks.example.com/' }).waitFor();

    const APP = 'https://tasks-app.example/cb';
    const bad = await admin('POST', '/register', { client_name: 'Tasks app', redirect_uris: [APP],
      allowed_resources: ['tasks'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_client_metadata');
    const app = await admin('POST', '/register', { client_name: 'Tasks app', redirect_uris: [APP],
      scope: 'openid', allowed_resources: ['https://tasks.example.com/'] });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    assert.deepEqual(app.body.allowed_resources, ['https://tasks.example.com/']);
    const authorize = new URL(`${worker.url}/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: app.body.client_id, redirect_uri: APP,
      scope: 'openid', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256',
      resource: 'https://tasks.example.com/' })) {
      authorize.searchParams.set(k, v);
    }
    const forbidden = new URL(authorize);
    forbidden.searchParams.set('resource', CALENDAR);
    const refused = await fetch(forbidden, { redirect: 'manual' });
    assert.equal(new URL(refused.headers.get('location')).searchParams.get('error'), 'invalid_target');
    await page.goto(authorize.href);
    await page.waitForURL(/\/consent\?request=/, { timeout: 15_000 });
    await page.getByRole('listitem').filter({ hasText: 'https://tasks.example.com/' }).getByText('Tasks', { exact: true }).waitFor();
    const landed = page.waitForRequest((r) => r.url().startsWith(APP), { timeout: 15_000 });
    await page.getByRole('button', { name: 'Allow' }).click();
    const code = new URL((await landed).url()).searchParams.get('code');
    const tokens = await token({ grant_type: 'authorization_code', code, redirect_uri: APP, code_verifier: VERIFIER },
      [app.body.client_id, app.body.client_secret]);
    assert.equal(tokens.res.status, 200, JSON.stringify(tokens.body));
    await acceptedBy('https://tasks.example.com/', tokens.body.access_token);
  } finally {
    await browser.close();
  }
});
