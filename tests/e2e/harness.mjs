// Starts the built worker in workerd through `wrangler dev`, exactly as `make dev` does
// (same wrangler.toml, [assets] and bindings), but on a free port with a fresh local D1
// and KV in a temporary directory. Each test file gets its own worker.
import { afterEach } from 'node:test';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const run = promisify(execFile);
const quietEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  CI: 'true', // no prompts
  NO_COLOR: '1',
};

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

/** Runs a wrangler command; a run that hangs is killed after `ms` and its output shown. */
async function wranglerRun(args, ms = 60_000) {
  try {
    return await run(wrangler, args, { cwd: root, env: quietEnv, timeout: ms, killSignal: 'SIGKILL' });
  } catch (e) {
    throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed${e.killed ? ` (killed after ${ms} ms)` : ''}: `
      + `${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

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
 * Runs a SQL statement against the worker's local D1 and returns the rows. `wrangler d1
 * execute` starts its own workerd each time, which now and then hangs (killed after 60 s)
 * or dies on an internal assertion ("false == true") beside a running `wrangler dev`; such
 * a run is tried once more, said in the output. A wrong statement fails both times, and
 * one that had committed fails visibly the second time (a duplicate key).
 */
export async function d1Query(stateDir, sql) {
  const args = ['d1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json', '--command', sql];
  const { stdout } = await wranglerRun(args).catch((e) => {
    console.log(`# d1Query: running it again after: ${e.message.slice(0, 400)}`);
    return wranglerRun(args);
  });
  return JSON.parse(stdout)[0].results;
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
 * @param {number} [options.port] the port, when another party must know the URL beforehand
 */
export async function startWorker({ vars = {}, migrate = true, issuerFromPort = true, stateDir: reuse,
  hostName = '127.0.0.1', port: fixedPort } = {}) {
  const stateDir = reuse ?? await mkdtemp(join(tmpdir(), 'authority-e2e-'));
  if (migrate) {
    await wranglerRun(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], 120_000);
  }
  const port = fixedPort ?? await freePort();
  const inspectorPort = await freePort();
  const url = `http://${hostName}:${port}`;
  const allVars = {
    SECRET_KEY: randomBytes(32).toString('hex'),
    ...(issuerFromPort ? { ISSUER: url } : {}),
    ...vars,
  };
  // An explicit (empty) env file keeps wrangler from loading the developer's .dev.vars:
  // each suite sees only the vars it passes.
  const envFile = join(stateDir, 'test.env');
  await writeFile(envFile, '');
  const args = [
    'dev', '--persist-to', stateDir, '--env-file', envFile, '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspectorPort), '--log-level', 'warn', '--show-interactive-dev-session=false',
    // As `make dev`: GET /__scheduled runs the Cron Trigger's handler.
    '--test-scheduled',
  ];
  for (const [k, v] of Object.entries(allVars)) args.push('--var', `${k}:${v}`);
  const child = spawn(wrangler, args, { cwd: root, env: quietEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${logs}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      break; // any HTTP answer means the worker is up (health may be 503 on purpose)
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`wrangler dev did not answer within 90 s:\n${logs}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const worker = {
    url,
    stateDir,
    logs: () => logs,
    /** Stops the worker; its state is deleted unless `keepState` (for a restart). */
    async stop({ keepState = false } = {}) {
      liveWorkers.delete(worker);
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      await new Promise((r) => { if (child.exitCode !== null) r(); else { child.on('exit', r); setTimeout(r, 5000); } });
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      if (!keepState) await rm(stateDir, { recursive: true, force: true });
    },
  };
  liveWorkers.add(worker);
  return worker;
}

/** Headless Debian Chromium through playwright-core (docs/architecture.md's flags). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // Every context records what a failed test will print (see afterEach above).
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...options) => {
    const context = await newContext(...options);
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
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: heading, exact: true }).waitFor({ timeout: 15_000 });
}
