// End-to-end: settings (docs/configuration.md): GET /api/settings shows every
// effective setting with its source and never a secret; a super_admin changes run-time
// settings in the console and they apply at once (branding, token lifetime); a bad value
// is refused with the variable's name; an admin cannot change settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole } from './harness.mjs';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
const ROOT_EMAIL = 'root@example.com';
const ROOT_PASSWORD = 'e2e-admin-password-123';
const ADMIN_ID = 'e2e-admin-cli';
const ADMIN_SECRET = 'e2e-admin-cli-secret-0123456789abcdef0123';
let worker;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: ROOT_EMAIL, ADMIN_PASSWORD: ROOT_PASSWORD,
    ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

async function serviceToken() {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', headers: {
    authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=admin' });
  return res.json();
}

test('every setting with its source; secrets never shown; an admin (service account) cannot change them', async () => {
  const { access_token: admin } = await serviceToken();
  const res = await fetch(`${worker.url}/api/settings`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(!text.includes(ADMIN_SECRET) && !text.includes(ROOT_PASSWORD), 'no secret value in the answer');
  const byName = Object.fromEntries(JSON.parse(text).map((s) => [s.name, s]));
  assert.deepEqual([byName.SECRET_KEY.value, byName.SECRET_KEY.secret, byName.SECRET_KEY.runtime], ['set', true, false]);
  assert.deepEqual([byName.ACCESS_TOKEN_TTL.source, byName.ACCESS_TOKEN_TTL.runtime], ['environment', true]);
  assert.equal(byName.ISSUER.value, worker.url);
  const patch = await fetch(`${worker.url}/api/settings`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`,
    'content-type': 'application/json' }, body: JSON.stringify({ APP_NAME: 'Mine' }) });
  assert.equal(patch.status, 403);
});

test('the console\'s Settings screen: a super_admin changes branding and a token lifetime; they apply at once', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await openConsole(page, `${worker.url}/admin/settings`, ROOT_EMAIL, ROOT_PASSWORD, 'Settings');
    // A bad value: refused with the variable's name, nothing changes.
    await page.getByLabel('ACCESS_TOKEN_TTL').fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'ACCESS_TOKEN_TTL' }).waitFor({ timeout: 15_000 });
    await page.getByLabel('ACCESS_TOKEN_TTL').fill('600');
    await page.getByLabel('APP_NAME').fill('Acme ID');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved: ACCESS_TOKEN_TTL, APP_NAME.').waitFor({ timeout: 15_000 });
    await page.getByRole('row').filter({ hasText: 'APP_NAME' }).getByText(/changed .* by /).waitFor({ timeout: 15_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-settings.png'), fullPage: true });

    const ui = await (await fetch(`${worker.url}/api/ui-config`)).json();
    assert.equal(ui.app_name, 'Acme ID');
    assert.equal((await serviceToken()).expires_in, 600);
    const audit = await worker.query("SELECT metadata FROM audit_log WHERE event = 'settings.updated'");
    assert.equal(audit.length, 1, 'the refused change left no entry');
    assert.equal(JSON.parse(audit[0].metadata).changed.ACCESS_TOKEN_TTL.to, '600');

    await page.getByRole('row').filter({ hasText: 'ACCESS_TOKEN_TTL' })
      .getByRole('button', { name: "Use the deployment's value" }).click();
    await page.getByText("ACCESS_TOKEN_TTL is back to the deployment's value.").waitFor({ timeout: 15_000 });
    assert.equal((await serviceToken()).expires_in, 3600);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
