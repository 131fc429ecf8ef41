// End-to-end: every screen in both themes (docs/i18n.md's pages and the console), in
// Chromium. Each public page and each console screen is opened in the dark and the light
// theme and photographed (target/e2e-screenshots/screens/), and on each every text field,
// select and text area wears the theme (its background is the theme's --bg-primary, its
// border the theme's --border-color: no native grey box), and no table header wraps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole } from './harness.mjs';

const ROOT = ['root@example.com', 'e2e-root-password-0123'];
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots', 'screens');
const PUBLIC = [['start', '/', 'Authority'], ['signin', '/signin', 'Sign in'], ['signup', '/signup', 'Create your account'],
  ['forgot-password', '/forgot-password', 'Reset your password'], ['reset-password', '/reset-password?token=x', 'Choose a new password'],
  ['verify-email', '/verify-email', 'Verify your email'], ['activate', '/activate', 'Connect a device']];
const SIGNED_IN = [['account', '/account', 'Your account'], ['mfa-setup', '/mfa/setup?next=%2Faccount', 'Set up two-step sign-in']];
const CONSOLE = [['dashboard', '/admin', 'Dashboard'], ['keys', '/admin/keys', 'Signing keys'], ['users', '/admin/users', 'Users'],
  ['clients', '/admin/clients', 'Clients'], ['new-client', '/admin/clients/new', 'New client'], ['scopes', '/admin/scopes', 'Scopes'],
  ['resources', '/admin/resources', 'Resources'], ['providers', '/admin/providers', 'Sign-in providers'],
  ['sessions', '/admin/sessions', 'Sessions'], ['audit', '/admin/audit', 'Audit log'], ['settings', '/admin/settings', 'Settings'],
  ['outbox', '/admin/outbox', 'Outbox'], ['deliveries', '/admin/deliveries', 'Deliveries'],
  ['mail-templates', '/admin/mail-templates', 'Mail templates']];
let worker;
let browser;

before(async () => {
  worker = await startWorker({ hostName: 'localhost', vars: { ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1],
    TERMS_URL: 'https://example.com/terms', COMPANY_NAME: 'Acme Identity', RATE_LIMIT_LOGIN_MAX: '100' } });
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

/** What on the page does not wear the theme: controls with another background or border, wrapping headers. */
function unthemed(page) {
  return page.evaluate(() => {
    const root = getComputedStyle(document.documentElement);
    const probe = document.createElement('div');
    document.body.append(probe);
    const resolve = (name) => { probe.style.color = root.getPropertyValue(name).trim(); return getComputedStyle(probe).color; };
    const [bg, border] = [resolve('--bg-primary'), resolve('--border-color')];
    probe.remove();
    const found = [];
    for (const el of document.querySelectorAll('input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea')) {
      const style = getComputedStyle(el);
      if (style.backgroundColor !== bg || style.borderTopColor !== border) {
        found.push(`${el.tagName.toLowerCase()}#${el.id}: background ${style.backgroundColor}, border ${style.borderTopColor}`);
      }
    }
    for (const th of document.querySelectorAll('th')) {
      if (getComputedStyle(th).whiteSpace !== 'nowrap') found.push(`th "${th.textContent}" may wrap`);
    }
    return found;
  });
}

/** A browser profile in `theme` (the choice the theme toggle remembers). */
async function themed(theme) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((t) => {
    try { localStorage.setItem('authority.theme', t); } catch { /* about:blank has no storage */ }
  }, theme);
  return context;
}

/** Every public page in `theme`, signed out and then signed in. */
async function publicPages(theme) {
  const context = await themed(theme);
  const page = await context.newPage();
  for (const [name, path, heading] of PUBLIC) {
    await page.goto(`${worker.url}${path}`);
    await page.getByRole('heading', { name: heading }).first().waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.className), theme === 'light' ? 'theme-light' : '');
    assert.deepEqual(await unthemed(page), [], `${name} (${theme})`);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${theme}.png`), fullPage: true });
  }
  await page.goto(`${worker.url}/signin?next=%2Faccount`);
  await page.getByLabel('Email').fill(ROOT[0]);
  await page.getByLabel('Password').fill(ROOT[1]);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/account');
  for (const [name, path, heading] of SIGNED_IN) {
    await page.goto(`${worker.url}${path}`);
    await page.getByRole('heading', { name: heading }).first().waitFor();
    assert.deepEqual(await unthemed(page), [], `${name} (${theme})`);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${theme}.png`), fullPage: true });
  }
  await context.close();
}

/** Every console screen in `theme`, reached through the sidebar. */
async function consoleScreens(theme) {
  const context = await themed(theme);
  const page = await context.newPage();
  await openConsole(page, `${worker.url}/admin`, ...ROOT, 'Dashboard');
  for (const [name, path, heading] of CONSOLE) {
    await page.getByRole('link', { name: heading === 'New client' ? 'Clients' : heading, exact: true }).first().click();
    if (path === '/admin/clients/new') await page.getByRole('link', { name: 'New client' }).click();
    await page.waitForURL((u) => u.pathname === path);
    await page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
    // Its data in (not "network idle": the dashboard polls, so the network may never rest).
    await page.waitForFunction(() => !document.body.innerText.includes('Loading…'));
    assert.deepEqual(await unthemed(page), [], `${name} (${theme})`);
    await page.screenshot({ path: join(SCREENSHOTS, `console-${name}-${theme}.png`), fullPage: true });
  }
  await context.close();
}

test('every public page in the dark theme: controls themed, photographed', () => publicPages('dark'));
test('every public page in the light theme: controls themed, photographed', () => publicPages('light'));
test('every console screen in the dark theme: controls themed, headers on one line, photographed',
  () => consoleScreens('dark'));
test('every console screen in the light theme: controls themed, headers on one line, photographed',
  () => consoleScreens('light'));
