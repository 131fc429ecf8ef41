// Starts the built worker in workerd through Miniflare, in this test process: the same
// build, wrangler.toml (vars, [assets], D1 and KV bindings) and runtime that `make dev`'s
// `wrangler dev` runs, on a free port with a fresh local D1 and KV in a temporary directory.
// Each test file gets its own worker. The D1 database is reached in-process
// (`worker.query`, through a companion worker: `SQL_WORKER` below): no subprocess per
// query, no second workerd on the same files.
import { afterEach } from 'node:test';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { Miniflare, Log, LogLevel } from 'miniflare';
import { unstable_splitSqlQuery } from 'wrangler';
import { authorityWorkerOptions } from './worker-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// What a failed test leaves to read: every live worker's log and what the browser saw
// (console errors, failed requests), printed once per failed test. A CI run shows only
// the test output, so a hang or a blank page must explain itself there.
const liveWorkers = new Set();
const browserEvents = [];
const remember = (line) => { browserEvents.push(line); if (browserEvents.length > 200) browserEvents.shift(); };
afterEach((t) => {
  const events = browserEvents.splice(0);
  if (t.passed) return;
  for (const w of liveWorkers) console.log(`# worker ${w.url} log (last 6000 characters):\n${w.logs().slice(-6000)}`);
  if (events.length) console.log(`# browser events (last ${events.length}):\n${events.join('\n')}`);
});

// node:test names an unhandled rejection by its message only ("Assertion error"); its
// stack says whose it was (the test's, or Playwright's own while a browser closes).
process.on('unhandledRejection', (e) => console.log(`# unhandled rejection: ${e?.stack ?? e}`));

// Every fetch of the test process on a connection of its own (`Connection: close`). workerd
// (Miniflare) closes a kept-alive connection when the worker answered before the request's
// body had arrived (an early 401/404 to a POST); the next request Node sends on it then
// fails with ECONNRESET, about one in three hundred in the fuzz run. Cloudflare's edge and
// browsers (which retry on a reused connection) never show that to anyone; Node's fetch
// does not retry. And a network failure's reason (ECONNRESET, "other side closed") is in
// the error's `cause`, which the test output does not print: it goes into the message.
const nodeFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('connection', 'close');
  try {
    return await nodeFetch(input, { ...init, headers });
  } catch (e) {
    if (e?.cause) e.message = `${e.message} (${e.cause.code ?? ''} ${e.cause.message ?? e.cause})`;
    throw e;
  }
};

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Applies migrations/ in order, each file once, recording them in `d1_migrations` as
 * `wrangler d1 migrations apply` does (so a restarted worker's database is not migrated twice).
 */
async function applyMigrations(sql) {
  await sql.query(`CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
  const applied = new Set((await sql.query('SELECT name FROM d1_migrations')).map((r) => r.name));
  const dir = join(root, 'migrations');
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()) {
    if (applied.has(file)) continue;
    const statements = unstable_splitSqlQuery(await readFile(join(dir, file), 'utf8'));
    await sql.batch([...statements.map((s) => [s, []]), ['INSERT INTO d1_migrations (name) VALUES (?1)', [file]]]);
  }
}

/**
 * A second worker in the same workerd, bound to the same D1 database: the suites' SQL goes
 * through it with an ordinary (async) fetch. Miniflare's own D1 proxy for Node
 * (`getD1Database`) makes synchronous calls for `prepare`/`bind` through a worker-thread
 * handshake that races when that thread is preempted (workers-sdk PR #15552, merged
 * after the newest miniflare that runs on Node 20): the proxy then stays out of step for
 * the rest of the instance, and a loaded machine failed a suite's `before` that way.
 */
const SQL_WORKER = `export default {
  async fetch(request, env) {
    const { sql, args, batch } = await request.json();
    try {
      if (batch) {
        const results = await env.DB.batch(batch.map(([s, a]) => env.DB.prepare(s).bind(...a)));
        return Response.json({ results: results.map((r) => r.results) });
      }
      const { results } = await env.DB.prepare(sql).bind(...args).all();
      return Response.json({ results });
    } catch (e) {
      return Response.json({ error: String(e && e.message || e) }, { status: 500 });
    }
  },
};`;

/** The SQL of `mf`'s companion worker: `query(sql, ...args)` rows, `batch([[sql, args], ...])`. */
async function sqlClient(mf) {
  const fetcher = await mf.getWorker('sql');
  const call = async (body) => {
    const res = await fetcher.fetch('http://sql/', { method: 'POST', body: JSON.stringify(body) });
    const out = await res.json();
    if (res.status !== 200) throw new Error(`D1: ${out.error} (${body.sql ?? 'batch'})`);
    return out.results;
  };
  return { query: (sql, ...args) => call({ sql, args }), batch: (batch) => call({ batch }) };
}

/** Miniflare's log, every message also handed to `listener` (warnings still printed). */
class ListeningLog extends Log {
  constructor(listener) { super(LogLevel.INFO); this.listener = listener; }
  logWithLevel(level, message) {
    this.listener(message);
    if (level <= LogLevel.WARN) super.logWithLevel(level, message);
  }
}

/**
 * @param {object} options
 * @param {Record<string,string>} [options.vars] extra or overriding vars/secrets
 * @param {boolean} [options.migrate=true] apply migrations/ first
 * @param {boolean} [options.issuerFromPort=true] set ISSUER to the worker's own URL
 * @param {string} [options.stateDir] reuse the D1/KV state of a stopped worker (a restart:
 *   every isolate cold, the database as it was)
 * @param {string} [options.hostName='127.0.0.1'] the host of the URL (and ISSUER): `localhost`
 *   for passkeys, which WebAuthn refuses on an IP address
 * @param {object} [options.workerOptions] more Miniflare options for the worker (a binding
 *   wrangler.toml does not declare, e.g. `email.send_email`)
 * @param {object} [options.cf] the `request.cf` every request carries (Cloudflare's
 *   placing of the address: `{ city, regionCode, country }`); none by default
 * @param {(message: string) => void} [options.onLog] hears Miniflare's own log lines
 * @param {number} [options.port] the port, when another party must know the URL beforehand
 */
export async function startWorker({ vars = {}, migrate = true, issuerFromPort = true, stateDir: reuse,
  hostName = '127.0.0.1', port: fixedPort, workerOptions = {}, onLog, cf = false } = {}) {
  const stateDir = reuse ?? await mkdtemp(join(tmpdir(), 'authority-e2e-'));
  const port = fixedPort ?? await freePort();
  const url = `http://${hostName}:${port}`;
  let logs = '';
  const authority = authorityWorkerOptions({ bindings: {
    SECRET_KEY: randomBytes(32).toString('hex'),
    // Warnings and errors only (the default, as wrangler.toml says; a test that reads the
    // log sets its own level).
    LOG_LEVEL: 'warn',
    ...(issuerFromPort ? { ISSUER: url } : {}),
    ...vars,
  } });
  const mf = new Miniflare({
    host: '127.0.0.1',
    port,
    // The first worker answers the port; `sql` only the suites (sqlClient).
    workers: [{ name: 'authority', ...authority, ...workerOptions },
      { name: 'sql', modules: true, script: SQL_WORKER, compatibilityDate: authority.compatibilityDate,
        d1Databases: authority.d1Databases }],
    // No request.cf fetch from the network (closed here), as CLOUDFLARE_CF_FETCH_ENABLED=false;
    // a test may give every request Cloudflare's placing of its address (`{ city, country }`).
    cf,
    d1Persist: join(stateDir, 'd1'),
    kvPersist: join(stateDir, 'kv'),
    // `onLog` hears what Miniflare's simulators say (the send_email binding names the
    // file it wrote a message to).
    log: onLog ? new ListeningLog(onLog) : new Log(LogLevel.WARN),
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => { logs += d; });
      stderr.on('data', (d) => { logs += d; });
    },
  });
  let sql;
  try {
    await mf.ready;
    sql = await sqlClient(mf);
    if (migrate) await applyMigrations(sql);
  } catch (e) {
    await mf.dispose().catch(() => {}); // a live workerd would keep the test process waiting
    throw new Error(`the worker did not start: ${e.stack}\n${logs}`);
  }

  const worker = {
    url,
    stateDir,
    logs: () => logs,
    /** Runs one SQL statement on the worker's D1 and returns its rows. */
    async query(statement, ...args) {
      return sql.query(statement, ...args);
    },
    /** Runs the Cron Trigger's handler, as `wrangler dev --test-scheduled`'s /__scheduled. */
    async scheduled(cron) {
      const fetcher = await mf.getWorker();
      return fetcher.scheduled({ cron, scheduledTime: new Date() });
    },
    /** Stops the worker; its state is deleted unless `keepState` (for a restart). */
    async stop({ keepState = false } = {}) {
      liveWorkers.delete(worker);
      await mf.dispose();
      if (!keepState) await rm(stateDir, { recursive: true, force: true });
    },
  };
  liveWorkers.add(worker);
  return worker;
}

/**
 * An app of the test's own: a real HTTP server on a free port that records each request
 * (its full URL, method and body) and answers a plain page, so a browser's navigation to
 * a redirect URI ends there. `next()` resolves with the next request it receives.
 */
export async function startApp() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const requests = [];
  let waiters = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const seen = { url: `${origin}${req.url}`, method: req.method, body };
      requests.push(seen);
      for (const w of waiters) w(seen);
      waiters = [];
      res.writeHead(200, { 'content-type': 'text/plain' }).end('the app');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin,
    callback: `${origin}/callback`,
    requests,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Points the development client `demo-app` at `app` (its callback and its origin as the
 * post-logout URI) instead of the fixed 127.0.0.1:3000 of `make dev`, so a suite runs
 * beside anything a developer serves there. The worker bootstraps its clients on the
 * first request, which this makes.
 */
export async function pointDemoAppAt(worker, app) {
  // The token endpoint ensures the bootstrap clients once it has a well-formed request
  // (this one then fails: no client).
  await fetch(`${worker.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials' }).then((r) => r.arrayBuffer());
  const uris = [JSON.stringify([app.callback]), JSON.stringify([`${app.origin}/`])];
  await worker.query("UPDATE clients SET redirect_uris = ?1, post_logout_redirect_uris = ?2 WHERE client_id = 'demo-app'",
    ...uris);
  const [row] = await worker.query("SELECT redirect_uris FROM clients WHERE client_id = 'demo-app'");
  if (row?.redirect_uris !== uris[0]) throw new Error(`demo-app was not pointed at ${app.callback}: ${JSON.stringify(row)}`);
}

/**
 * A confidential client written straight into the worker's D1 (what a bootstrap or an
 * admin would make), with one `client_secret_basic` secret: how the suites get a client
 * the registration rules would refuse (the password grant, the `admin` scope).
 */
export async function insertClient(worker, { id, secret, grants = ['password'], scopes = ['openid', 'admin'],
  idTokenAlg = null }) {
  await worker.query(`INSERT INTO clients (client_id, client_name, client_type, token_endpoint_auth_method,
    redirect_uris, grant_types, response_types, scopes, created_at, updated_at, id_token_signed_response_alg)
    VALUES (?1, ?1, 'confidential', 'client_secret_basic', '[]', ?2, '[]', ?3, 0, 0, ?4)`,
  id, JSON.stringify(grants), JSON.stringify(scopes), idTokenAlg);
  const hash = createHash('sha256').update(secret).digest('base64url');
  await worker.query(`INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at)
    VALUES (?1, ?2, ?3, 0)`, `s-${id}`, id, hash);
}

/** A client's `Basic` credentials (RFC 6749 §2.3.1, RFC 7617). */
export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** An access token with the `admin` scope for the service account `id` (client_credentials). */
export async function serviceToken(worker, id, secret) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: { authorization: basic(id, secret),
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`the service account ${id} got no admin token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/**
 * The admin API of `worker` as the service account `id`: `(method, path, body)` sends
 * `body` as JSON with a fresh admin token and resolves to `{ status, body }`.
 */
export function adminApi(worker, id, secret) {
  return async (method, path, body) => {
    const res = await fetch(`${worker.url}${path}`, { method, headers: {
      authorization: `Bearer ${await serviceToken(worker, id, secret)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** Headless Debian Chromium through playwright-core (docs/architecture.md's flags). */
export async function launchChromium({ args = [] } = {}) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...args],
  });
  // Every context records what a failed test will print (see afterEach above).
  const newContext = browser.newContext.bind(browser);
  // English unless a test says otherwise: the pages speak the browser's language
  // (docs/i18n.md), and a machine's own locale must not change what a test reads.
  browser.newContext = async (options = {}) => {
    const context = await newContext({ locale: 'en-US', ...options });
    context.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') remember(`console.${m.type()}: ${m.text()}`); });
    context.on('weberror', (e) => remember(`page error: ${e.error().message}`));
    context.on('requestfailed', (r) => remember(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
    context.on('response', (r) => { if (r.status() >= 500) remember(`answer ${r.status()}: ${r.request().method()} ${r.url()}`); });
    return context;
  };
  return browser;
}

/**
 * Opens a console path in `page` and signs in on the way (the console is a client of this
 * server: /authorize sends the browser to the sign-in form first). Resolves once the
 * screen's `heading` shows.
 */
export async function openConsole(page, url, email, password, heading) {
  await page.goto(url);
  await page.waitForURL(/\/signin\?request=/, { timeout: 15_000 });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: heading, exact: true }).waitFor({ timeout: 15_000 });
}
