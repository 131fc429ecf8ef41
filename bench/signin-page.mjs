// `make bench`'s sign-in page row: how soon the page a person sees first is ready.
// Headless Chromium (Debian's, through playwright-core) opens /signin in fresh contexts
// (nothing cached) against the built worker in workerd, and measures the time from
// navigation to the password field being visible; the median of the runs is printed
// with one run's waterfall (each request's start and end, ms after navigation). Each
// round also loads the page as it was before the page named what it needs first (the
// preload links taken out of the HTML, boot.js loading one file after another), so the
// two medians come from the same run on this shared machine.
// Run alone: `node bench/signin-page.mjs`.
import { startWorker, launchChromium } from '../tests/e2e/harness.mjs';

const RUNS = 7;

/** boot.js before: each file asked for once the one before it had arrived. */
const SEQUENTIAL_BOOT = `const path = location.pathname;
const app = path === '/admin' || path.startsWith('/admin/') ? 'console' : 'public';
if (app === 'public') await import('/webauthn.js');
const { default: init } = await import(\`/\${app}.js\`);
init({ module_or_path: \`/\${app}_bg.wasm\` });`;

/** `{ interactive, waterfall }` of one fresh load of `url`; `sequential`: as before. */
async function load(browser, url, sequential = false) {
  const context = await browser.newContext();
  if (sequential) {
    await context.route('**/signin', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/\s*<link rel="(modulepreload|preload)"[^>]*>/g, '');
      await route.fulfill({ response, body });
    });
    await context.route('**/boot.js', (route) => route.fulfill({ contentType: 'text/javascript', body: SEQUENTIAL_BOOT }));
  }
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  await page.getByLabel('Password').waitFor({ state: 'visible', timeout: 30_000 });
  const interactive = await page.evaluate(() => performance.now());
  const waterfall = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => ({
    name: new URL(e.name).pathname, start: Math.round(e.startTime), end: Math.round(e.responseEnd),
    bytes: e.transferSize })));
  await context.close();
  return { interactive: Math.round(interactive), waterfall };
}

export async function signInPage() {
  const worker = await startWorker({ hostName: 'localhost' });
  const browser = await launchChromium();
  try {
    await load(browser, `${worker.url}/signin`); // the isolate and its first configuration read
    const runs = [];
    const before = [];
    for (let i = 0; i < RUNS; i += 1) {
      runs.push(await load(browser, `${worker.url}/signin`));
      before.push((await load(browser, `${worker.url}/signin`, true)).interactive);
    }
    const times = runs.map((r) => r.interactive).sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const typical = runs.find((r) => r.interactive === median);
    before.sort((a, b) => a - b);
    return { median, times, waterfall: typical.waterfall, before: before[Math.floor(before.length / 2)] };
  } finally {
    await browser.close();
    await worker.stop();
  }
}

export function printSignInPage({ median, times, waterfall, before }) {
  console.log(`\nSign-in page interactive (navigation → password field visible), ${RUNS} fresh loads in Chromium: median ${median} ms (target 300: ${median <= 300 ? 'met' : 'MISSED'}); all ${times.join(', ')}`);
  console.log(`The same page loaded as before (no preloads, one file after another), in the same run: median ${before} ms; now ${(median / before).toFixed(2)}x that`);
  console.log('Its waterfall (the median load, ms after navigation):');
  for (const r of waterfall) console.log(`  ${String(r.start).padStart(5)} → ${String(r.end).padStart(5)}  ${r.name}`);
}

if (import.meta.url === `file://${process.argv[1]}`) printSignInPage(await signInPage());
