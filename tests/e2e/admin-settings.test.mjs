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

test('the console\'s Settings screen: a super_admin changes a token lifetime and the brand with its preview; pages and mail show it at once', async () => {
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
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved: ACCESS_TOKEN_TTL.').waitFor({ timeout: 15_000 });
    await page.getByRole('row').filter({ hasText: 'ACCESS_TOKEN_TTL' }).getByText(/changed .* by /).waitFor({ timeout: 15_000 });

    // The brand, with its live preview; a colour the pages could not use is refused as it is typed.
    const brand = page.getByRole('form', { name: 'Branding' });
    const preview = page.getByRole('img', { name: 'Preview of the sign-in page' });
    await brand.getByLabel('Name', { exact: true }).fill('Acme ID');
    await preview.getByText('Acme ID').waitFor();
    await brand.getByLabel('Primary colour').fill('red;}body{display:none');
    await brand.getByRole('alert').filter({ hasText: 'must look like #7c3aed' }).waitFor();
    assert.equal(await brand.getByRole('button', { name: 'Save branding' }).isDisabled(), true);
    await brand.getByLabel('Primary colour').fill('#0a7d4f');
    await brand.getByLabel('Logo URL').fill('https://logo.example/acme.png');
    await brand.getByLabel('Company name').fill('Acme Corp');
    await brand.getByLabel('Company address').fill('1 Main St, Springfield');
    await preview.getByText('© Acme Corp · 1 Main St, Springfield').waitFor();
    assert.equal(await preview.evaluate((e) => getComputedStyle(e).getPropertyValue('--primary-color').trim()), '#0a7d4f');
    await brand.getByRole('button', { name: 'Save branding' }).click();
    await page.getByText(/^Saved: APP_NAME, COMPANY_ADDRESS, COMPANY_NAME, LOGO_URL, PRIMARY_COLOR\./).waitFor({ timeout: 15_000 });
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'admin-settings.png'), fullPage: true });

    // The pages show it (the isolate picks a change up within 30 s; this test's worker has one isolate).
    const signin = await browser.newPage();
    await signin.goto(`${worker.url}/signin`);
    await signin.getByRole('heading', { name: 'Acme ID' }).waitFor();
    assert.equal(await signin.locator('.brand img.logo').getAttribute('src'), 'https://logo.example/acme.png');
    assert.equal(await signin.evaluate(() => document.documentElement.style.getPropertyValue('--primary-color')), '#0a7d4f');
    await signin.getByText('© Acme Corp · 1 Main St, Springfield').waitFor();
    await signin.screenshot({ path: join(SCREENSHOTS, 'signin-branded.png') });
    await signin.close();
    // And so does the next mail.
    const reset = await fetch(`${worker.url}/api/password-reset`, { method: 'POST',
      headers: { 'content-type': 'application/json', origin: worker.url }, body: JSON.stringify({ email: ROOT_EMAIL }) });
    assert.equal(reset.status, 200);
    let mail;
    for (let i = 0; i < 50 && !mail; i += 1) {
      [mail] = await worker.query("SELECT html_body AS html, text_body AS text FROM mail_outbox WHERE template = 'password-reset'");
      if (!mail) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(mail.html, /<img src="https:\/\/logo\.example\/acme\.png" alt="Acme ID"/);
    assert.match(mail.html, /background-color:#0a7d4f/);
    assert.match(mail.html, /© Acme Corp\. All rights reserved\./);
    assert.match(mail.text, /This email was sent by Acme ID\.\n© Acme Corp\. All rights reserved\.\n1 Main St, Springfield/);

    const ui = await (await fetch(`${worker.url}/api/ui-config`)).json();
    assert.equal(ui.app_name, 'Acme ID');
    assert.equal((await serviceToken()).expires_in, 600);
    const audit = await worker.query("SELECT metadata FROM audit_log WHERE event = 'settings.updated'");
    assert.equal(audit.length, 2, 'the refused change left no entry');
    assert.equal(JSON.parse(audit[0].metadata).changed.ACCESS_TOKEN_TTL.to, '600');

    await page.getByRole('row').filter({ hasText: 'ACCESS_TOKEN_TTL' })
      .getByRole('button', { name: "Use the deployment's value" }).click();
    await page.getByText("ACCESS_TOKEN_TTL is back to the deployment's value.").waitFor({ timeout: 15_000 });
    assert.equal((await serviceToken()).expires_in, 3600);

    // ADMIN_ALLOWED_IPS without this admin's own address: asked first, naming it (the
    // address Miniflare reports for the browser, as Cloudflare would).
    await page.getByLabel('ADMIN_ALLOWED_IPS').fill('192.0.2.0/24');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Confirm the admin address list' });
    await ask.getByText(/^Your own address 127\.0\.0\.1 will be refused/).waitFor({ timeout: 15_000 });
    const before = await fetch(`${worker.url}/api/users`, { headers: { authorization: `Bearer ${(await serviceToken()).access_token}` } });
    assert.equal(before.status, 200, 'nothing changed until confirmed');
    await ask.getByRole('button', { name: 'Apply anyway' }).click();
    await page.getByText('Saved: ADMIN_ALLOWED_IPS.').waitFor({ timeout: 15_000 });
    const after = await fetch(`${worker.url}/api/users`, { headers: { authorization: `Bearer ${(await serviceToken()).access_token}` } });
    assert.equal(after.status, 403, 'from now on only 192.0.2.0/24');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
