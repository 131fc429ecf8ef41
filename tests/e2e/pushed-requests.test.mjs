// End-to-end: pushed authorization requests (RFC 9126), request objects (RFC 9101),
// codes bound to a DPoP key (RFC 9449 §10) and the FAPI 2.0 profile per client.
// openid-client is the relying party with its own PAR, DPoP and private_key_jwt support: a
// FAPI 2.0 client signs a person in through PAR + PKCE + DPoP in Chromium, calls UserInfo
// with DPoP and refreshes with its bound, unrotated refresh token; jose checks cnf.jkt.
// Refusals by name: a request_uri used twice, late or by another client; the FAPI client
// at the front channel, with client_secret_basic, with a 61-second-old code; a code bound
// to a key redeemed without it; unsigned and foreign request objects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { adminApi, basic, launchChromium, startApp, startWorker } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
let worker;
let admin;
let app;
let browser;
let clientKeys; // the FAPI client's own ES256 key pair
let fapiId;
let plainId; // a confidential client_secret_basic client of the same app
let plainSecret;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1], RATE_LIMIT_LOGIN_MAX: '100' } });
  admin = adminApi(worker, ...ADMIN);
  app = await startApp();
  clientKeys = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(clientKeys.publicKey)), kid: 'fapi-1', use: 'sig', alg: 'ES256' };
  const fapi = await admin('POST', '/register', { client_name: 'FAPI app', redirect_uris: [app.callback],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, id_token_signed_response_alg: 'ES256',
    scope: 'openid email offline_access', security_profile: 'fapi2' });
  assert.equal(fapi.status, 201, JSON.stringify(fapi.body));
  assert.equal(fapi.body.require_pushed_authorization_requests, true, 'the profile turns PAR on');
  assert.equal(fapi.body.dpop_bound_access_tokens, true, 'and DPoP');
  fapiId = fapi.body.client_id;
  const plain = await admin('POST', '/register', { client_name: 'Plain app', redirect_uris: [app.callback],
    grant_types: ['authorization_code'], scope: 'openid email' });
  assert.equal(plain.status, 201, JSON.stringify(plain.body));
  [plainId, plainSecret] = [plain.body.client_id, plain.body.client_secret];
  browser = await launchChromium();
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await browser?.close();
  await app?.close();
  await worker?.stop();
});

/** openid-client configured for the FAPI client: discovery, private_key_jwt with its key. */
async function fapiClient() {
  return oidc.discovery(new URL(worker.url), fapiId, { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: clientKeys.privateKey, kid: 'fapi-1' }), { execute: [oidc.allowInsecureRequests] });
}

/**
 * Signs a person in at `url` in a fresh Chromium context, allowing on the consent screen
 * when it shows (a consent given before covers the same scopes); resolves with the
 * callback URL.
 */
async function signInAt(url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const arrived = app.next();
    await page.goto(url);
    await page.waitForURL(/\/signin\?request=/);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const consent = page.waitForURL(/\/consent\?request=/).then(() => 'consent', () => 'gone');
    if (await Promise.race([arrived.then(() => 'arrived'), consent]) === 'consent') {
      await page.getByRole('button', { name: 'Allow' }).click();
    }
    return new URL((await arrived).url);
  } finally {
    await context.close();
  }
}

/** A code of the FAPI client (PAR, PKCE, DPoP key `DPoP`), redeemed later by the caller. */
async function fapiCode(config, DPoP) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = await oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: app.callback, scope: 'openid email offline_access',
    state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }, { DPoP });
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'only the pushed request travels');
  return { callback: await signInAt(url.href), verifier, state };
}

test('FAPI 2.0 with openid-client: PAR + PKCE + DPoP sign-in in Chromium, UserInfo with DPoP, an unrotated bound refresh', async () => {
  const config = await fapiClient();
  const metadata = config.serverMetadata();
  assert.equal(metadata.pushed_authorization_request_endpoint, `${worker.url}/par`);
  assert.equal(metadata.require_pushed_authorization_requests, false, 'not for every client: per client here');
  assert.equal(metadata.request_parameter_supported, true);
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const DPoP = oidc.getDPoPHandle(config, keyPair);
  const { callback, verifier, state } = await fapiCode(config, DPoP);
  assert.equal(callback.searchParams.get('iss'), worker.url, 'RFC 9207');
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state },
    undefined, { DPoP });
  assert.equal(tokens.token_type, 'dpop');
  const thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  assert.equal(decodeJwt(tokens.access_token).cnf.jkt, thumbprint, 'jose: cnf.jkt is the key\'s thumbprint');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
  assert.equal(info.email, ADMIN_EMAIL);

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  assert.equal(decodeJwt(refreshed.access_token).cnf.jkt, thumbprint);
  assert.ok(refreshed.refresh_token === undefined || refreshed.refresh_token === tokens.refresh_token,
    'FAPI 2.0 §5.3.2.1: refresh tokens are not rotated');
  const other = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP: other }),
    (e) => e.error === 'invalid_dpop_proof', 'the refresh token is bound to the key');
  await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token),
    (e) => e.error === 'invalid_dpop_proof', 'and useless without it');
});

test('FAPI 2.0: the front channel, client_secret_basic and a 61-second-old code are refused, each by name', async () => {
  const config = await fapiClient();
  const front = new URL(`${worker.url}/authorize`);
  for (const [k, v] of Object.entries({ client_id: fapiId, redirect_uri: app.callback, response_type: 'code',
    scope: 'openid', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256' })) front.searchParams.set(k, v);
  const refused = await fetch(front, { redirect: 'manual' });
  const back = new URL(refused.headers.get('location'));
  assert.equal(back.searchParams.get('error'), 'invalid_request');
  assert.match(back.searchParams.get('error_description'), /PAR/);

  const basicLogin = await fetch(`${worker.url}/par`, { method: 'POST', headers: { authorization: basic(fapiId, 'a-guess'),
    'content-type': 'application/x-www-form-urlencoded' }, body: `redirect_uri=${encodeURIComponent(app.callback)}` });
  assert.equal(basicLogin.status, 401);
  assert.equal((await basicLogin.json()).error, 'invalid_client');
  const registration = await admin('POST', '/register', { client_name: 'Not FAPI', redirect_uris: [app.callback],
    token_endpoint_auth_method: 'client_secret_basic', security_profile: 'fapi2' });
  assert.equal(registration.status, 400);
  assert.match(registration.body.error_description, /FAPI 2\.0 §5\.3\.2\.1: the client authenticates with private_key_jwt/);

  const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const { callback, verifier, state } = await fapiCode(config, DPoP);
  const [row] = await worker.query('SELECT expires_at - created_at AS lifetime FROM authorization_codes WHERE client_id = ?1',
    fapiId);
  assert.equal(row.lifetime, 60, 'FAPI 2.0 §5.3.2.1: codes live 60 seconds');
  await worker.query(`UPDATE authorization_codes SET created_at = created_at - 61, expires_at = expires_at - 61
    WHERE client_id = ?1 AND consumed_at IS NULL`, fapiId);
  await assert.rejects(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state },
    undefined, { DPoP }), (e) => e.error === 'invalid_grant');
});

/** Pushes a request for the plain client (Basic); resolves with the request_uri. */
async function pushPlain(extra = {}) {
  const res = await fetch(`${worker.url}/par`, { method: 'POST', headers: { authorization: basic(plainId, plainSecret),
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ redirect_uri: app.callback,
    response_type: 'code', scope: 'openid', state: 'st', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256', ...extra }) });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  assert.equal(body.expires_in, 60);
  return body.request_uri;
}

async function authorizeWith(clientId, requestUri) {
  const url = `${worker.url}/authorize?client_id=${encodeURIComponent(clientId)}&request_uri=${encodeURIComponent(requestUri)}`;
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

test('RFC 9126 §4: a request_uri works once, for 60 seconds, for the client that pushed it', async () => {
  const uri = await pushPlain();
  assert.match(uri, /^urn:ietf:params:oauth:request_uri:/);
  const stranger = await authorizeWith(fapiId, uri);
  assert.equal(stranger.status, 400, 'another client');
  assert.match(stranger.text, /invalid_request_uri/);
  const first = await authorizeWith(plainId, uri);
  assert.equal(first.status, 303, first.text);
  assert.match(first.location, /\/signin\?request=/, 'the pushed request goes on to sign-in');
  const again = await authorizeWith(plainId, uri);
  assert.equal(again.status, 400, 'used twice');
  assert.match(again.text, /invalid_request_uri/);
  const late = await pushPlain();
  await worker.query('UPDATE pushed_authorization_requests SET expires_at = expires_at - 61');
  const expired = await authorizeWith(plainId, late);
  assert.equal(expired.status, 400, 'after 60 seconds');
  assert.match(expired.text, /expired/);
  const bad = await fetch(`${worker.url}/par`, { method: 'POST', headers: { authorization: basic(plainId, plainSecret),
    'content-type': 'application/x-www-form-urlencoded' }, body: `redirect_uri=${encodeURIComponent(app.callback)}&response_type=code&scope=openid+admin&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256` });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error, 'invalid_scope', 'checked at the push, with /authorize\'s error codes');
});

test('RFC 9449 §10: dpop_jkt at /authorize binds the code: redeemed only with a proof of that key', async () => {
  const config = await oidc.discovery(new URL(worker.url), plainId, undefined, oidc.ClientSecretBasic(plainSecret),
    { execute: [oidc.allowInsecureRequests] });
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: app.callback, scope: 'openid', state: 'b',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', dpop_jkt: jkt });
  const callback = await signInAt(url.href);
  await assert.rejects(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'b' }),
    (e) => e.error === 'invalid_grant' && /dpop_jkt/.test(e.error_description));
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'b' },
    undefined, { DPoP: oidc.getDPoPHandle(config, keyPair) });
  assert.equal(decodeJwt(tokens.access_token).cnf.jkt, jkt);
});

test('RFC 9101: a signed request object is the request; unsigned and foreign ones are refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: fapiId, aud: worker.url, client_id: fapiId, response_type: 'code', redirect_uri: app.callback,
    scope: 'openid', state: 'inside', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256', nbf: now, exp: now + 300 };
  const sign = (key) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'fapi-1', typ: 'oauth-authz-req+jwt' })
    .sign(key);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'fapi-1' }).setIssuer(fapiId)
    .setSubject(fapiId).setAudience(worker.url).setIssuedAt().setExpirationTime(now + 60).setJti(crypto.randomUUID())
    .sign(clientKeys.privateKey);
  const push = (request) => fetch(`${worker.url}/par`, { method: 'POST', headers: {
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: fapiId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    request, state: 'outside' }) });
  const pushed = await push(await sign(clientKeys.privateKey));
  const body = await pushed.json();
  assert.equal(pushed.status, 201, JSON.stringify(body));
  const [row] = await worker.query('SELECT params FROM pushed_authorization_requests WHERE client_id = ?1', fapiId);
  assert.equal(new URLSearchParams(row.params).get('state'), 'inside', 'only the object\'s parameters');

  const foreign = await generateKeyPair('ES256');
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  for (const [why, object] of [['another key', await sign(foreign.privateKey)], ['alg none', unsigned]]) {
    const res = await fetch(`${worker.url}/authorize?client_id=${fapiId}&request=${object}`, { redirect: 'manual' });
    assert.equal(res.status, 400, why);
    assert.match(await res.text(), /invalid_request_object/, why);
  }
});
