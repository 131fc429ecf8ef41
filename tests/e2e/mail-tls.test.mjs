// End-to-end: mail over SMTP with TLS from a Workers TCP socket (docs/delivery.md). A local
// SMTP server (smtp-server) with a self-signed certificate the worker's runtime is made to
// trust (NODE_EXTRA_CA_CERTS, which Miniflare hands to workerd) takes the verification mail
// over STARTTLS (RFC 3207; the server allows AUTH only after it) and over implicit TLS
// (RFC 8314), and says the session was encrypted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const USER = 'mailer';
const PASSWORD = 'e2e-smtp-password-0123456789';
let dir;
let harness;
let key;
let cert;
const received = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authority-smtp-tls-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  [key, cert] = await Promise.all([readFile(join(dir, 'key.pem')), readFile(join(dir, 'cert.pem'))]);
  // Read by Miniflare when it loads: so it is set before the harness (and Miniflare) load.
  process.env.NODE_EXTRA_CA_CERTS = join(dir, 'cert.pem');
  harness = await import('./harness.mjs');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An SMTP server with the certificate; `secure`: TLS from the first byte. */
async function smtpServer(secure) {
  const port = await harness.freePort();
  const server = new SMTPServer({
    secure, key, cert, authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, done) {
      if (auth.username === USER && auth.password === PASSWORD) return done(null, { user: USER });
      return done(new Error('bad credentials'));
    },
    onData(stream, session, done) {
      simpleParser(stream).then((mail) => {
        received.push({ mail, secure: session.secure, port });
        done();
      }, done);
    },
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function verificationOver(tls, port, email) {
  const worker = await harness.startWorker({ vars: { EMAIL_PROVIDER: 'smtp', SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(port), SMTP_TLS: tls, SMTP_USER: USER, SMTP_PASSWORD: PASSWORD } });
  try {
    const res = await fetch(`${worker.url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long enough password 1' }) });
    assert.equal(res.status, 201);
    for (let i = 0; i < 80; i++) {
      const got = received.find((r) => r.mail.to.text === email);
      if (got) return got;
      await new Promise((r) => setTimeout(r, 250));
    }
    const rows = await worker.query('SELECT status, attempts, last_error FROM deliveries');
    throw new Error(`no mail over ${tls}: ${JSON.stringify(rows)}\n${worker.logs()}`);
  } finally {
    await worker.stop();
  }
}

test('RFC 3207: over STARTTLS the verification mail arrives encrypted, AUTH only after TLS', async () => {
  const server = await smtpServer(false);
  try {
    const got = await verificationOver('starttls', server.port, 'tls-ada@example.com');
    assert.equal(got.secure, true, 'the session was upgraded to TLS');
    assert.match(got.mail.text, /verify-email\?token=/);
  } finally {
    await server.close();
  }
});

test('RFC 8314: over implicit TLS (SMTP_TLS=tls) the mail arrives encrypted', async () => {
  const server = await smtpServer(true);
  try {
    const got = await verificationOver('tls', server.port, 'tls-grace@example.com');
    assert.equal(got.secure, true);
  } finally {
    await server.close();
  }
});
