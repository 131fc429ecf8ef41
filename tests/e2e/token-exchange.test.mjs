// End-to-end: token exchange (RFC 8693). A user's token for a protected resource reaches
// that resource's server (a client registered for the grant and named as the resource's
// server); the server exchanges it, with an agent's token as the actor, for a token for
// another resource: jose verifies the new `aud`, the user as `sub` and `act` naming the
// agent. Refused: a foreign subject token, a forbidden audience, a revoked subject token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { adminApi, basic, startWorker } from './harness.mjs';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
const DEMO_SECRET = 'e2e-demo-secret-0123456789abcdef0123456789';
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const MCP = 'https://mcp.example.com/mcp';
const CALENDAR = 'https://calendar.example.com/';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
let worker;
let admin;
let server;
let agent;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENT_SECRET: DEMO_SECRET,
    ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: 'demo-app', ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1] } });
  admin = adminApi(worker, ...ADMIN);
  const register = async (body) => {
    const res = await admin('POST', '/register', { token_endpoint_auth_method: 'client_secret_basic', ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return [res.body.client_id, res.body.client_secret];
  };
  // The MCP server's own client: it may exchange, and reach the calendar.
  server = await register({ client_name: 'MCP server', grant_types: [EXCHANGE], scope: 'openid email',
    allowed_resources: [CALENDAR] });
  agent = await register({ client_name: 'Agent', grant_types: ['client_credentials'], scope: '' });
  for (const [identifier, name, clientId] of [[MCP, 'MCP server', server[0]], [CALENDAR, 'Calendar', null]]) {
    const made = await admin('POST', '/api/resources', { identifier, name, scopes: ['email'], client_id: clientId });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
});
after(async () => {
  await worker?.stop();
});

async function token(body, client) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', body: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(...client) } });
  return { status: res.status, body: await res.json() };
}

const userToken = async (resource) => token({ grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD,
  scope: 'openid email', ...(resource ? { resource } : {}) }, ['demo-app', DEMO_SECRET]);

test('RFC 8693 §2: the resource\'s server exchanges the user\'s token, with an actor, for a token for another resource', async () => {
  const user = await userToken(MCP);
  assert.equal(user.status, 200, JSON.stringify(user.body));
  const actor = await token({ grant_type: 'client_credentials' }, agent);
  const exchanged = await token({ grant_type: EXCHANGE, subject_token: user.body.access_token,
    subject_token_type: ACCESS, actor_token: actor.body.access_token, actor_token_type: ACCESS,
    resource: CALENDAR, scope: 'email' }, server);
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  assert.equal(exchanged.body.issued_token_type, ACCESS);
  assert.equal(exchanged.body.refresh_token, undefined);
  const jwks = createRemoteJWKSet(new URL(`${worker.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(exchanged.body.access_token, jwks, { issuer: worker.url, audience: CALENDAR });
  const { payload: original } = await jwtVerify(user.body.access_token, jwks, { issuer: worker.url, audience: MCP });
  assert.equal(payload.sub, original.sub, 'still the user');
  assert.equal(payload.client_id, server[0]);
  assert.deepEqual(payload.act, { sub: agent[0], client_id: agent[0] }, '§4.1: the actor');
  assert.equal(payload.scope, 'email');
  assert.ok(payload.exp <= original.exp, 'never outlives the subject token');
  const [{ n }] = await worker.query("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'token.exchanged'");
  assert.equal(n, 1);
});

test('RFC 8693: a foreign subject token, a forbidden audience and a revoked subject token are refused', async () => {
  // A token for the app, not for the MCP server: not the server's to exchange.
  const forApp = await userToken();
  const foreign = await token({ grant_type: EXCHANGE, subject_token: forApp.body.access_token, subject_token_type: ACCESS },
    server);
  assert.deepEqual([foreign.status, foreign.body.error], [400, 'invalid_grant']);
  const user = await userToken(MCP);
  const forbidden = await token({ grant_type: EXCHANGE, subject_token: user.body.access_token,
    subject_token_type: ACCESS, audience: MCP }, server);
  assert.deepEqual([forbidden.status, forbidden.body.error], [400, 'invalid_target'], 'not in its allowed_resources');
  await fetch(`${worker.url}/token/revoke`, { method: 'POST', headers: { authorization: basic('demo-app', DEMO_SECRET),
    'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: user.body.access_token }) });
  const revoked = await token({ grant_type: EXCHANGE, subject_token: user.body.access_token, subject_token_type: ACCESS,
    resource: CALENDAR }, server);
  assert.deepEqual([revoked.status, revoked.body.error], [400, 'invalid_grant']);
  const discovery = await (await fetch(`${worker.url}/.well-known/openid-configuration`)).json();
  assert.ok(discovery.grant_types_supported.includes(EXCHANGE));
});
