// End-to-end: DPoP (RFC 9449) with openid-client as the relying party, its own DPoP
// support: a token bound to the client's key (`cnf.jkt`, checked with jose), UserInfo with
// a DPoP proof; the same token refused as Bearer; and proofs refused by name: replayed,
// for another URL or method, too old, HMAC-signed, carrying a private key. A proof at a
// refresh, a code exchange or client_credentials is spent in the grant's own batch (one
// round trip), and a replayed one changes nothing there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { basic, startWorker } from './harness.mjs';
import { parseServerTiming } from '../../bench/round-trips.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
let worker;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET,
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: 'demo-app', ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1], SERVER_TIMING: 'true' } });
});
after(async () => {
  await worker?.stop();
});

/** A DPoP proof signed with jose (`claims` override the defaults; `header` too). */
async function proof(keys, { claims = {}, header = {}, key = keys.privateKey } = {}) {
  const jwk = await exportJWK(keys.publicKey);
  return new SignJWT({ jti: randomUUID(), htm: 'POST', htu: `${worker.url}/token`, iat: Math.floor(Date.now() / 1000),
    ...claims }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header }).sign(key);
}

async function clientCredentials(dpop) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(...ADMIN),
    'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) }, body: 'grant_type=client_credentials' });
  return { status: res.status, body: await res.json(), challenge: res.headers.get('www-authenticate') };
}

test('RFC 9449: openid-client binds its tokens to its key and calls UserInfo with DPoP; the token is refused as Bearer', async () => {
  const config = await oidc.discovery(new URL(worker.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
    { execute: [oidc.allowInsecureRequests] });
  assert.deepEqual(config.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'RS256', 'EdDSA']);
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const DPoP = oidc.getDPoPHandle(config, keyPair);
  const tokens = await oidc.genericGrantRequest(config, 'password',
    { username: ADMIN_EMAIL, password: ADMIN_PASSWORD, scope: 'openid email' }, { DPoP });
  assert.equal(tokens.token_type, 'dpop');
  const thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  assert.equal(decodeJwt(tokens.access_token).cnf.jkt, thumbprint, 'cnf.jkt is the client key\'s thumbprint');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
  assert.equal(info.email, ADMIN_EMAIL);

  const asBearer = await fetch(`${worker.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate'), /^DPoP algs="ES256 RS256 EdDSA", error="invalid_dpop_proof"/);
  const seen = await fetch(`${worker.url}/token/introspect`, { method: 'POST', headers: { authorization: basic(...ADMIN),
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.access_token }) });
  assert.deepEqual((await seen.json()).cnf, { jkt: thumbprint }, 'RFC 9449 §6.2');
});

test('RFC 9449 §4.3: proofs replayed, for another URL or method, too old, HMAC-signed or with a private key are refused', async () => {
  const keys = await generateKeyPair('ES256', { extractable: true });
  const once = await proof(keys);
  const first = await clientCredentials(once);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.token_type, 'DPoP');
  const refusals = [
    ['replayed', once, /used before/],
    ['another URL', await proof(keys, { claims: { htu: `${worker.url}/userinfo` } }), /htu/],
    ['another method', await proof(keys, { claims: { htm: 'GET' } }), /htm/],
    ['too old', await proof(keys, { claims: { iat: Math.floor(Date.now() / 1000) - 3600 } }), /iat/],
    ['HMAC', await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: `${worker.url}/token`, iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: await exportJWK(keys.publicKey) })
      .sign(new TextEncoder().encode('a shared secret of 32 bytes or more!')), /HMAC/],
    ['a private key', await proof(keys, { header: { jwk: await exportJWK(keys.privateKey) } }), /private key/],
  ];
  for (const [why, dpop, says] of refusals) {
    const res = await clientCredentials(dpop);
    assert.deepEqual([res.status, res.body.error], [400, 'invalid_dpop_proof'], why);
    assert.match(res.body.error_description, says, why);
  }
});

test('RFC 9449 §7: a DPoP-bound admin token works at the admin API only with a proof of its key', async () => {
  const keys = await generateKeyPair('ES256', { extractable: true });
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(...ADMIN),
    'content-type': 'application/x-www-form-urlencoded', dpop: await proof(keys) },
  body: 'grant_type=client_credentials&scope=admin' });
  const { access_token: token } = await res.json();
  const url = `${worker.url}/api/users?limit=1`;
  const asBearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(asBearer.status, 401, 'a stolen bound token is useless as Bearer');
  const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString('base64url');
  const withProof = await fetch(url, { headers: { authorization: `DPoP ${token}`,
    dpop: await proof(keys, { claims: { htm: 'GET', htu: url, ath } }) } });
  assert.equal(withProof.status, 200, await withProof.clone().text());
  const other = await generateKeyPair('ES256', { extractable: true });
  const wrongKey = await fetch(url, { headers: { authorization: `DPoP ${token}`,
    dpop: await proof(other, { claims: { htm: 'GET', htu: url, ath } }) } });
  assert.equal(wrongKey.status, 401);
  assert.equal((await wrongKey.json()).error, 'invalid_dpop_proof');
});

test('RFC 9449 §8: with DPOP_NONCES a proof without the nonce gets use_dpop_nonce and DPoP-Nonce; the retry with it succeeds; openid-client does it itself', async () => {
  const strict = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET,
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: 'demo-app', ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1], DPOP_NONCES: 'true' } });
  try {
    const keys = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(keys.publicKey);
    const sign = (extra = {}) => new SignJWT({ jti: randomUUID(), htm: 'POST', htu: `${strict.url}/token`,
      iat: Math.floor(Date.now() / 1000), ...extra }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(keys.privateKey);
    const post = async (dpop) => fetch(`${strict.url}/token`, { method: 'POST', headers: { authorization: basic(...ADMIN),
      'content-type': 'application/x-www-form-urlencoded', dpop }, body: 'grant_type=client_credentials' });
    const first = await post(await sign());
    assert.equal(first.status, 400);
    assert.equal((await first.json()).error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'the answer carries the nonce to use');
    const retry = await post(await sign({ nonce }));
    assert.equal(retry.status, 200, 'the retry with the nonce');
    assert.equal((await retry.json()).token_type, 'DPoP');

    const config = await oidc.discovery(new URL(strict.url), 'demo-app', undefined, oidc.ClientSecretBasic(DEMO_SECRET),
      { execute: [oidc.allowInsecureRequests] });
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const grant = () => oidc.genericGrantRequest(config, 'password',
      { username: ADMIN_EMAIL, password: ADMIN_PASSWORD, scope: 'openid email' }, { DPoP });
    // openid-client retries a use_dpop_nonce once, with the nonce it was given (RFC 9449 §8).
    const tokens = await grant();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
    assert.equal(info.email, ADMIN_EMAIL);
  } finally {
    await strict.stop();
  }
});

test('RFC 9449 §5.2: a client registered with dpop_bound_access_tokens gets no token without a proof', async () => {
  const admin = await (await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(...ADMIN),
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' })).json();
  const res = await fetch(`${worker.url}/register`, { method: 'POST', headers: { authorization: `Bearer ${admin.access_token}`,
    'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Bound service', grant_types: ['client_credentials'],
    scope: '', dpop_bound_access_tokens: true }) });
  const client = await res.json();
  assert.equal(client.dpop_bound_access_tokens, true, JSON.stringify(client));
  const post = async (dpop) => fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: basic(client.client_id, client.client_secret), 'content-type': 'application/x-www-form-urlencoded',
    ...(dpop ? { dpop } : {}) }, body: 'grant_type=client_credentials' });
  const plain = await post();
  assert.equal(plain.status, 400);
  assert.equal((await plain.json()).error, 'invalid_dpop_proof');
  const keys = await generateKeyPair('ES256', { extractable: true });
  const bound = await post(await proof(keys));
  assert.equal(bound.status, 200);
  assert.equal((await bound.json()).token_type, 'DPoP');
});

test('RFC 9449 §11.1 in one trip: the proof is spent in the grant\'s batch; a replayed proof at a refresh rotates nothing', async () => {
  const keys = await generateKeyPair('ES256', { extractable: true });
  const token = async (body, dpop) => {
    const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic('demo-app', DEMO_SECRET),
      'content-type': 'application/x-www-form-urlencoded', dpop }, body: new URLSearchParams(body) });
    return { res, body: await res.json(), depth: parseServerTiming(res.headers.get('server-timing')).depth };
  };
  const login = await token({ grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD,
    scope: 'openid offline_access' }, await proof(keys));
  assert.equal(login.res.status, 200, JSON.stringify(login.body));
  const used = await proof(keys);
  const first = await token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token }, used);
  assert.equal(first.res.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.token_type, 'DPoP');
  assert.equal(first.depth, 1, 'the proof spent in the batch that rotates');
  const successor = first.body.refresh_token;
  const replay = await token({ grant_type: 'refresh_token', refresh_token: successor }, used);
  assert.deepEqual([replay.res.status, replay.body.error], [400, 'invalid_dpop_proof']);
  assert.match(replay.body.error_description, /used before/);
  const [row] = await worker.query('SELECT rotated_at FROM refresh_tokens WHERE token_hash = ?1',
    createHash('sha256').update(successor).digest('base64url'));
  assert.equal(row.rotated_at, null, 'the replayed proof rotated nothing');
  const next = await token({ grant_type: 'refresh_token', refresh_token: successor }, await proof(keys));
  assert.equal(next.res.status, 200, JSON.stringify(next.body));
  assert.equal(next.depth, 1);

  await clientCredentials(await proof(keys)); // the isolate's signing key for this grant, cached
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(...ADMIN),
    'content-type': 'application/x-www-form-urlencoded', dpop: await proof(keys) }, body: 'grant_type=client_credentials' });
  assert.equal(res.status, 200);
  assert.equal(parseServerTiming(res.headers.get('server-timing')).depth, 1, res.headers.get('server-timing'));
});
