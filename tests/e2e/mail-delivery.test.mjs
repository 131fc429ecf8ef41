// End-to-end: mail over SMTP through the deliveries Queue (docs/delivery.md). A real SMTP
// server on a local port (nodemailer's smtp-server, AUTH PLAIN/LOGIN required) receives the
// verification, password-reset and new-sign-in mails submitted by the worker over a Workers
// TCP socket, delivered by the Queue's consumer under Miniflare; mailparser reads them
// (headers, both MIME parts, the working link). With the server down a sign-up's mail
// waits as a pending delivery with the server's error, then arrives once the server is
// back (the admin's retry, or the Cron sweep) — once per Message-ID. The console's
// Deliveries screen lists them, dead letters too, and retries one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminApi, freePort, launchChromium, openConsole, startWorker } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
const ROOT = ['root@example.com', 'e2e-root-password-0123'];

const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'e2e-smtp-password-0123456789';
const PASSWORD = 'a long enough password 1';
let worker;
let admin;
let smtpPort;
let server;
const received = []; // every message the SMTP server accepted, parsed
const authenticated = [];
let arrivals = [];

/** An SMTP server that requires AUTH and records each message (stoppable and restartable). */
async function startSmtp() {
  server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true, // SMTP_TLS=none on loopback: the worker's config allows it only there
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, done) {
      authenticated.push(`${auth.method} ${auth.username}`);
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return done(null, { user: auth.username });
      return done(new Error('bad credentials'));
    },
    onData(stream, session, done) {
      simpleParser(stream).then((mail) => {
        mail.envelope = { from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address) };
        received.push(mail);
        for (const wake of arrivals) wake();
        arrivals = [];
        done();
      }, done);
    },
  });
  await new Promise((resolve) => server.listen(smtpPort, '127.0.0.1', resolve));
}

const stopSmtp = () => new Promise((resolve) => server.close(resolve));

/**
 * Resolves with the first mail to `to` whose subject matches among those received from
 * index `from` on, waiting for it.
 */
async function mailTo(to, subject, from = 0, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = received.slice(from).find((m) => m.to.text === to && subject.test(m.subject));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} (${subject}); received: ${received.map((m) => `${m.to.text}: ${m.subject}`)}\n${worker.logs()}`);
    await new Promise((resolve) => { arrivals.push(resolve); setTimeout(resolve, 250); });
  }
}

before(async () => {
  smtpPort = await freePort();
  await startSmtp();
  worker = await startWorker({ vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1],
    ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1],
    EMAIL_PROVIDER: 'smtp', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMTP_TLS: 'none',
    SMTP_USER, SMTP_PASSWORD, SMTP_FROM: 'noreply@auth.example', SMTP_FROM_NAME: 'Authority Über',
    RATE_LIMIT_LOGIN_MAX: '100' } });
  admin = adminApi(worker, ...ADMIN);
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
  await stopSmtp().catch(() => {});
});

const json = (method, path, body, headers = {}) => fetch(`${worker.url}${path}`, { method,
  headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test('the verification, reset and new-sign-in mails arrive over SMTP with their headers and a working link', async () => {
  const signup = await json('POST', '/api/signup', { email: 'ada@example.com', password: PASSWORD, name: 'Ada' });
  assert.equal(signup.status, 201, await signup.clone().text());
  const verification = await mailTo('ada@example.com', /verify/i);
  assert.equal(verification.from.value[0].address, 'noreply@auth.example');
  assert.equal(verification.from.value[0].name, 'Authority Über', 'an RFC 2047 encoded name, decoded');
  assert.deepEqual(verification.envelope, { from: 'noreply@auth.example', to: ['ada@example.com'] });
  assert.match(verification.messageId, /^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
  assert.ok(verification.html.includes('<a href='), 'the HTML part');
  assert.ok(authenticated.includes(`PLAIN ${SMTP_USER}`), `AUTH PLAIN: ${authenticated}`);
  const token = /verify-email\?token=([\w-]+)/.exec(verification.text)[1];
  const verified = await json('POST', '/api/verify-email', { token });
  assert.equal(verified.status, 200, 'the link in the mail works');

  const reset = await json('POST', '/api/password-reset', { email: 'ada@example.com' });
  assert.equal(reset.status, 200);
  const resetMail = await mailTo('ada@example.com', /reset/i);
  assert.match(resetMail.text, /reset-password\?token=[\w-]{43}/);

  // The first browser an account ever signs in from is not news; the second is.
  for (const agent of ['Firefox on the old laptop', 'Firefox on a new laptop']) {
    const info = await (await fetch(`${worker.url}/api/session`)).json();
    const signIn = await json('POST', '/api/session', { email: 'ada@example.com', password: PASSWORD },
      { origin: worker.url, 'x-csrf-token': info.csrf_token, cookie: `authority_csrf=${info.csrf_token}`,
        'user-agent': agent });
    assert.equal(signIn.status, 200, await signIn.clone().text());
  }
  const newLogin = await mailTo('ada@example.com', /sign-in|signed in|new/i);
  assert.match(newLogin.text, /Firefox on a new laptop/);

  const listed = await admin('GET', '/api/deliveries?status=delivered');
  assert.equal(listed.status, 200);
  assert.ok(listed.body.data.length >= 3, JSON.stringify(listed.body));
  for (const d of listed.body.data) {
    assert.equal(d.kind, 'mail');
    assert.equal(d.payload_sealed, undefined, 'the payload never leaves the server');
  }
  const [row] = await worker.query('SELECT payload_sealed FROM deliveries WHERE id = ?1',
    verification.messageId.slice(1).split('@')[0]);
  assert.equal(row.payload_sealed, null, 'a delivered payload (its link a credential) is erased');
});

test('with the SMTP server down a mail waits as a pending delivery, then arrives once the server is back, once', async () => {
  await stopSmtp();
  const signup = await json('POST', '/api/signup', { email: 'grace@example.com', password: PASSWORD });
  assert.equal(signup.status, 201, 'the sign-up does not wait for the mail');
  let pending;
  for (let i = 0; i < 60 && !pending; i++) {
    const list = await admin('GET', '/api/deliveries?status=pending');
    pending = list.body.data.find((d) => d.summary === 'verification to grace@example.com' && d.last_error);
    if (!pending) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(pending, 'the failed attempt is recorded');
  assert.match(pending.last_error, /connect|refused|closed/i);
  assert.equal(pending.attempts, 1);
  assert.ok(Date.parse(pending.next_attempt_at) > Date.now(), 'due again after its backoff (RFC 3339)');

  await startSmtp();
  const retried = await admin('POST', `/api/deliveries/${pending.id}/retry`);
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.status, 'delivered');
  const mail = await mailTo('grace@example.com', /verify/i);
  assert.equal(mail.messageId, `<${pending.id}@127.0.0.1>`, 'the delivery id is the Message-ID');
  const [audit] = await worker.query("SELECT resource_id FROM audit_log WHERE event = 'delivery.retried'");
  assert.equal(audit.resource_id, pending.id);

  // The Queue's retry of the same delivery, after its backoff, finds it delivered: no
  // second message. (Made due now, then the Cron sweep runs.)
  await worker.query('UPDATE deliveries SET next_attempt_at = 0 WHERE id = ?1', pending.id);
  await worker.scheduled('17 * * * *');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(received.filter((m) => m.messageId === mail.messageId).length, 1, 'exactly once');
});

test('the Cron sweep delivers what waited while the server was down', async () => {
  await stopSmtp();
  const reset = await json('POST', '/api/password-reset', { email: 'ada@example.com' });
  assert.equal(reset.status, 200);
  let row;
  for (let i = 0; i < 60; i++) {
    [row] = await worker.query("SELECT id, attempts FROM deliveries WHERE status = 'pending' AND attempts > 0");
    if (row) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(row, 'the first attempt failed');
  await startSmtp();
  const before = received.length;
  await worker.query('UPDATE deliveries SET next_attempt_at = 0 WHERE id = ?1', row.id);
  await worker.scheduled('17 * * * *');
  const mail = await mailTo('ada@example.com', /reset/i, before);
  assert.equal(mail.messageId, `<${row.id}@127.0.0.1>`);
  const [done] = await worker.query('SELECT status FROM deliveries WHERE id = ?1', row.id);
  assert.equal(done.status, 'delivered');
});

test('the console lists deliveries and dead letters with their last error; Retry now sends a dead one; the test send shows the server\'s answer', async () => {
  await stopSmtp();
  const reset = await json('POST', '/api/password-reset', { email: 'ada@example.com' });
  assert.equal(reset.status, 200);
  let row;
  for (let i = 0; i < 60 && !row; i++) {
    [row] = await worker.query("SELECT id FROM deliveries WHERE status = 'pending' AND attempts > 0");
    if (!row) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(row);
  // Its attempts used up: dead, as after eight failures.
  await worker.query("UPDATE deliveries SET status = 'dead', attempts = 8 WHERE id = ?1", row.id);
  await startSmtp();
  const before = received.length;
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await openConsole(page, `${worker.url}/admin/deliveries`, ROOT[0], ROOT[1], 'Deliveries');
    await page.getByLabel('Status').selectOption('dead');
    const dead = page.getByRole('row').filter({ hasText: 'password-reset to ada@example.com' })
      .filter({ hasText: 'dead' });
    await dead.waitFor();
    await page.getByRole('row').filter({ hasText: 'delivered' }).first().waitFor({ state: 'detached' });
    assert.match(await dead.innerText(), /connect|refused|closed/i, 'the last error is shown');
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-deliveries-dead.png'), fullPage: true });
    await dead.getByRole('button', { name: /Retry/ }).click();
    await page.getByText(/attempted again/).waitFor({ timeout: 15_000 });
    const mail = await mailTo('ada@example.com', /reset/i, before);
    assert.equal(mail.messageId, `<${row.id}@127.0.0.1>`);
    // The test send: the mail server's own answer on the screen, the message in the box.
    const sentBefore = received.length;
    await page.getByLabel('Send a test message to').fill('ops@example.com');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText(/Sent \(smtp\): 250/).waitFor({ timeout: 15_000 });
    const test = await mailTo('ops@example.com', /Test message/, sentBefore);
    assert.match(test.text, /root@example\.com sent it from the admin console/);
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByRole('row').filter({ hasText: 'delivered' }).first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-deliveries.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
