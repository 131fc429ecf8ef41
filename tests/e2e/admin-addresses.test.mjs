// End-to-end: ADMIN_ALLOWED_IPS (docs/security.md, "The admin API"). With the list set,
// an admin call with a valid token from an address outside it (as Cloudflare reports it,
// CF-Connecting-IP) is 403 `address_not_allowed` and audited; from inside a range, IPv4 or
// IPv6, it works; a caller without a token gets the usual 401 and writes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serviceToken, startWorker } from './harness.mjs';

const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
let worker;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1],
    ADMIN_ALLOWED_IPS: '192.0.2.0/24, 2001:db8::/32' } });
});
after(async () => { await worker?.stop(); });

const users = (token, ip) => fetch(`${worker.url}/api/users`, {
  headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(ip ? { 'cf-connecting-ip': ip } : {}) } });

test('an admin call from outside ADMIN_ALLOWED_IPS is refused and audited; from inside it works', async () => {
  const token = await serviceToken(worker, ...ADMIN);
  const outside = await users(token, '198.51.100.9');
  assert.equal(outside.status, 403);
  assert.equal((await outside.json()).error, 'address_not_allowed');
  assert.equal((await users(token)).status, 403, 'an address Cloudflare did not report is outside too');
  assert.equal((await users(token, '192.0.2.77')).status, 200);
  assert.equal((await users(token, '2001:db8::5')).status, 200, 'IPv6 ranges');
  assert.equal((await users(null, '198.51.100.9')).status, 401, 'no token: the usual answer');
  const audit = await worker.query("SELECT actor_id, ip_address, metadata FROM audit_log WHERE event = 'admin.address_refused' ORDER BY timestamp");
  assert.equal(audit.length, 2, 'each refused call with a valid token, and nothing for the tokenless one');
  assert.equal(audit[0].actor_id, ADMIN[0]);
  assert.equal(audit[0].ip_address, '198.51.100.9');
  assert.deepEqual(JSON.parse(audit[0].metadata), { path: '/api/users', method: 'GET' });
});
