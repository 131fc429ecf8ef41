// End-to-end: the mail transport changed at run time (docs/delivery.md). A super_admin
// switches a deployment from `EMAIL_PROVIDER=log` to SMTP on the console's Settings screen
// (the password in a write-only field), and the console's test send proves it at once: the
// local SMTP server receives the message. The password is never shown, is sealed in D1 and
// stays out of the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { adminApi, freePort, launchChromium, openConsole, startWorker } from './harness.mjs';

const ROOT = ['root@example.com', 'e2e-root-password-0123'];
const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const SMTP_PASSWORD = 'e2e-runtime-smtp-password-0123';
let worker;
let server;
let port;
const received = [];

before(async () => {
  port = await freePort();
  server = new SMTPServer({
    allowInsecureAuth: true, disabledCommands: ['STARTTLS'], authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, done) {
      return auth.password === SMTP_PASSWORD ? done(null, { user: auth.username }) : done(new Error('bad credentials'));
    },
    onData(stream, _session, done) {
      simpleParser(stream).then((mail) => { received.push(mail); done(); }, done);
    },
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1], ADMIN_CLIENT_ID: ADMIN[0],
    ADMIN_CLIENT_SECRET: ADMIN[1], EMAIL_PROVIDER: 'log' } });
});
after(async () => {
  await worker?.stop();
  await new Promise((resolve) => server.close(resolve));
});

test('a super_admin switches mail to SMTP in the console; the test send proves it; the password is never shown', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await openConsole(page, `${worker.url}/admin/settings`, ROOT[0], ROOT[1], 'Settings');
    for (const [name, value] of [['EMAIL_PROVIDER', 'smtp'], ['SMTP_HOST', '127.0.0.1'], ['SMTP_PORT', String(port)],
      ['SMTP_TLS', 'none'], ['SMTP_USER', 'mailer'], ['SMTP_PASSWORD', SMTP_PASSWORD]]) {
      await page.getByLabel(name, { exact: true }).fill(value);
    }
    assert.equal(await page.getByLabel('SMTP_PASSWORD', { exact: true }).getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved: /).waitFor({ timeout: 15_000 });
    await page.goto(`${worker.url}/admin/deliveries`);
    await page.getByLabel('Send a test message to').fill('ops@example.com');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText(/Sent \(smtp\): 250/).waitFor({ timeout: 15_000 });
  } finally {
    await browser.close();
  }
  assert.equal(received.length, 1);
  assert.match(received[0].subject, /Test message/);
  assert.equal(received[0].to.text, 'ops@example.com');

  const admin = adminApi(worker, ...ADMIN);
  const settings = await admin('GET', '/api/settings');
  assert.ok(!JSON.stringify(settings.body).includes(SMTP_PASSWORD), 'never in the settings API');
  const shown = settings.body.find((s) => s.name === 'SMTP_PASSWORD');
  assert.deepEqual([shown.value, shown.source], ['set', 'database']);
  const [row] = await worker.query("SELECT value FROM settings WHERE name = 'SMTP_PASSWORD'");
  assert.ok(!row.value.includes(SMTP_PASSWORD), 'sealed in D1');
  const audit = await worker.query("SELECT metadata FROM audit_log WHERE event = 'settings.updated'");
  assert.ok(audit.length > 0 && audit.every((a) => !a.metadata.includes(SMTP_PASSWORD)), 'not in the audit log');
});
