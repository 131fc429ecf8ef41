// End-to-end: the browser cookies on an https deployment (`__Host-` names, Secure) and
// CSRF tokens bound to the session (OWASP signed double-submit): a token from before the
// sign-in, or from another session, is refused once the session changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';

const ISSUER = 'https://auth.example.test';
const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'e2e-admin-password-123';
let worker;

before(async () => {
  worker = await startWorker({ issuerFromPort: false, vars: { ISSUER, ADMIN_EMAIL, ADMIN_PASSWORD } });
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
});

/** The cookies a response sets, by name: value and attributes. */
function setCookies(res) {
  return Object.fromEntries(res.headers.getSetCookie().map((c) => {
    const [pair, ...attributes] = c.split('; ');
    const [name, value] = pair.split('=');
    return [name, { value, attributes }];
  }));
}

// What the browser would send: the page's own origin (the issuer's), and its cookies.
const call = (method, path, { cookies = {}, csrf, body } = {}) => fetch(`${worker.url}${path}`, {
  method,
  headers: {
    origin: ISSUER,
    cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; '),
    ...(csrf ? { 'x-csrf-token': csrf } : {}),
    ...(body ? { 'content-type': 'application/json' } : {}),
  },
  body: body ? JSON.stringify(body) : undefined,
});

test('https: __Host- cookies, Secure; a CSRF token dies with the session it was issued for', async () => {
  const info = await call('GET', '/api/session');
  assert.equal(info.status, 200);
  const set = setCookies(info);
  assert.deepEqual(Object.keys(set), ['__Host-authority_csrf']);
  const attrs = set['__Host-authority_csrf'].attributes;
  for (const a of ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Secure']) assert.ok(attrs.includes(a), `${a} in ${attrs}`);
  assert.ok(!attrs.some((a) => a.startsWith('Domain')), 'no Domain: the __Host- rules');
  const before = (await info.json()).csrf_token;
  assert.equal(before, set['__Host-authority_csrf'].value);
  // The cookie under its plain name is not ours on https.
  const plain = await call('POST', '/api/session', { cookies: { authority_csrf: before }, csrf: before,
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  assert.equal(plain.status, 403);
  const signIn = await call('POST', '/api/session', { cookies: { '__Host-authority_csrf': before }, csrf: before,
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  assert.equal(signIn.status, 200, await signIn.clone().text());
  const signedIn = setCookies(signIn);
  const session = signedIn['__Host-authority_session'].value;
  assert.ok(signedIn['__Host-authority_session'].attributes.includes('Secure'));
  const after = (await signIn.json()).csrf_token;
  assert.notEqual(after, before, 'a new session, a new token');
  assert.equal(signedIn['__Host-authority_csrf'].value, after);
  // The pre-sign-in token no longer passes with the new session; the new one does.
  const cookies = (csrf) => ({ '__Host-authority_session': session, '__Host-authority_csrf': csrf });
  const stale = await call('DELETE', '/api/session', { cookies: cookies(before), csrf: before });
  assert.equal(stale.status, 403);
  assert.equal((await stale.json()).error, 'csrf_failed');
  const out = await call('DELETE', '/api/session', { cookies: cookies(after), csrf: after });
  // Signing out ends the session where it lives, not only in this browser: the cookie is
  // cleared, and the old cookie, sent again, finds nobody.
  assert.equal(out.status, 204);
  const cleared = setCookies(out)['__Host-authority_session'];
  assert.deepEqual([cleared.value, cleared.attributes.includes('Max-Age=0')], ['', true]);
  const replayed = await call('GET', '/api/session', { cookies: cookies(after) });
  assert.equal((await replayed.json()).user, null, 'the old session cookie is signed out');
  assert.deepEqual(await worker.query('SELECT COUNT(*) AS n FROM sessions'), [{ n: 0 }]);
});
