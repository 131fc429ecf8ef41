// End-to-end: the scheduled cleanup, run the way wrangler runs a Cron Trigger locally
// (`wrangler dev --test-scheduled`, GET /__scheduled): expired rows go, live ones stay,
// and the run is audited with its counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, d1Query } from './harness.mjs';

let worker;
before(async () => {
  worker = await startWorker({ vars: { OUTBOX_RETENTION_DAYS: '7', AUDIT_LOG_RETENTION_DAYS: '30' } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

test('the Cron Trigger deletes expired codes, device codes, tokens, links, old mail and old audit entries', async () => {
  const now = Math.floor(Date.now() / 1000);
  const day = 86400;
  const sql = (statement) => d1Query(worker.stateDir, statement);
  for (const [id, expires] of [['gone', now - 60], ['kept', now + 600]]) {
    await sql(`INSERT INTO device_codes (device_code_hash, user_code_hash, client_id, scope, status, poll_interval,
      created_at, expires_at) VALUES ('${id}', '${id}', 'demo-tv', 'openid', 'pending', 5, ${now}, ${expires})`);
    await sql(`INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) VALUES ('${id}', ${expires}, ${now})`);
  }
  for (const [id, created] of [['gone', now - 8 * day], ['kept', now - 6 * day]]) {
    await sql(`INSERT INTO mail_outbox (id, template, to_address, subject, text_body, html_body, status, created_at)
      VALUES ('${id}', 'welcome', 'a@example.com', 's', 't', 'h', 'logged', ${created})`);
  }
  await sql(`INSERT INTO audit_log (id, timestamp, event) VALUES ('gone', ${now - 31 * day}, 'user.login')`);

  const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('17 * * * *')}`);
  assert.equal(res.status, 200, await res.text());
  let entries = [];
  for (let i = 0; i < 20 && entries.length === 0; i++) {
    entries = await sql("SELECT actor_type, metadata FROM audit_log WHERE event = 'system.cleanup'");
    if (entries.length === 0) await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(entries.length, 1, 'the run is audited');
  assert.equal(entries[0].actor_type, 'system');
  const counts = JSON.parse(entries[0].metadata);
  assert.equal(counts.device_codes, 1);
  assert.equal(counts.revoked_access_tokens, 1);
  assert.equal(counts.mail_outbox, 1);
  assert.equal(counts.audit_log, 1);
  for (const table of ['device_codes', 'mail_outbox']) {
    const ids = (await sql(`SELECT ${table === 'device_codes' ? 'device_code_hash' : 'id'} AS id FROM ${table}`))
      .map((r) => r.id);
    assert.deepEqual(ids, ['kept'], table);
  }
  assert.deepEqual(await sql("SELECT jti FROM revoked_access_tokens"), [{ jti: 'kept' }]);
  assert.deepEqual(await sql("SELECT id FROM audit_log WHERE id = 'gone'"), []);
});
