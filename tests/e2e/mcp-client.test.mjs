// End-to-end: an outside MCP client, `@modelcontextprotocol/sdk`'s client authorization
// (`auth()` with an `OAuthClientProvider`), against Authority in workerd, as the MCP
// authorization specification has it: the client calls a small MCP resource server, is
// refused with a pointer to its RFC 9728 metadata, finds Authority there, reads its RFC
// 8414 metadata, registers itself (open registration, RFC 7591 §3), sends the person
// through the code flow with PKCE and `resource` (Chromium signs in and consents), and
// calls the resource server again with a token that server accepts only because its
// `aud` is the server's own identifier. A self-registration asking for `admin` is refused.
// The same client identified by a Client ID Metadata Document served on a local port
// works too; documents that lie about their URL, redirect or are too large are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { adminApi, freePort, launchChromium, startWorker } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
let worker;
let resourceServer;
let browser;

/**
 * The MCP server's authorization side: RFC 9728 metadata naming Authority, and `/mcp`
 * that accepts a bearer token only if jose verifies it against Authority's JWKS with
 * this server's identifier as `aud` (RFC 8707, RFC 9068).
 */
async function startResourceServer(authority) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const resource = `${origin}/mcp`;
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const jwks = createRemoteJWKSet(new URL(`${authority}/.well-known/jwks.json`));
  const seen = [];
  const server = createServer(async (req, res) => {
    const json = (status, body, headers = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.url.startsWith('/.well-known/oauth-protected-resource')) {
      return json(200, { resource, authorization_servers: [authority], scopes_supported: ['openid', 'offline_access'],
        bearer_methods_supported: ['header'] });
    }
    if (req.url === '/mcp') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const challenge = { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"` };
      if (!token) return json(401, { error: 'unauthorized' }, challenge);
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer: authority, audience: resource, typ: 'at+jwt' });
        seen.push(payload);
        return json(200, { jsonrpc: '2.0', id: 1, result: { tools: [] } });
      } catch (e) {
        seen.push({ refused: e.code });
        return json(401, { error: 'invalid_token', error_description: e.message },
          { 'www-authenticate': `Bearer error="invalid_token", resource_metadata="${metadataUrl}"` });
      }
    }
    json(404, { error: 'not_found' });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin, resource, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** An `OAuthClientProvider` that keeps everything in memory and hands the authorization
 * URL to the test, which opens it in Chromium. `client` is known client information (a
 * metadata document's URL as the client_id). */
function memoryProvider(redirectUrl, client) {
  const store = { authorizationUrl: null, client };
  return {
    store,
    get redirectUrl() { return redirectUrl; },
    get clientMetadata() {
      return { client_name: 'E2E MCP client', redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid offline_access' };
    },
    clientInformation: () => store.client,
    saveClientInformation: (info) => { store.client = info; },
    tokens: () => store.tokens,
    saveTokens: (tokens) => { store.tokens = tokens; },
    redirectToAuthorization: (url) => { store.authorizationUrl = url; },
    saveCodeVerifier: (verifier) => { store.verifier = verifier; },
    codeVerifier: () => store.verifier,
  };
}

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1], ALLOW_OPEN_REGISTRATION: 'true', CLIENT_ID_METADATA_DOCUMENTS: 'true' } });
  resourceServer = await startResourceServer(worker.url);
  const made = await adminApi(worker, ...ADMIN)('POST', '/api/resources', { identifier: resourceServer.resource,
    name: 'E2E MCP server', scopes: ['openid', 'offline_access'] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await resourceServer?.close();
  await worker?.stop();
});

test('MCP authorization: the SDK client finds Authority, registers itself, and calls the MCP server with a token for it', async () => {
  const unauthenticated = await fetch(resourceServer.resource, { method: 'POST' });
  assert.equal(unauthenticated.status, 401);
  assert.match(unauthenticated.headers.get('www-authenticate'), /resource_metadata=/);

  const callbackPort = await freePort();
  const redirectUrl = `http://127.0.0.1:${callbackPort}/callback`;
  const provider = memoryProvider(redirectUrl);
  const first = await auth(provider, { serverUrl: resourceServer.resource });
  assert.equal(first, 'REDIRECT');
  assert.ok(provider.store.client?.client_id, 'the client registered itself');
  // (the SDK keeps only RFC 7591 fields; the registration access token is the second test's)
  const url = new URL(provider.store.authorizationUrl);
  assert.equal(url.origin + url.pathname, `${worker.url}/authorize`);
  assert.equal(url.searchParams.get('resource'), resourceServer.resource, 'RFC 8707 resource from the RFC 9728 metadata');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');

  const page = await browser.newPage();
  await page.goto(url.href);
  await page.waitForURL(/\/signin\?request=/, { timeout: 15_000 });
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/consent\?request=/, { timeout: 15_000 });
  // The consent screen says the app registered itself, where it returns, and which server it reaches.
  await page.getByText('This app registered itself').waitFor();
  await page.getByRole('listitem').filter({ hasText: resourceServer.resource }).waitFor();
  const landed = page.waitForRequest((r) => r.url().startsWith(redirectUrl), { timeout: 15_000 });
  await page.getByRole('button', { name: 'Allow' }).click();
  const back = new URL((await landed).url());
  assert.equal(back.searchParams.get('iss'), worker.url, 'RFC 9207');
  const code = back.searchParams.get('code');
  await page.close();

  const second = await auth(provider, { serverUrl: resourceServer.resource, authorizationCode: code });
  assert.equal(second, 'AUTHORIZED');
  const call = await fetch(resourceServer.resource, { method: 'POST',
    headers: { authorization: `Bearer ${provider.store.tokens.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
  assert.equal(call.status, 200, await call.clone().text());
  const claims = resourceServer.seen.at(-1);
  assert.equal(claims.aud, resourceServer.resource);
  assert.equal(claims.client_id, provider.store.client.client_id);

  // A refresh through the SDK keeps the audience.
  provider.store.tokens = { ...provider.store.tokens, access_token: 'expired' };
  const refreshed = await auth(provider, { serverUrl: resourceServer.resource });
  assert.equal(refreshed, 'AUTHORIZED');
  const again = await fetch(resourceServer.resource, { method: 'POST',
    headers: { authorization: `Bearer ${provider.store.tokens.access_token}` } });
  assert.equal(again.status, 200);

  // The console and the admin API say the client registered itself.
  const listed = await adminApi(worker, ...ADMIN)('GET', '/api/clients?search=E2E%20MCP');
  assert.equal(listed.body.data[0]?.self_registered, true, JSON.stringify(listed.body));
});

test('open registration: admin scope refused; off by default; the registration access token manages only its client', async () => {
  const register = (body, headers = {}) => fetch(`${worker.url}/register`, { method: 'POST',
    headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const base = { client_name: 'Agent', redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' };
  const admin = await register({ ...base, scope: 'openid admin' });
  assert.equal(admin.status, 400);
  const refusal = await admin.json();
  assert.equal(refusal.error, 'invalid_client_metadata');
  assert.match(refusal.error_description, /`admin`/);
  const ok = await register(base);
  assert.equal(ok.status, 201);
  const client = await ok.json();
  assert.equal(client.self_registered, true);
  const read = await fetch(client.registration_client_uri, { headers: { authorization: `Bearer ${client.registration_access_token}` } });
  assert.equal(read.status, 200);
  const foreign = await fetch(`${worker.url}/register/${ADMIN[0]}`, {
    headers: { authorization: `Bearer ${client.registration_access_token}` } });
  assert.equal(foreign.status, 401, 'another client\'s registration is not this token\'s');
  const removed = await fetch(client.registration_client_uri, { method: 'DELETE',
    headers: { authorization: `Bearer ${client.registration_access_token}` } });
  assert.equal(removed.status, 204);
  const [{ n }] = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'client.created' AND actor_type = 'client'");
  assert.ok(n >= 2, 'each self-registration is audited');

  // Off (the default): no client is made without an admin token.
  const closed = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD } });
  try {
    const res = await fetch(`${closed.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(base) });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error, 'invalid_token');
  } finally {
    await closed.stop();
  }
});

/** Serves client metadata documents on a local port: `path -> (status, body, headers)`. */
async function startDocuments(routes) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const served = [];
  const server = createServer((req, res) => {
    served.push(req.url);
    const [status, body, headers = {}] = routes(origin)[req.url] ?? [404, '{}'];
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin, served, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function signInAndAllow(url, redirectUrl, expectations) {
  const page = await browser.newPage();
  try {
    await page.goto(String(url));
    await page.waitForURL(/\/(signin|consent)\?request=/, { timeout: 15_000 });
    if (page.url().includes('/signin')) {
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/consent\?request=/, { timeout: 15_000 });
    }
    await expectations(page);
    const landed = page.waitForRequest((r) => r.url().startsWith(redirectUrl), { timeout: 15_000 });
    await page.getByRole('button', { name: 'Allow' }).click();
    return new URL((await landed).url()).searchParams.get('code');
  } finally {
    await page.close();
  }
}

test('Client ID Metadata Documents: the SDK client identified by its document URL; lying, redirecting and large documents refused', async () => {
  const metadata = await (await fetch(`${worker.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(metadata.client_id_metadata_document_supported, true);
  const callbackPort = await freePort();
  const redirectUrl = `http://127.0.0.1:${callbackPort}/callback`;
  const documentOf = (id, extra = {}) => JSON.stringify({ client_id: id, client_name: 'Document agent',
    redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: 'none', scope: 'openid offline_access', ...extra });
  const docs = await startDocuments((origin) => ({
    '/client.json': [200, documentOf(`${origin}/client.json`), { 'cache-control': 'max-age=600' }],
    '/liar.json': [200, documentOf(`${origin}/someone-else.json`)],
    '/moved.json': [302, '', { location: `${origin}/client.json` }],
    '/large.json': [200, documentOf(`${origin}/large.json`, { padding: 'x'.repeat(6000) })],
  }));
  try {
    const clientId = `${docs.origin}/client.json`;
    const provider = memoryProvider(redirectUrl, { client_id: clientId });
    assert.equal(await auth(provider, { serverUrl: resourceServer.resource }), 'REDIRECT');
    assert.equal(new URL(provider.store.authorizationUrl).searchParams.get('client_id'), clientId);
    const code = await signInAndAllow(provider.store.authorizationUrl, redirectUrl, async (page) => {
      // The document's host, named on the consent screen, and the localhost warning.
      await page.getByText('This app describes itself at').waitFor();
      await page.getByText('It runs on this computer').waitFor();
    });
    assert.equal(await auth(provider, { serverUrl: resourceServer.resource, authorizationCode: code }), 'AUTHORIZED');
    const call = await fetch(resourceServer.resource, { method: 'POST',
      headers: { authorization: `Bearer ${provider.store.tokens.access_token}` } });
    assert.equal(call.status, 200);
    assert.equal(resourceServer.seen.at(-1).client_id, clientId);
    assert.equal(docs.served.filter((p) => p === '/client.json').length, 1, 'the document is cached as its Cache-Control says');

    for (const [path, says] of [['/liar.json', 'not exactly its URL'], ['/moved.json', 'redirects'],
      ['/large.json', 'larger than']]) {
      const url = new URL(provider.store.authorizationUrl);
      url.searchParams.set('client_id', `${docs.origin}${path}`);
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 400, path);
      assert.match(await res.text(), new RegExp(says), path);
    }
  } finally {
    await docs.close();
  }
});
