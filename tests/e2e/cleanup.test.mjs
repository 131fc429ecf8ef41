// End-to-end: the scheduled cleanup, run through the worker's real `scheduled` handler (as
// the Cron Trigger runs it; `make dev`'s GET /__scheduled calls the same handler): expired
// rows go, live ones stay, and the run is audited with its counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';

const SESSION_DAYS = 7;
let worker;
before(async () => {
  worker = await startWorker({ vars: { OUTBOX_RETENTION_DAYS: '7', AUDIT_LOG_RETENTION_DAYS: '30',
    SESSION_DURATION_DAYS: String(SESSION_DAYS) } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

test('the Cron Trigger deletes what expired in each of its twenty statements and keeps what lives', async () => {
  const now = Math.floor(Date.now() / 1000);
  const day = 86400;
  const sql = (statement) => worker.query(statement);
  await sql(`INSERT INTO users (id, email, name, email_verified, role, active, created_at, updated_at)
    VALUES ('u1', 'u1@example.com', 'U', 1, 'user', 1, ${now}, ${now})`);
  // (expired, live) pairs per statement. Codes are kept a day past expiry (replay detection).
  for (const [id, expires] of [['gone', now - 2 * day], ['kept', now - 60]]) {
    await sql(`INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, auth_time,
      created_at, expires_at) VALUES ('${id}', 'demo-app', 'u1', 'https://a/cb', 'openid', 0, 0, ${expires})`);
  }
  for (const [id, expires] of [['gone', now - 60], ['kept', now + 600]]) {
    await sql(`INSERT INTO device_codes (device_code_hash, user_code_hash, client_id, scope, status, poll_interval,
      created_at, expires_at) VALUES ('${id}', '${id}', 'demo-tv', 'openid', 'pending', 5, ${now}, ${expires})`);
    await sql(`INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) VALUES ('${id}', ${expires}, ${now})`);
    // Both rotated an hour ago, past REFRESH_REUSE_GRACE_SECONDS: the live one keeps its row
    // but loses its sealed successor.
    await sql(`INSERT INTO refresh_tokens (token_hash, family_id, client_id, scope, created_at, expires_at, rotated_at,
      successor_sealed) VALUES ('${id}', 'f', 'demo-app', 'openid', 0, ${expires}, ${now - 3600}, 'sealed')`);
    await sql(`INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, expires_at)
      VALUES ('${id}', 'password_reset', 'u1', 'u1@example.com', 0, ${expires})`);
    await sql(`INSERT INTO webauthn_challenges (challenge_hash, purpose, user_id, expires_at)
      VALUES ('${id}', 'sign_in', NULL, ${expires})`);
  }
  // Past its lifetime, idle past IDLE_TIMEOUT_MINUTES (30 by default), live.
  for (const [id, lastSeen, expires] of [['aged', now - 60, now - 1], ['idle', now - 31 * 60, now + day],
    ['kept', now - 60, now + day]]) {
    await sql(`INSERT INTO sessions (id_hash, user_id, auth_time, created_at, last_seen_at, expires_at)
      VALUES ('${id}', 'u1', 0, 0, ${lastSeen}, ${expires})`);
  }
  for (const [id, created] of [['gone', now - 8 * day], ['kept', now - 6 * day]]) {
    await sql(`INSERT INTO mail_outbox (id, template, to_address, subject, text_body, html_body, status, created_at)
      VALUES ('${id}', 'welcome', 'a@example.com', 's', 't', 'h', 'logged', ${created})`);
  }
  for (const [id, keep] of [['gone', now - 60], ['kept', now + 600]]) {
    await sql(`INSERT INTO ended_sessions (session_id, user_id, ended_at, keep_until) VALUES ('${id}', 'u1', ${now}, ${keep})`);
  }
  // A session's clients are kept as long as a session can live (SESSION_DURATION_DAYS).
  for (const [id, created] of [['gone', now - (SESSION_DAYS + 1) * day], ['kept', now - (SESSION_DAYS - 1) * day]]) {
    await sql(`INSERT INTO session_clients (session_id, client_id, created_at) VALUES ('${id}', 'demo-app', ${created})`);
  }
  // Logout Tokens: after OUTBOX_RETENTION_DAYS, unless their delivery is still pending.
  for (const [id, created] of [['gone', now - 8 * day], ['kept', now - 6 * day], ['waiting', now - 8 * day]]) {
    await sql(`INSERT INTO logout_deliveries (id, client_id, session_id, user_id, uri, created_at)
      VALUES ('${id}', 'demo-app', 's', 'u1', 'https://rp.example/bc', ${created})`);
  }
  for (const [id, at] of [['gone', now - 31 * day], ['kept', now - 29 * day]]) {
    await sql(`INSERT INTO audit_log (id, timestamp, event) VALUES ('${id}', ${at}, 'user.login')`);
  }
  // Client assertions' jtis (RFC 7523): kept until a minute after they expire.
  for (const [id, expires] of [['gone', now - 120], ['kept', now + 60]]) {
    await sql(`INSERT INTO client_assertions (client_id, jti_hash, expires_at) VALUES ('svc', '${id}', ${expires})`);
  }
  // DPoP proofs' jtis (RFC 9449): kept while the proof's iat would still be accepted.
  for (const [id, expires] of [['gone', now - 1], ['kept', now + 60]]) {
    await sql(`INSERT INTO dpop_proofs (jkt, jti_hash, expires_at) VALUES ('k', '${id}', ${expires})`);
  }
  // Pushed authorization requests (RFC 9126): until their 60 seconds are over.
  for (const [id, expires] of [['gone', now - 1], ['kept', now + 60]]) {
    await sql(`INSERT INTO pushed_authorization_requests (uri_hash, client_id, params, expires_at)
      VALUES ('${id}', 'demo-app', 'client_id=demo-app', ${expires})`);
  }
  // Deliveries: delivered or dead ones after OUTBOX_RETENTION_DAYS (7 here); a pending one stays.
  for (const [id, created, status] of [['gone', now - 8 * day, 'delivered'], ['kept', now - 6 * day, 'delivered'],
    ['waiting', now - 8 * day, 'pending']]) {
    await sql(`INSERT INTO deliveries (id, kind, summary, payload_sealed, status, next_attempt_at, created_at)
      VALUES ('${id}', 'mail', 's', NULL, '${status}', ${now + day}, ${created})`);
  }
  // Self-registered clients (open registration): one without a code exchange for
  // OPEN_REGISTRATION_UNUSED_DAYS (30), with its consent; one used 29 days ago.
  for (const [id, used] of [['gone', null], ['kept', now - 29 * day]]) {
    await sql(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris,
      grant_types, response_types, scopes, created_at, updated_at, self_registered, last_used_at)
      VALUES ('${id}', 'Agent', 'public', 'none', '[]', '[]', '[]', '[]', ${now - 31 * day}, 0, 1, ${used})`);
    await sql(`INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) VALUES ('u1', '${id}', '[]', 0, 0)`);
  }

  await worker.scheduled('17 * * * *');
  const entries = await sql("SELECT actor_type, metadata FROM audit_log WHERE event = 'system.cleanup'");
  assert.equal(entries.length, 1, 'the run is audited');
  assert.equal(entries[0].actor_type, 'system');
  assert.deepEqual(JSON.parse(entries[0].metadata), {
    authorization_codes: 1, device_codes: 1, refresh_tokens: 1, revoked_access_tokens: 1, email_tokens: 1,
    refresh_successors: 1, sessions: 1, idle_sessions: 1, mail_outbox: 1, audit_log: 1, webauthn_challenges: 1,
    ended_sessions: 1, session_clients: 1, logout_deliveries: 1, self_registered_consents: 1,
    self_registered_clients: 1, client_assertions: 1, dpop_proofs: 1,
    pushed_authorization_requests: 1, deliveries: 1,
  });
  const keys = { authorization_codes: 'code_hash', device_codes: 'device_code_hash', refresh_tokens: 'token_hash',
    revoked_access_tokens: 'jti', email_tokens: 'token_hash', webauthn_challenges: 'challenge_hash',
    sessions: 'id_hash', mail_outbox: 'id', ended_sessions: 'session_id', session_clients: 'session_id',
    pushed_authorization_requests: 'uri_hash' };
  for (const [table, key] of Object.entries(keys)) {
    assert.deepEqual((await sql(`SELECT ${key} AS id FROM ${table}`)).map((r) => r.id), ['kept'], table);
  }
  assert.deepEqual(await sql("SELECT id FROM audit_log WHERE event = 'user.login'"), [{ id: 'kept' }]);
  assert.deepEqual(await sql('SELECT client_id FROM clients WHERE self_registered = 1'), [{ client_id: 'kept' }]);
  assert.deepEqual(await sql('SELECT jti_hash FROM client_assertions'), [{ jti_hash: 'kept' }]);
  assert.deepEqual(await sql('SELECT jti_hash FROM dpop_proofs'), [{ jti_hash: 'kept' }]);
  assert.deepEqual((await sql('SELECT id FROM deliveries ORDER BY id')).map((r) => r.id), ['kept', 'waiting']);
  assert.deepEqual((await sql('SELECT id FROM logout_deliveries ORDER BY id')).map((r) => r.id), ['kept', 'waiting']);
  assert.deepEqual(await sql("SELECT client_id FROM consents WHERE user_id = 'u1'"), [{ client_id: 'kept' }]);
  assert.deepEqual(await sql('SELECT successor_sealed FROM refresh_tokens'), [{ successor_sealed: null }],
    'the live token\'s successor is erased once the reuse grace is over');
});
