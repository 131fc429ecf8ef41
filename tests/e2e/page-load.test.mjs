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
