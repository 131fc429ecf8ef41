// End-to-end: what an operator sees when the deployment is wrong. A malformed var fails
// requests with the variable's name; a database without migrations makes /health 503
// naming D1; an https issuer turns on HSTS; a setting of the product docs that does
// nothing here is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminApi, startWorker } from './harness.mjs';

test('a malformed variable fails requests with its name, and /health says config is down', async () => {
  const worker = await startWorker({ vars: { ACCESS_TOKEN_TTL: 'one hour' } });
  try {
    const res = await fetch(`${worker.url}/.well-known/openid-configuration`);
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.error, 'server_error');
    assert.match(body.error_description, /ACCESS_TOKEN_TTL/);
    const health = await fetch(`${worker.url}/health`);
    assert.equal(health.status, 503);
    const report = await health.json();
    assert.equal(report.status, 'unavailable');
    assert.equal(report.checks.config, 'down');
    assert.equal(report.checks.d1, 'ok');
  } finally {
    await worker.stop();
  }
});

test('a database without migrations: /health is 503 naming D1, and HSTS is sent for an https issuer', async () => {
  const worker = await startWorker({ migrate: false, issuerFromPort: false, vars: { ISSUER: 'https://auth.example.test' } });
  try {
    const res = await fetch(`${worker.url}/health`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'unavailable', checks: { config: 'ok', d1: 'down', kv: 'ok' } });
    assert.match(res.headers.get('strict-transport-security'), /max-age=\d+/);
    // Internal failures are server_error without internals in the body.
    const jwks = await fetch(`${worker.url}/.well-known/jwks.json`);
    assert.equal(jwks.status, 500);
    const text = await jwks.text();
    assert.equal(JSON.parse(text).error, 'server_error');
    assert.doesNotMatch(text, /signing_keys|D1|SQL/i);
    // Pages live at the issuer's origin: this host sends the browser there, over HSTS.
    const page = await fetch(`${worker.url}/signin?x=1`, { redirect: 'manual' });
    assert.equal(page.headers.get('location'), 'https://auth.example.test/signin?x=1');
    assert.match(page.headers.get('strict-transport-security'), /max-age=\d+/);
  } finally {
    await worker.stop();
  }
});

test('a setting of the product docs that this server does not read is reported: /health, the settings API, the log', async () => {
  const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
  const worker = await startWorker({ vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1],
    BASE_URL: 'https://auth.example.com', REDIS_URL: 'redis://cache:6379', CRYSTAL_WORKERS: '8',
    // An old name, read as RATE_LIMIT_PASSWORD_RESET_MAX: not reported (docs/configuration.md, "Old names").
    PASSWORD_RESET_RATE_LIMIT: '3' } });
  try {
    const health = await fetch(`${worker.url}/health`);
    assert.equal(health.status, 200, 'reported, not a failure');
    const report = await health.json();
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.unread_settings, [
      { name: 'BASE_URL', instead: 'ISSUER' },
      { name: 'CRYSTAL_WORKERS', instead: 'Workers scale by themselves' },
      { name: 'REDIS_URL', instead: 'the KV binding KV in wrangler.toml' },
    ]);
    const admin = adminApi(worker, ...ADMIN);
    const settings = await admin('GET', '/api/settings');
    const unread = settings.body.filter((s) => s.source === 'unread');
    assert.deepEqual(unread.map((s) => [s.name, s.value, s.instead]), [
      ['BASE_URL', 'set', 'ISSUER'],
      ['CRYSTAL_WORKERS', 'set', 'Workers scale by themselves'],
      ['REDIS_URL', 'set', 'the KV binding KV in wrangler.toml'],
    ], 'values are never shown: some are passwords');
    assert.match(worker.logs(), /setting REDIS_URL is set but not read here; the KV binding KV in wrangler.toml/);
  } finally {
    await worker.stop();
  }
});
