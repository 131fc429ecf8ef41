// What the deliveries Queue changes (docs/delivery.md, docs/scaling.md): the same worker,
// with the `DELIVERIES` Queue bound and without it, answers a burst of password-reset
// requests whose mail goes to an SMTP server that takes `REPLY_DELAY_MS` per step (connect,
// MAIL, RCPT, DATA: a mail server across a network). Printed: the median answer time, and
// how long until every mail had arrived, for each. (A reset's mail is written before the
// answer and sent after it, so both answer alike; the difference is in the arrivals.)
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { SMTPServer } from 'smtp-server';
import { unstable_splitSqlQuery } from 'wrangler';
import { authorityWorkerOptions } from '../tests/e2e/worker-options.mjs';

const REPLY_DELAY_MS = 100;
const REQUESTS = 20;
const PORTS = { smtp: 8825, queued: 8801, inline: 8802 };
const USER = ['bench-mail@example.com', 'bench-mail-password-123'];

async function slowSmtp(onMessage) {
  const later = (callback) => setTimeout(callback, REPLY_DELAY_MS);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onConnect: (_session, callback) => later(callback),
    onMailFrom: (_address, _session, callback) => later(callback),
    onRcptTo: (_address, _session, callback) => later(callback),
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => later(() => { onMessage(); callback(); }));
    },
  });
  await new Promise((resolve) => server.listen(PORTS.smtp, '127.0.0.1', resolve));
  return server;
}

async function startWorker(port, queue) {
  const options = authorityWorkerOptions({ assets: false, bindings: {
    ISSUER: `http://127.0.0.1:${port}`, SECRET_KEY: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: USER[0], ADMIN_PASSWORD: USER[1], ADMIN_CLIENT_ID: 'bench-admin',
    ADMIN_CLIENT_SECRET: 'bench-admin-secret-0123456789abcdef0123456789',
    EMAIL_PROVIDER: 'smtp', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(PORTS.smtp), SMTP_TLS: 'none',
    RATE_LIMIT_PASSWORD_RESET_MAX: '1000000',
  } });
  if (!queue) {
    delete options.queueProducers;
    delete options.queueConsumers;
  }
  const mf = new Miniflare({ host: '127.0.0.1', port, ...options });
  await mf.ready;
  const db = await mf.getD1Database('DB');
  for (const file of (await readdir('migrations')).filter((f) => f.endsWith('.sql')).sort()) {
    const statements = unstable_splitSqlQuery(await readFile(join('migrations', file), 'utf8'));
    await db.batch(statements.map((s) => db.prepare(s)));
  }
  // The first request bootstraps the admin account (the one the resets are for).
  await fetch(`http://127.0.0.1:${port}/authorize`).then((r) => r.arrayBuffer());
  return mf;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A burst of `REQUESTS` password resets at once; each answer's time and the last mail's. */
async function measure(name, port, queue, arrivals) {
  const mf = await startWorker(port, queue);
  try {
    const url = `http://127.0.0.1:${port}/api/password-reset`;
    const send = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: USER[0] }) }).then((r) => r.arrayBuffer());
    await send(); // the isolate warm, the account's first mail
    await arrivals.until(1);
    arrivals.reset();
    const start = performance.now();
    const times = await Promise.all(Array.from({ length: REQUESTS }, async () => {
      const t = performance.now();
      await send();
      return performance.now() - t;
    }));
    await arrivals.until(REQUESTS);
    return { name, answerMs: median(times), allArrivedMs: performance.now() - start };
  } finally {
    await mf.dispose();
  }
}

export async function deliveriesBench() {
  let count = 0;
  let waiting = [];
  const arrivals = {
    reset: () => { count = 0; },
    until: (n) => new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`only ${count} of ${n} mails arrived`)), 120_000);
      const check = () => {
        if (count >= n) { clearTimeout(deadline); resolve(); } else waiting.push(check);
      };
      check();
    }),
  };
  const server = await slowSmtp(() => {
    count += 1;
    const wake = waiting;
    waiting = [];
    for (const w of wake) w();
  });
  try {
    return [await measure('Queue bound (wrangler.toml)', PORTS.queued, true, arrivals),
      await measure('no Queue (first attempt in the request)', PORTS.inline, false, arrivals)];
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

export function printDeliveries(rows) {
  const f = (n) => n.toFixed(0);
  console.log(`\nMail through the deliveries Queue: a burst of ${REQUESTS} password resets, to an SMTP server that takes ${REPLY_DELAY_MS} ms per step\n`);
  console.log('| worker | median answer ms | all mails arrived after ms |');
  console.log('|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${f(r.answerMs)} | ${f(r.allArrivedMs)} |`);
  const [queued, inline] = rows;
  console.log(`- the last mail arrived ${f(queued.allArrivedMs)} ms after the burst through the Queue (batches of up to 10, the batch's deliveries at once, up to 1 s batching), ${f(inline.allArrivedMs)} ms without it (one SMTP session per request)`);
}

if (import.meta.url === `file://${process.argv[1]}`) printDeliveries(await deliveriesBench());
