// End-to-end: the documents' shell blocks run (README.md, then docs/usage.md, in order,
// in one bash with `set -euo pipefail`) against a fresh server configured as `make dev`
// is (.dev.vars.example, plus what a block's `<!-- docs.test: set NAME=value -->` says
// the reader turns on). A variable used before a block defines it, a command that fails,
// or an answer that lost a field its comment shows (`# {"field": ...}`) fails the test,
// naming the block. Blocks marked `<!-- docs.test: skip: why -->` are not run; each says
// which test plays it instead. `make login`'s device code is approved in Chromium as the
// reader would, signed in as the development super_admin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCUMENTS = ['README.md', 'docs/usage.md'];
const DEV_URL = 'http://localhost:8787';
let worker;
let browser;
let scratch;

/** Each ```sh block of `file` with its line and the `docs.test` note just above it. */
function blocks(file, text) {
  const lines = text.split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    const note = /^<!-- docs\.test: (skip|set):? (.*) -->$/.exec(lines[i - 1] ?? '');
    found.push({ where: `${file}:${i + 1}`, body: lines.slice(i + 1, end).join('\n'),
      skip: note?.[1] === 'skip' ? note[2] : null, set: note?.[1] === 'set' ? note[2].split(/\s+/) : [] });
    i = end;
  }
  return found;
}

/** The JSON fields a block's comments show its answers have (`# {"a":1,...}`). */
function shownFields(body) {
  const fields = new Set();
  for (const line of body.split('\n').filter((l) => /^\s*#\s/.test(l) || /^\s*#\s*$/.test(l))) {
    for (const [, name] of line.matchAll(/"([A-Za-z_]+)":/g)) fields.add(name);
  }
  return fields;
}

const all = [];

before(async () => {
  for (const file of DOCUMENTS) all.push(...blocks(file, await readFile(join(root, file), 'utf8')));
  const dev = Object.fromEntries((await readFile(join(root, '.dev.vars.example'), 'utf8')).split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  delete dev.SECRET_KEY; // the harness makes one
  delete dev.ISSUER; // the server's own address
  const turnedOn = Object.fromEntries(all.flatMap((b) => b.set).map((pair) => pair.split('=')));
  worker = await startWorker({ hostName: 'localhost', vars: { ...dev, ...turnedOn, RATE_LIMIT_LOGIN_MAX: '100' } });
  browser = await launchChromium();
  scratch = await mkdtemp(join(tmpdir(), 'authority-docs-'));
});
after(async () => {
  await browser?.close();
  await worker?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** What the reader does when `make login` prints its address: approve in the browser. */
async function approve(context, address, code) {
  const page = await context.newPage();
  await page.goto(address);
  const signIn = page.getByLabel('Email');
  const question = page.getByText(`Only continue if your device shows the code ${code}.`);
  await signIn.or(question).first().waitFor({ timeout: 15_000 });
  if (await signIn.isVisible()) {
    await signIn.fill('admin@example.com');
    await page.getByLabel('Password').fill('dev-admin-password-change-me');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await question.waitFor({ timeout: 15_000 });
  }
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByText('Your device is connected').waitFor({ timeout: 15_000 });
  await page.close();
}

test('the documents\' shell blocks run in order against a fresh server and their answers keep the fields shown', async () => {
  const runnable = all.filter((b) => !b.skip);
  assert.ok(runnable.length >= 15, `only ${runnable.length} blocks found`);
  for (const b of all.filter((b) => b.skip)) assert.match(b.skip, /\(tests\/e2e\/[a-z-]+\.test\.mjs|wrangler|starts the server/, `${b.where}: a skipped block says what plays it`);
  const script = ['set -euo pipefail', 'open() { echo "(a browser opens $*)"; }',
    ...runnable.map((b, i) => `echo "@@block ${i}"\n${b.body.replaceAll(DEV_URL, worker.url)}`), 'echo "@@end"'].join('\n');
  const path = join(scratch, 'documents.sh');
  await writeFile(path, script);
  const shell = spawn('bash', [path], { cwd: root, env: { ...process.env, ISSUER: worker.url } });
  let stdout = '';
  let stderr = '';
  const context = await browser.newContext();
  const approvals = [];
  shell.stdout.on('data', (d) => { stdout += d; });
  shell.stderr.on('data', (d) => {
    stderr += d;
    for (const [, address, code] of String(d).matchAll(/Open (\S+) in a browser, sign in as an admin and approve code (\S+)\./g)) {
      approvals.push(approve(context, address, code));
    }
  });
  const status = await new Promise((done) => shell.on('exit', done));
  if (process.env.E2E_DEBUG) console.log(stdout, stderr);
  await Promise.all(approvals);
  const reached = [...stdout.matchAll(/@@block (\d+)/g)].map((m) => Number(m[1])).pop();
  assert.equal(status, 0, `${runnable[reached]?.where} failed (exit ${status}):\n${stderr.slice(-2000)}`);
  assert.match(stdout, /@@end/);
  const outputs = stdout.split(/@@block \d+\n/).slice(1);
  for (const [i, b] of runnable.entries()) {
    const output = outputs[i] ?? '';
    const missing = [...shownFields(b.body)].filter((field) => !output.includes(`"${field}":`));
    assert.deepEqual(missing, [], `${b.where}: the answers lack fields its comments show:\n${output.slice(0, 1500)}`);
  }
});
