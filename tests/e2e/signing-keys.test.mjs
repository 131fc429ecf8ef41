// End-to-end: algorithm agility and key rotation as resource servers and apps see them.
// The worker signs access tokens with SIGNING_ALG=ES256; three clients registered for
// RS256, ES256 and EdDSA ID tokens get them; jose (an independent, widely used library)
// verifies every token against the JWKS, as a resource server would. Discovery lists
// exactly the algorithms. A super_admin's rotation publishes new keys at once while the
// old ones keep signing and verifying (the timing to activation and retirement is pinned
// by the native tests with a test clock).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as jose from 'jose';
import { startWorker, insertClient } from './harness.mjs';

const ADMIN_ID = 'admin-cli';
const ADMIN_SECRET = 'e2e-admin-client-secret-0123456789abcdef';
const ROOT = { email: 'root@example.com', password: 'e2e-admin-password-0123' };
const SECRET = 'e2e-client-secret-0123456789abcdef0123456789';
const CLIENTS = { 'app-rs256': 'RS256', 'app-es256': 'ES256', 'app-eddsa': 'EdDSA' };
let worker;
let jwks;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT.email, ADMIN_PASSWORD: ROOT.password,
    ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET, SIGNING_ALG: 'ES256', SERVER_TIMING: 'true',
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: Object.keys(CLIENTS).join(','),
    RATE_LIMIT_LOGIN_MAX: '100' } });
  await fetch(`${worker.url}/.well-known/openid-configuration`).then((r) => r.arrayBuffer());
  for (const [id, alg] of Object.entries(CLIENTS)) {
    // RS256 is the default: that client registers nothing.
    await insertClient(worker, { id, secret: SECRET, scopes: ['openid', 'email', 'admin'],
      idTokenAlg: alg === 'RS256' ? null : alg });
  }
  jwks = jose.createRemoteJWKSet(new URL(`${worker.url}/.well-known/jwks.json`));
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

async function passwordGrant(clientId, scope = 'openid email') {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'password', username: ROOT.email, password: ROOT.password, scope }) });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

test('discovery lists exactly the ID token algorithms; the JWKS has a key for each', async () => {
  const discovery = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256', 'ES256', 'EdDSA']);
  const set = await (await fetch(`${worker.url}/.well-known/jwks.json`)).json();
  const kinds = set.keys.map((k) => `${k.alg}/${k.kty}/${k.crv ?? ''}`).sort();
  assert.deepEqual(kinds, ['ES256/EC/P-256', 'EdDSA/OKP/Ed25519', 'RS256/RSA/']);
  for (const key of set.keys) {
    assert.equal(key.kid, await jose.calculateJwkThumbprint(key), 'the kid is the RFC 7638 thumbprint');
    assert.ok(!('d' in key), 'no private member');
  }
});

test("jose verifies ES256 access tokens (SIGNING_ALG) and each client's ID tokens in its algorithm", async () => {
  for (const [clientId, alg] of Object.entries(CLIENTS)) {
    const tokens = await passwordGrant(clientId);
    const access = await jose.jwtVerify(tokens.access_token, jwks, { issuer: worker.url, typ: 'at+jwt' });
    assert.equal(access.protectedHeader.alg, 'ES256');
    assert.equal(access.payload.client_id, clientId);
    const id = await jose.jwtVerify(tokens.id_token, jwks, { issuer: worker.url, audience: clientId });
    assert.equal(id.protectedHeader.alg, alg, clientId);
    assert.equal(id.payload.email, ROOT.email);
    // OIDC Core §3.1.3.6: at_hash with the hash of the ID token's algorithm (SHA-512 for Ed25519).
    const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(tokens.access_token).digest();
    assert.equal(id.payload.at_hash, digest.subarray(0, digest.length / 2).toString('base64url'));
  }
  // Introspection knows every algorithm's tokens too.
  const { access_token } = await passwordGrant('app-eddsa');
  const res = await fetch(`${worker.url}/oauth/introspect`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`app-eddsa:${SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: `token=${access_token}` });
  assert.equal((await res.json()).active, true);
});

test('a rotation publishes the new keys at once; the current ones keep signing until the new ones may', async () => {
  const before = await (await fetch(`${worker.url}/.well-known/jwks.json`)).json();
  const { access_token: root } = await passwordGrant('app-rs256', 'openid admin');
  const oldToken = (await passwordGrant('app-es256')).access_token;
  const rotate = (body) => fetch(`${worker.url}/api/keys/rotate`, { method: 'POST',
    headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await rotate({});
  assert.equal(res.status, 202);
  const started = (await res.json()).data;
  assert.deepEqual(started.map((k) => [k.alg, k.status]), [['RS256', 'pending'], ['ES256', 'pending'], ['EdDSA', 'pending']]);
  for (const key of started) {
    assert.ok(Date.parse(key.activate_at) >= (Math.floor(Date.now() / 1000) + 300) * 1000, 'after the JWKS max-age (RFC 3339)');
  }
  // Published now: six keys, the old three and the new three.
  const after = await (await fetch(`${worker.url}/.well-known/jwks.json`)).json();
  assert.equal(after.keys.length, 6);
  for (const key of started) assert.ok(after.keys.some((k) => k.kid === key.kid));
  // Tokens are still signed by the old keys, and old tokens still verify.
  const fresh = (await passwordGrant('app-es256')).access_token;
  const { protectedHeader } = await jose.jwtVerify(fresh, jose.createLocalJWKSet(after), { issuer: worker.url });
  assert.ok(before.keys.some((k) => k.kid === protectedHeader.kid), 'a new key does not sign before its activate_at');
  await jose.jwtVerify(oldToken, jose.createLocalJWKSet(after), { issuer: worker.url });
  assert.equal((await rotate({ alg: 'ES256' })).status, 409, 'one rotation at a time');
  const audit = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'key.rotated'");
  assert.equal(audit[0].n, 3);
  // A plain admin service account is no super_admin.
  const svc = await (await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' })).json();
  const refused = await fetch(`${worker.url}/api/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${svc.access_token}` } });
  assert.equal(refused.status, 403);
});

test('SERVER_TIMING: each answer says its D1 and KV calls and their sequential depth', async () => {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  assert.equal(res.status, 200);
  const timing = res.headers.get('server-timing');
  const match = /^d1;dur=[\d.]+;desc="calls=(\d+)", kv;dur=[\d.]+;desc="calls=(\d+)", storage;desc="depth=(\d+)", billed;desc="rows_read=\d+ rows_written=\d+ kv_reads=\d+ kv_writes=\d+", isolate;desc="rows_read=\d+ rows_written=\d+ kv_reads=\d+ kv_writes=\d+"$/.exec(timing);
  assert.ok(match, timing);
  const [d1, kv, depth] = match.slice(1).map(Number);
  assert.ok(d1 >= 1, 'the client is read from D1');
  assert.match(timing, /billed;desc="rows_read=[1-9]/, 'and D1 says how many rows that read (what it bills)');
  assert.ok(depth >= 1 && depth <= d1 + kv, `depth ${depth} of ${d1 + kv} calls`);
  // A cached document needs no storage at all.
  await fetch(`${worker.url}/.well-known/jwks.json`).then((r) => r.arrayBuffer());
  const cached = (await fetch(`${worker.url}/.well-known/jwks.json`)).headers.get('server-timing');
  assert.match(cached, /storage;desc="depth=0"/);
});
