// End-to-end: PASSWORD_HISTORY_COUNT ("remember the last N passwords"): a
// password among the last N — the current one counts — is refused with the docs' words
// when a person changes theirs, and allowed again once it is older than that. And
// ADMIN_PASSWORD_MIN_LENGTH: an admin's password needs the larger minimum.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';

const EMAIL = 'root@example.com';
const FIRST = 'e2e-admin-password-123';
const REUSED = 'This password was used recently. Please choose a different password.';
let worker;

before(async () => {
  worker = await startWorker({ vars: { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: FIRST, PASSWORD_HISTORY_COUNT: '2' } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

test('PASSWORD_HISTORY_COUNT=2: the current and the previous password cannot be set again; older ones can', async () => {
  const info = await (await fetch(`${worker.url}/api/session`)).json();
  const signIn = await fetch(`${worker.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': info.csrf_token, cookie: `authority_csrf=${info.csrf_token}` },
  body: JSON.stringify({ email: EMAIL, password: FIRST }) });
  assert.equal(signIn.status, 200);
  const csrf = (await signIn.json()).csrf_token;
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const change = async (from, to) => {
    const res = await fetch(`${worker.url}/api/account/password`, { method: 'POST', headers: { 'content-type': 'application/json',
      origin: worker.url, 'x-csrf-token': csrf, cookie }, body: JSON.stringify({ current_password: from, new_password: to }) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const refused = await change(FIRST, FIRST);
  assert.deepEqual([refused.status, refused.body.details], [422, [{ field: 'new_password', message: REUSED }]]);
  assert.equal((await change(FIRST, 'a second passphrase')).status, 204);
  assert.equal((await change('a second passphrase', FIRST)).status, 422, 'the previous one is remembered');
  assert.equal((await change('a second passphrase', 'a third passphrase')).status, 204);
  assert.equal((await change('a third passphrase', FIRST)).status, 204, 'two changes later the first is free again');
});

test('ADMIN_PASSWORD_MIN_LENGTH (16): an admin\'s new password needs 16 characters where a user\'s needs 12', async () => {
  const ui = await (await fetch(`${worker.url}/api/ui-config`)).json();
  assert.deepEqual([ui.password_policy.min_length, ui.password_policy.admin_min_length], [12, 16]);
  const info = await (await fetch(`${worker.url}/api/session`)).json();
  const signIn = await fetch(`${worker.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': info.csrf_token, cookie: `authority_csrf=${info.csrf_token}` },
  body: JSON.stringify({ email: EMAIL, password: FIRST }) });
  const csrf = (await signIn.json()).csrf_token;
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const res = await fetch(`${worker.url}/api/account/password`, { method: 'POST', headers: { 'content-type': 'application/json',
    origin: worker.url, 'x-csrf-token': csrf, cookie }, body: JSON.stringify({ current_password: FIRST, new_password: 'thirteen-char' }) });
  assert.equal(res.status, 422);
  assert.deepEqual((await res.json()).details, [{ field: 'new_password', message: 'Password must be at least 16 characters' }]);
});
