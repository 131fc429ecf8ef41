// End-to-end: migrations that rebuild a table keep its data in D1, where foreign keys
// are enforced. 0026 rebuilds `clients` (a CHECK constraint admits private_key_jwt);
// dropping it would cascade into `client_secrets`, so the migration keeps those aside;
// 0031 rebuilds both for client_secret_jwt; 0032 moves the logout deliveries into deliveries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_splitSqlQuery } from 'wrangler';
import { startWorker } from './harness.mjs';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

test('migration 0026 rebuilds clients and keeps every secret; the cascade on delete still holds', async () => {
  const worker = await startWorker({ migrate: false });
  try {
    const run = async (file) => {
      for (const statement of unstable_splitSqlQuery(await readFile(join(dir, file), 'utf8'))) await worker.query(statement);
    };
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files.filter((f) => f < '0026')) await run(file);
    assert.deepEqual(await worker.query('PRAGMA foreign_keys'), [{ foreign_keys: 1 }], 'D1 enforces foreign keys');
    await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
      scopes, created_at, updated_at, allowed_resources, self_registered) VALUES ('c1', 'C', 'confidential',
      'client_secret_basic', '["read"]', 1, 2, '["https://api.example/"]', 0)`);
    await worker.query("INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at) VALUES ('s1', 'c1', 'h', 0)");
    for (const file of files.filter((f) => f >= '0026')) await run(file);
    assert.deepEqual((await worker.query('SELECT secret_id, client_id FROM client_secrets')), [{ secret_id: 's1', client_id: 'c1' }]);
    const [client] = await worker.query('SELECT scopes, allowed_resources, created_at FROM clients');
    assert.deepEqual(client, { scopes: '["read"]', allowed_resources: '["https://api.example/"]', created_at: 1 });
    await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
      created_at, updated_at, jwks) VALUES ('k1', 'K', 'confidential', 'private_key_jwt', 0, 0, '{"keys":[]}')`);
    await worker.query("DELETE FROM clients WHERE client_id = 'c1'");
    assert.deepEqual(await worker.query('SELECT * FROM client_secrets'), [], 'secrets still go with their client');
  } finally {
    await worker.stop();
  }
});

test('migration 0031 admits client_secret_jwt, adds the sealed secret column and keeps every client and secret', async () => {
  const worker = await startWorker({ migrate: false });
  try {
    const run = async (file) => {
      for (const statement of unstable_splitSqlQuery(await readFile(join(dir, file), 'utf8'))) await worker.query(statement);
    };
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files.filter((f) => f < '0031')) await run(file);
    await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
      scopes, created_at, updated_at, dpop_bound_access_tokens, security_profile, jwks) VALUES ('f1', 'F',
      'confidential', 'private_key_jwt', '["openid"]', 1, 2, 1, 'fapi2', '{"keys":[]}')`);
    await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
      created_at, updated_at) VALUES ('c1', 'C', 'confidential', 'client_secret_basic', 0, 0)`);
    await worker.query("INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, expires_at) VALUES ('s1', 'c1', 'h', 0, 9)");
    await run(files.find((f) => f.startsWith('0031')));
    assert.deepEqual(await worker.query('SELECT secret_id, client_id, secret_hash, expires_at, secret_sealed FROM client_secrets'),
      [{ secret_id: 's1', client_id: 'c1', secret_hash: 'h', expires_at: 9, secret_sealed: null }]);
    assert.deepEqual(await worker.query("SELECT dpop_bound_access_tokens, security_profile FROM clients WHERE client_id = 'f1'"),
      [{ dpop_bound_access_tokens: 1, security_profile: 'fapi2' }]);
    await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
      created_at, updated_at) VALUES ('j1', 'J', 'confidential', 'client_secret_jwt', 0, 0)`);
    await worker.query("DELETE FROM clients WHERE client_id = 'c1'");
    assert.deepEqual(await worker.query('SELECT * FROM client_secrets'), [], 'secrets still go with their client');
  } finally {
    await worker.stop();
  }
});

test('migration 0032 moves every logout delivery, in the state it reached, to deliveries and keeps the mail ones', async () => {
  const worker = await startWorker({ migrate: false });
  try {
    const run = async (file) => {
      for (const statement of unstable_splitSqlQuery(await readFile(join(dir, file), 'utf8'))) await worker.query(statement);
    };
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files.filter((f) => f < '0032')) await run(file);
    await worker.query(`INSERT INTO deliveries (id, kind, summary, payload_sealed, status, next_attempt_at, created_at)
      VALUES ('m1', 'mail', 'verification to ada@example.com', 'sealed', 'pending', 5, 1)`);
    const logout = (id, extra) => worker.query(`INSERT INTO logout_deliveries (id, client_id, session_id, user_id, uri,
      created_at, attempts, next_attempt_at, delivered_at, given_up_at, last_error) VALUES (?1, 'web', 's', 'u',
      'https://rp.example/bc', 2, ?2, ?3, ?4, ?5, ?6)`, id, ...extra);
    await logout('l-pending', [1, 40, null, null, 'HTTP 503']);
    await logout('l-delivered', [2, 9, 30, null, null]);
    await logout('l-dead', [10, 9, null, 99, 'HTTP 500']);
    await run(files.find((f) => f.startsWith('0032')));
    assert.deepEqual(await worker.query('SELECT id, kind, status, attempts, next_attempt_at, last_error, delivered_at, payload_sealed FROM deliveries ORDER BY id'), [
      { id: 'l-dead', kind: 'logout', status: 'dead', attempts: 10, next_attempt_at: 9, last_error: 'HTTP 500', delivered_at: null, payload_sealed: null },
      { id: 'l-delivered', kind: 'logout', status: 'delivered', attempts: 2, next_attempt_at: 9, last_error: null, delivered_at: 30, payload_sealed: null },
      { id: 'l-pending', kind: 'logout', status: 'pending', attempts: 1, next_attempt_at: 40, last_error: 'HTTP 503', delivered_at: null, payload_sealed: null },
      { id: 'm1', kind: 'mail', status: 'pending', attempts: 0, next_attempt_at: 5, last_error: null, delivered_at: null, payload_sealed: 'sealed' },
    ]);
    assert.deepEqual(await worker.query("SELECT * FROM logout_deliveries WHERE id = 'l-pending'"),
      [{ id: 'l-pending', client_id: 'web', session_id: 's', user_id: 'u', uri: 'https://rp.example/bc', alg: null, created_at: 2 }]);
    await assert.rejects(worker.query(`INSERT INTO deliveries (id, kind, summary, status, next_attempt_at, created_at)
      VALUES ('x', 'fax', 'x', 'pending', 0, 0)`), /CHECK/, 'the kinds are still checked');
  } finally {
    await worker.stop();
  }
});
