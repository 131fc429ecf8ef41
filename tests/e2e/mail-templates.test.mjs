// End-to-end: mail templates an operator edits (docs/i18n.md, "Mail templates"). In
// Chromium, a super_admin opens the console's Mail templates screen, edits the password
// reset mail; a save naming a placeholder the template does not have is refused with a
// sentence that names it; the preview is rendered by the server; the saved template is
// what the next reset mail says; "Reset to default" brings the built-in one back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchChromium, openConsole } from './harness.mjs';

const ROOT = ['root@example.com', 'e2e-root-password-0123'];
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'e2e-screenshots');
let worker;
let browser;

before(async () => {
  worker = await startWorker({ hostName: 'localhost', vars: { ADMIN_EMAIL: ROOT[0], ADMIN_PASSWORD: ROOT[1],
    COMPANY_NAME: 'Acme Identity', COMPANY_ADDRESS: '1 Main St, Springfield', RATE_LIMIT_PASSWORD_RESET_MAX: '100' } });
  // The preview is a sandboxed frame, which Chromium puts in a process of its own by
  // default; Playwright 1.64 then sees that frame attach twice and fails an internal
  // assertion ("Assertion error" in FrameManager.frameAttached, an unhandled rejection
  // after the test) whenever the page navigates away or closes — every time once the
  // page leaves for about:blank, now and then at the browser's close. In one process the
  // frame is an ordinary child frame to Playwright; the page, its sandbox and the
  // server's answers are the same.
  browser = await launchChromium({ args: ['--disable-features=IsolateSandboxedIframes'] });
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

/** Asks for a reset of the root account's password; the newest reset mail in the outbox. */
async function resetMail() {
  const res = await fetch(`${worker.url}/api/password-reset`, { method: 'POST',
    headers: { 'content-type': 'application/json', origin: worker.url }, body: JSON.stringify({ email: ROOT[0] }) });
  assert.equal(res.status, 200, await res.text());
  for (let i = 0; i < 50; i += 1) {
    const [mail] = await worker.query(`SELECT id, subject, text_body AS text, html_body AS html FROM mail_outbox
      WHERE template = 'password-reset' ORDER BY created_at DESC, rowid DESC LIMIT 1`);
    if (mail && mail.id !== resetMail.last) {
      resetMail.last = mail.id;
      return mail;
    }
    await new Promise((r) => setTimeout(r, 100)); // the mail is written after the answer
  }
  throw new Error('no reset mail');
}

test('a template edited in the console changes the next reset mail; an unknown placeholder is refused by name', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await openConsole(page, `${worker.url}/admin/mail-templates`, ...ROOT, 'Mail templates');
  await page.getByLabel('Template').selectOption('password-reset');
  await page.getByLabel('Subject').fill('{{ app_name }}: a new password for {{ user.nmae }}');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'uses {{ user.nmae }}, which the password-reset template does not have' })
    .waitFor();
  assert.equal((await resetMail()).subject, 'Reset your password', 'the refused edit changed nothing');

  await page.getByLabel('Subject').fill('{{ app_name }}: a new password for {{ user.email }}');
  await page.getByLabel('Plain text').fill('Choose it here within {{ expires_in }}: {{ reset_url }}');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#preview-subject').filter({ hasText: 'Authority: a new password for ada@example.com' }).waitFor();
  // The preview frame is on screen, and the server's HTML (with the company's footer) is
  // its document. Its text is looked for in the document, not on screen: Chromium lays
  // out a sandboxed (cross-origin, out-of-process) frame only when it gets around to it —
  // off screen never, and on a loaded machine not within 30 s even once scrolled to (CI
  // on 59d142a) — and Playwright calls text without a layout box "hidden".
  await page.locator('iframe.mail-preview').scrollIntoViewIfNeeded();
  const frame = page.frameLocator('iframe.mail-preview');
  await frame.getByText('© Acme Identity. All rights reserved.').waitFor({ state: 'attached' });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  await page.getByText('edited', { exact: true }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-mail-templates.png'), fullPage: true });

  const edited = await resetMail();
  assert.equal(edited.subject, `Authority: a new password for ${ROOT[0]}`);
  assert.match(edited.text, /^Choose it here within 60 minutes: http:\/\/localhost:\d+\/reset-password\?token=[\w-]+/);
  assert.match(edited.text, /1 Main St, Springfield/);

  await page.getByRole('button', { name: 'Reset to default' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Reset' }).click();
  await page.getByRole('status').filter({ hasText: 'Back to the built-in template' }).waitFor();
  assert.equal((await resetMail()).subject, 'Reset your password');
  const audit = await worker.query("SELECT event FROM audit_log WHERE event LIKE 'mail_template.%' ORDER BY timestamp");
  assert.deepEqual(audit.map((r) => r.event), ['mail_template.updated', 'mail_template.reset']);
  await page.goto('about:blank'); // leaving the page lets the preview frame go (see before)
  await context.close();
});
