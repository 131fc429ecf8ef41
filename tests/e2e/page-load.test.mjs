// End-to-end: the sign-in page names what it needs first (docs/benchmark.md, "The sign-in
// page"): its HTML asks for the public module, its wasm, the configuration and the
// session at once; in Chromium each of those is fetched once (the page's own requests take
// the preloaded answers, none is asked twice) and nothing of the console is; the console's
// page asks for the console's files and never the public pages'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, launchChromium } from './harness.mjs';

let worker;
let browser;

before(async () => {
  worker = await startWorker({ hostName: 'localhost' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

const FIRST = ['/public.js', '/webauthn.js', '/public_bg.wasm', '/api/ui-config', '/api/session'];

test('the sign-in page asks for its module, wasm, configuration and session with the HTML, each once', async () => {
  const html = await (await fetch(`${worker.url}/signin`)).text();
  for (const path of FIRST) assert.match(html, new RegExp(`<link rel="(module)?preload" href="${path}"`), path);
  assert.doesNotMatch(html, /console/);
  const admin = await (await fetch(`${worker.url}/admin/keys`)).text();
  assert.match(admin, /<link rel="preload" href="\/console_bg.wasm" as="fetch"/);
  assert.doesNotMatch(admin, /public/);

  const context = await browser.newContext();
  const page = await context.newPage();
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(`${worker.url}/signin`);
  await page.getByLabel('Password').waitFor({ timeout: 15_000 });
  for (const path of FIRST) assert.equal(requested.filter((p) => p === path).length, 1, `${path}: ${requested.join(' ')}`);
  assert.ok(!requested.some((p) => p.startsWith('/console')), requested.join(' '));
  await context.close();
});

test('each page names its own module (shared::paths::BrowserApp): the account\'s pages load the account module only, an unknown page the public one', async () => {
  const head = async (path) => {
    const html = await (await fetch(`${worker.url}${path}`)).text();
    return html.match(/<link rel="preload" href="\/(\w+)_bg\.wasm"/g)?.map((l) => l.match(/\/(\w+)_bg/)[1]);
  };
  for (const path of ['/', '/signin', '/signup', '/consent', '/mfa', '/password', '/no-such-page', '/mfa/setup/x']) {
    assert.deepEqual(await head(path), ['public'], path);
  }
  for (const path of ['/account', '/account/', '/mfa/setup', '/activate', '/forgot-password', '/reset-password', '/verify-email']) {
    assert.deepEqual(await head(path), ['account'], path);
  }
  assert.deepEqual(await head('/admin/users'), ['console']);
  const account = await (await fetch(`${worker.url}/account`)).text();
  for (const path of ['/account.js', '/webauthn.js', '/account_bg.wasm', '/api/ui-config', '/api/session']) {
    assert.match(account, new RegExp(`<link rel="(module)?preload" href="${path}"`), path);
  }

  const context = await browser.newContext();
  const page = await context.newPage();
  const modules = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && modules.push(new URL(r.url()).pathname));
  await page.goto(`${worker.url}/forgot-password`);
  await page.getByRole('button', { name: 'Send reset link' }).waitFor({ timeout: 15_000 });
  assert.deepEqual(modules, ['/account_bg.wasm'], 'the account module only');
  modules.length = 0;
  await page.goto(`${worker.url}/no-such-page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor({ timeout: 15_000 });
  assert.deepEqual(modules, ['/public_bg.wasm']);
  await context.close();
});
