// End-to-end: the token endpoint in workerd with fresh D1/KV, the bootstrap clients from
// secrets, and access tokens checked by an independent library (jose) against the JWKS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startWorker } from './harness.mjs';

const ADMIN_ID = 'admin-cli';
const ADMIN_SECRET = 'e2e-admin-secret-0123456789abcdef0123456789';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
let worker;

before(async () => {
  worker = await startWorker({
    vars: { ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET, DEMO_CLIENT_SECRET: DEMO_SECRET },
  });
});
after(async () => {
  await worker?.stop();
});

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

function tokenRequest(body, { authorization, contentType = FORM, method = 'POST', path = '/token' } = {}) {
  const headers = {};
  if (contentType) headers['content-type'] = contentType;
  if (authorization) headers.authorization = authorization;
  return fetch(`${worker.url}${path}`, { method, headers, body: method === 'POST' ? body : undefined });
}

async function expectError(res, status, error) {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const body = await res.json();
  assert.equal(body.error, error, JSON.stringify(body));
  assert.equal(typeof body.error_description, 'string');
  return res;
}

test('RFC 6749 §4.4: client_credentials gives an RFC 9068 JWT that verifies with the JWKS', async () => {
  const res = await tokenRequest('grant_type=client_credentials&scope=admin', { authorization: basic(ADMIN_ID, ADMIN_SECRET) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
  const body = await res.json();
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 3600);
  assert.equal(body.scope, 'admin');
  assert.equal(body.refresh_token, undefined);
  const metadata = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
    issuer: worker.url,
    audience: ADMIN_ID,
    typ: 'at+jwt',
    algorithms: ['RS256'],
    requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'scope'],
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.ok(protectedHeader.kid);
  assert.equal(payload.sub, ADMIN_ID);
  assert.equal(payload.client_id, ADMIN_ID);
  assert.equal(payload.scope, 'admin');
  assert.equal(payload.exp - payload.iat, 3600);
});

test('omitted scope: the client\'s scopes; client_secret_post with the demo client is refused (registered basic)', async () => {
  const res = await tokenRequest('grant_type=client_credentials', { authorization: basic(ADMIN_ID, ADMIN_SECRET) });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).scope, 'admin');
  const demo = await tokenRequest('grant_type=client_credentials', { authorization: basic('demo-app', DEMO_SECRET) });
  assert.equal(demo.status, 200);
  const post = await tokenRequest(`grant_type=client_credentials&client_id=demo-app&client_secret=${DEMO_SECRET}`);
  await expectError(post, 401, 'invalid_client');
  assert.equal(post.headers.get('www-authenticate'), null, 'no Basic challenge when Basic was not tried');
});

test('RFC 6749 §5.2: a wrong secret is 401 invalid_client with WWW-Authenticate: Basic', async () => {
  const res = await tokenRequest('grant_type=client_credentials', { authorization: basic(ADMIN_ID, 'wrong-secret') });
  await expectError(res, 401, 'invalid_client');
  assert.match(res.headers.get('www-authenticate'), /^Basic /);
  const unknown = await tokenRequest('grant_type=client_credentials', { authorization: basic('nobody', ADMIN_SECRET) });
  await expectError(unknown, 401, 'invalid_client');
});

test('bad input gets the RFC error and status, never a 500', async () => {
  const auth = basic(ADMIN_ID, ADMIN_SECRET);
  const get = await tokenRequest(null, { method: 'GET' });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST, OPTIONS', 'OPTIONS: the CORS preflight');
  await expectError(await tokenRequest('{"grant_type":"client_credentials"}', { authorization: auth, contentType: 'application/json' }), 400, 'invalid_request');
  await expectError(await tokenRequest('grant_type=client_credentials', { authorization: auth, contentType: null }), 400, 'invalid_request');
  await expectError(await tokenRequest('grant_type=client_credentials&grant_type=client_credentials', { authorization: auth }), 400, 'invalid_request');
  await expectError(await tokenRequest('scope=admin', { authorization: auth }), 400, 'invalid_request');
  await expectError(await tokenRequest('grant_type=urn%3Aexample%3Amagic', { authorization: auth }), 400, 'unsupported_grant_type');
  await expectError(await tokenRequest('grant_type=client_credentials&scope=%FF%FE', { authorization: auth }), 400, 'invalid_request');
  await expectError(await tokenRequest('grant_type=client_credentials&scope=openid', { authorization: auth }), 400, 'invalid_scope');
  await expectError(await tokenRequest('grant_type=client_credentials&scope=superuser', { authorization: auth }), 400, 'invalid_scope');
  await expectError(await tokenRequest(`grant_type=client_credentials&pad=${'x'.repeat(70_000)}`, { authorization: auth }), 413, 'invalid_request');
  for (const header of ['Basic', 'Basic !!!!', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
    const res = await tokenRequest('grant_type=client_credentials', { authorization: header });
    await expectError(res, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate'), /^Basic /, header);
  }
  await expectError(await tokenRequest(`grant_type=client_credentials&client_secret=${ADMIN_SECRET}`, { authorization: auth }), 400, 'invalid_request');
  await expectError(await tokenRequest('grant_type=client_credentials'), 401, 'invalid_client');
});

async function adminToken() {
  const res = await tokenRequest('grant_type=client_credentials', { authorization: basic(ADMIN_ID, ADMIN_SECRET) });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

const introspect = (token, authorization = basic(ADMIN_ID, ADMIN_SECRET), path = '/token/introspect') =>
  tokenRequest(`token=${encodeURIComponent(token)}`, { authorization, path });

test('RFC 7662: introspection describes a live token, and says only active:false otherwise', async () => {
  const token = await adminToken();
  const res = await introspect(token);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.active, true);
  assert.equal(body.client_id, ADMIN_ID);
  assert.equal(body.scope, 'admin');
  assert.equal(body.sub, ADMIN_ID);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.exp - body.iat, 3600);
  // The alias (docs/api.md) answers the same.
  assert.equal((await (await introspect(token, undefined, '/oauth/introspect')).json()).active, true);
  // Another client learns nothing about it (RFC 7662 §4: no token scanning), unless it is
  // registered as a resource server (the `introspection` scope) or holds `admin`.
  assert.deepEqual(await (await introspect(token, basic('demo-app', DEMO_SECRET))).json(), { active: false });
  for (const garbage of ['nope', 'a.b.c', token.slice(0, -4) + 'AAAA', `${token}x`]) {
    const r = await introspect(garbage);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { active: false }, garbage);
  }
  await expectError(await introspect(token, basic(ADMIN_ID, 'wrong-secret')), 401, 'invalid_client');
  await expectError(await tokenRequest('', { authorization: basic(ADMIN_ID, ADMIN_SECRET), path: '/token/introspect' }), 400, 'invalid_request');
});

test('RFC 7009: a revoked access token introspects as inactive; unknown tokens revoke with 200', async () => {
  const token = await adminToken();
  const other = await adminToken();
  const revoke = (t, authorization = basic(ADMIN_ID, ADMIN_SECRET), path = '/token/revoke') =>
    tokenRequest(`token=${encodeURIComponent(t)}&token_type_hint=access_token`, { authorization, path });
  // Only the client the token was issued to may revoke it.
  await expectError(await revoke(token, basic('demo-app', DEMO_SECRET)), 400, 'unauthorized_client');
  assert.equal((await (await introspect(token)).json()).active, true);
  const res = await revoke(token);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await (await introspect(token)).json(), { active: false });
  assert.equal((await (await introspect(other)).json()).active, true, 'other tokens stay live');
  assert.equal((await revoke('not-a-token-at-all')).status, 200);
  assert.equal((await revoke(other, undefined, '/oauth/revoke')).status, 200);
  assert.deepEqual(await (await introspect(other)).json(), { active: false });
  await expectError(await revoke(token, basic(ADMIN_ID, 'wrong-secret')), 401, 'invalid_client');
});
