// End-to-end: signed webhooks of security events (docs/delivery.md, "Webhooks"). A local
// receiver verifies every POST with the `standardwebhooks` package (the Standard Webhooks
// reference implementation, not ours): a client created, its secret rotated
// (NOTIFY_ON_SECRET_ROTATION), the client deleted, each once and in order. With the
// receiver down an event waits as a pending delivery and arrives once it is back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { adminApi, freePort, startWorker } from './harness.mjs';

const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let worker;
let admin;
let port;
let receiver;
const events = []; // verified payloads, in arrival order
const refused = [];

async function startReceiver() {
  const verifier = new Webhook(SECRET);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      try {
        const payload = verifier.verify(body, req.headers);
        events.push({ id: req.headers['webhook-id'], payload });
        res.writeHead(204).end();
      } catch (e) {
        refused.push(String(e));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((resolve) => receiver.listen(port, '127.0.0.1', resolve));
}
const stopReceiver = () => new Promise((resolve) => receiver.close(resolve));

async function eventOf(type, from = 0) {
  for (let i = 0; i < 80; i++) {
    const found = events.slice(from).find((e) => e.payload.type === type);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${type} webhook; got ${events.map((e) => e.payload.type)}; refused ${refused}\n${worker.logs()}`);
}

before(async () => {
  port = await freePort();
  await startReceiver();
  worker = await startWorker({ vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1],
    NOTIFICATION_WEBHOOK: `http://127.0.0.1:${port}/hook`, NOTIFICATION_WEBHOOK_SECRET: SECRET,
    NOTIFY_ON_SECRET_ROTATION: 'true' } });
  admin = adminApi(worker, ...ADMIN);
});
after(async () => {
  await worker?.stop();
  await stopReceiver().catch(() => {});
});

test('a client created, its secret rotated and the client deleted reach the receiver signed, once each, in order', async () => {
  const created = await admin('POST', '/register', { client_name: 'Hooked', redirect_uris: ['https://app.example/cb'] });
  assert.equal(created.status, 201);
  const id = created.body.client_id;
  const first = await eventOf('client.created');
  assert.equal(first.payload.data.resource.id, id);
  assert.equal(first.payload.data.actor.id, ADMIN[0]);
  const rotated = await admin('POST', `/register/${id}/renew_secret`);
  assert.equal(rotated.status, 200);
  const rotation = await eventOf('client.secret_rotated');
  assert.equal(rotation.payload.data.metadata.secret_id, rotated.body.secret_id);
  assert.equal(JSON.stringify(rotation.payload).includes(rotated.body.client_secret), false, 'never the secret');
  assert.equal((await admin('DELETE', `/register/${id}`)).status, 204);
  await eventOf('client.deleted');
  assert.deepEqual(refused, [], 'every signature verified');
  const types = events.map((e) => e.payload.type);
  assert.deepEqual(types, ['client.created', 'client.secret_rotated', 'client.deleted']);
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'one webhook-id each');
  const listed = await admin('GET', '/api/deliveries?status=delivered&kind=webhook');
  assert.equal(listed.body.total, 3, 'the webhooks among the deliveries');
  assert.ok(listed.body.data.every((d) => d.kind === 'webhook' && d.summary.endsWith(`/hook`)));
});

test('with the receiver down an event waits as a pending delivery and arrives once it is back', async () => {
  await stopReceiver();
  const before = events.length;
  const created = await admin('POST', '/register', { client_name: 'While down', redirect_uris: ['https://app.example/cb'] });
  assert.equal(created.status, 201);
  let pending;
  for (let i = 0; i < 60 && !pending; i++) {
    const list = await admin('GET', '/api/deliveries?status=pending');
    pending = list.body.data.find((d) => d.kind === 'webhook' && d.last_error);
    if (!pending) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(pending, 'the failed attempt is recorded');
  await startReceiver();
  await worker.query('UPDATE deliveries SET next_attempt_at = 0 WHERE id = ?1', pending.id);
  await worker.scheduled('17 * * * *');
  const arrived = await eventOf('client.created', before);
  assert.equal(arrived.id, pending.id);
  assert.equal(arrived.payload.data.resource.id, created.body.client_id);
  assert.deepEqual(refused, []);
});
