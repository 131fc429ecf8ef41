// End-to-end: EMAIL_PROVIDER=cloudflare (docs/delivery.md, "Mail transports"). The worker hands
// the same MIME message the SMTP transport submits to a `send_email` binding, here
// Miniflare's simulator of Cloudflare's, which parses it (postal-mime), checks the
// envelope against the binding's allowed destinations as Cloudflare does, and writes it
// to a file it names in its log; mailparser reads that file. An address the binding may
// not send to leaves the delivery pending with the binding's own error, retried later.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { adminApi, basic, insertClient, startWorker } from './harness.mjs';

const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const ROOT = ['root@example.com', 'e2e-root-password-0123'];
const TESTER = ['e2e-tester', 'e2e-tester-secret-0123456789abcdef0123'];
const VERIFIED = 'ada@example.com'; // the account's verified destination address
let worker;
let admin;
const written = []; // the .eml files the binding wrote, in order
let arrivals = [];

before(async () => {
  worker = await startWorker({
    vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1], ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1],
      ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: 'e2e-tester',
      EMAIL_PROVIDER: 'cloudflare', SMTP_FROM: 'noreply@auth.example', SMTP_FROM_NAME: 'Authority Über' },
    workerOptions: { email: { send_email: [{ name: 'SEND_EMAIL', allowed_destination_addresses: [VERIFIED] }] } },
    onLog(message) {
      const file = /(\S+\.eml)/.exec(message)?.[1];
      if (file) {
        written.push(file);
        for (const wake of arrivals) wake();
        arrivals = [];
      }
    },
  });
  admin = adminApi(worker, ...ADMIN);
  await insertClient(worker, { id: TESTER[0], secret: TESTER[1] });
});

/** `POST /api/mail/test` as the super_admin (a password grant through a tester client). */
async function testSend(to) {
  const token = await (await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(...TESTER),
    'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'password', username: ROOT[0], password: ROOT[1], scope: 'openid admin' }) })).json();
  assert.ok(token.access_token, JSON.stringify(token));
  const res = await fetch(`${worker.url}/api/mail/test`, { method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to }) });
  return { status: res.status, body: await res.json() };
}
after(async () => { await worker?.stop(); });

/** The `n`-th message the binding wrote, parsed, waiting for it. */
async function message(n, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (written.length <= n) {
    if (Date.now() > deadline) throw new Error(`no message #${n} from send_email\n${worker.logs()}`);
    await new Promise((resolve) => { arrivals.push(resolve); setTimeout(resolve, 250); });
  }
  return simpleParser(await readFile(written[n]));
}

const json = (path, body) => fetch(`${worker.url}${path}`, { method: 'POST',
  headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('a sign-up\'s verification mail goes out through the send_email binding as MIME with a working link', async () => {
  const signup = await json('/api/signup', { email: VERIFIED, password: 'a long enough password 1', name: 'Ada' });
  assert.equal(signup.status, 201, await signup.clone().text());
  const mail = await message(0);
  assert.equal(mail.to.text, VERIFIED);
  assert.equal(mail.from.value[0].address, 'noreply@auth.example');
  assert.equal(mail.from.value[0].name, 'Authority Über');
  assert.match(mail.subject, /verify/i);
  assert.ok(mail.html.includes('<a href='), 'the HTML part');
  const [id] = /^<([0-9a-f-]{36})@/.exec(mail.messageId).slice(1);
  const token = /verify-email\?token=([\w-]+)/.exec(mail.text)[1];
  assert.equal((await json('/api/verify-email', { token })).status, 200, 'the link in the mail works');

  const listed = await admin('GET', '/api/deliveries?kind=mail');
  const row = listed.body.data.find((d) => d.id === id);
  assert.equal(row?.status, 'delivered', JSON.stringify(listed.body));
});

test('an address the binding may not send to: the test send shows its refusal, the delivery waits to be retried', async () => {
  const refused = await testSend('mallory@example.net');
  assert.equal(refused.status, 200, JSON.stringify(refused.body));
  assert.equal(refused.body.provider, 'cloudflare');
  assert.equal(refused.body.delivered, false);
  assert.match(refused.body.error, /not allowed/);
  const pending = await admin('GET', '/api/deliveries?status=pending');
  assert.ok(pending.body.data.some((d) => /mallory@example\.net/.test(d.summary) && /not allowed/.test(d.last_error)),
    JSON.stringify(pending.body));

  const before = written.length;
  const sent = await testSend(VERIFIED);
  assert.equal(sent.body.delivered, true, JSON.stringify(sent.body));
  assert.match(sent.body.answer, /^send_email accepted it as /);
  const mail = await message(before);
  assert.equal(mail.to.text, VERIFIED);
});
