// End-to-end: JWT client authentication (`private_key_jwt` and `client_secret_jwt`, RFC
// 7523 §2.2, OIDC Core §9).
// A client registers its public key (inline `jwks`, or a `jwks_uri` served on a local
// port); openid-client's `PrivateKeyJwt` and assertions signed with jose authenticate it
// at the token and introspection endpoints; a replayed `jti`, a foreign key, a long-lived
// assertion and a wrong `aud` are refused with `invalid_client`; discovery lists it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { adminApi, basic, freePort, startWorker } from './harness.mjs';

const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
let worker;
let admin;
let keys;
let jwksServer;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1] } });
  admin = adminApi(worker, ...ADMIN);
  keys = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };
  const port = await freePort();
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ keys: [jwk] })));
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  jwksServer = { url: `http://127.0.0.1:${port}/jwks.json`, close: () => new Promise((r) => server.close(r)), jwk };
});
after(async () => {
  await jwksServer?.close();
  await worker?.stop();
});

async function register(extra) {
  const res = await admin('POST', '/register', { client_name: 'Key client', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt', scope: '', ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.client_secret, undefined, 'a private_key_jwt client gets no secret');
  return res.body.client_id;
}

async function signed(clientId, { aud = `${worker.url}/token`, expiresIn = 60, jti = randomUUID(), key = keys.privateKey } = {}) {
  return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(clientId).setSubject(clientId)
    .setAudience(aud).setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn).setJti(jti)
    .sign(key);
}

async function post(path, body) {
  const res = await fetch(`${worker.url}${path}`, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
  return { status: res.status, body: await res.json().catch(() => null) };
}

test('discovery lists private_key_jwt and its algorithms (RFC 8414 §2)', async () => {
  const metadata = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.ok(metadata.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  assert.deepEqual(metadata.token_endpoint_auth_signing_alg_values_supported, ['RS256', 'ES256', 'EdDSA', 'HS256']);
  assert.ok(metadata.token_endpoint_auth_methods_supported.includes('client_secret_jwt'));
  assert.ok(metadata.introspection_endpoint_auth_methods_supported.includes('private_key_jwt'));
});

test('RFC 7523 §2.2: openid-client\'s PrivateKeyJwt gets a token; a jose assertion works once', async () => {
  const clientId = await register({ jwks: { keys: [jwksServer.jwk] } });
  const config = await oidc.discovery(new URL(worker.url), clientId, undefined,
    oidc.PrivateKeyJwt({ key: keys.privateKey, kid: 'k1' }), { execute: [oidc.allowInsecureRequests] });
  const tokens = await oidc.clientCredentialsGrant(config);
  assert.ok(tokens.access_token);

  const assertion = await signed(clientId);
  const form = { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion };
  assert.equal((await post('/token', form)).status, 200);
  const replay = await post('/token', form);
  assert.deepEqual([replay.status, replay.body.error], [401, 'invalid_client'], 'RFC 7523 §3 item 7: a jti works once');
  // The same kind of assertion authenticates at introspection (a confidential client).
  const seen = await post('/token/introspect', { token: tokens.access_token, client_assertion_type: ASSERTION_TYPE,
    client_assertion: await signed(clientId, { aud: worker.url }) });
  assert.equal(seen.status, 200);
  assert.equal(seen.body.active, true);
});

test('RFC 7523 §3: a foreign key, a wrong aud, a long-lived or expired assertion are invalid_client', async () => {
  const clientId = await register({ jwks: { keys: [jwksServer.jwk] } });
  const other = await generateKeyPair('ES256', { extractable: true });
  for (const [why, options] of [['foreign key', { key: other.privateKey }], ['wrong aud', { aud: 'https://elsewhere.example/token' }],
    ['an hour long', { expiresIn: 3600 }], ['expired', { expiresIn: -300 }]]) {
    const res = await post('/token', { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE,
      client_assertion: await signed(clientId, options) });
    assert.deepEqual([res.status, res.body.error], [401, 'invalid_client'], why);
    assert.equal(res.body.error_description, 'client authentication failed', `${why}: the reason is not told`);
  }
  // Registration refuses a private key where the public one belongs.
  const leaked = await admin('POST', '/register', { client_name: 'Leaky', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(other.privateKey)] } });
  assert.deepEqual([leaked.status, leaked.body.error], [400, 'invalid_client_metadata']);
  assert.match(leaked.body.error_description, /public keys only/);
});

test('RFC 7591 §2: the keys can live at the client\'s jwks_uri', async () => {
  const clientId = await register({ jwks_uri: jwksServer.url });
  const res = await post('/token', { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE,
    client_assertion: await signed(clientId) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

test('OIDC Core §9: client_secret_jwt, an HS256 MAC with the client\'s secret, through openid-client and jose', async () => {
  const res = await admin('POST', '/register', { client_name: 'MAC client', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_jwt', scope: '' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const { client_id: clientId, client_secret: secret } = res.body;
  assert.ok(secret, 'a client_secret_jwt client gets a secret, shown once');
  const config = await oidc.discovery(new URL(worker.url), clientId, undefined, oidc.ClientSecretJwt(secret),
    { execute: [oidc.allowInsecureRequests] });
  assert.ok((await oidc.clientCredentialsGrant(config)).access_token);
  const mac = (key, jti = randomUUID()) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(clientId)
    .setSubject(clientId).setAudience(worker.url).setIssuedAt().setExpirationTime('1m').setJti(jti)
    .sign(new TextEncoder().encode(key));
  const good = await post('/token', { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE,
    client_assertion: await mac(secret) });
  assert.equal(good.status, 200);
  const wrong = await post('/token', { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE,
    client_assertion: await mac('not-the-secret') });
  assert.deepEqual([wrong.status, wrong.body.error], [401, 'invalid_client']);
  // The secret in the clear (Basic) is not this client's method.
  const basicAuth = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(clientId, secret),
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  assert.equal(basicAuth.status, 401);
  // The secret is kept sealed for the MAC; every other method's only as a hash.
  const [row] = await worker.query('SELECT secret_sealed FROM client_secrets WHERE client_id = ?1', clientId);
  assert.ok(row.secret_sealed && !row.secret_sealed.includes(secret));
  const [basicRow] = await worker.query("SELECT secret_sealed FROM client_secrets WHERE client_id = 'e2e-admin-cli'");
  assert.equal(basicRow.secret_sealed, null);
});
