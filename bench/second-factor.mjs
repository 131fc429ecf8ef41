// `make bench`'s second-factor rows: what the isolate spends on a `/mfa` code check and on
// a passkey sign-in, set up through the real API (accounts created by the admin API, an
// authenticator app enrolled with codes from the `otpauth` library, a passkey registered
// with the software authenticator of the e2e suites).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TOTP, Secret } from 'otpauth';
import { authenticator } from '../tests/e2e/webauthn-authenticator.mjs';

const PASSWORD = 'bench second factor password';
/** The address every bench request claims (LOCKOUT_WHITELIST holds it: see below). */
export const CALLER_IP = '127.0.0.1';

const cookiesOf = (res) => res.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => !c.endsWith('='));

/** A browser-like client: its cookie jar and the CSRF token of its current session. */
async function browser(url) {
  const first = await fetch(`${url}/api/session`);
  const jar = new Map(cookiesOf(first).map((c) => c.split('=')));
  let csrf = (await first.json()).csrf_token;
  const call = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json',
      'x-csrf-token': csrf, 'cf-connecting-ip': CALLER_IP, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const [name, value] = c.split(';')[0].split('=');
      if (value) jar.set(name, value); else jar.delete(name);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    const json = text ? JSON.parse(text) : null;
    if (json?.csrf_token) csrf = json.csrf_token;
    return json;
  };
  return { call, cookie: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '), csrf: () => csrf };
}

async function createUser(url, adminToken, email) {
  const res = await fetch(`${url}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`,
    'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, email_verified: true }) });
  if (res.status !== 201) throw new Error(`create ${email}: ${res.status} ${await res.text()}`);
}

/**
 * A sign-in waiting for its code: a user with an authenticator app has given the right
 * password; returns the browser's cookies (the sealed challenge) and CSRF token.
 */
export async function pendingCodeCheck(url, adminToken) {
  await createUser(url, adminToken, 'mfa-bench@example.com');
  const enrolling = await browser(url);
  await enrolling.call('POST', '/api/session', { email: 'mfa-bench@example.com', password: PASSWORD });
  const { secret } = await enrolling.call('POST', '/api/mfa/totp', {});
  const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
  await enrolling.call('POST', '/api/mfa/totp/confirm', { code });
  const signing = await browser(url);
  const answer = await signing.call('POST', '/api/session', { email: 'mfa-bench@example.com', password: PASSWORD });
  if (answer.step !== 'verify') throw new Error(`expected the code step, got ${JSON.stringify(answer)}`);
  return { cookie: signing.cookie(), csrf: signing.csrf() };
}

/** wrk: the `/mfa` submit, with a code that is not the app's (see the row's note). */
export async function codeCheckScript(dir, { cookie, csrf }) {
  const path = join(dir, 'mfa-verify.lua');
  await writeFile(path, `wrk.method = "POST"
wrk.body = ${JSON.stringify(JSON.stringify({ code: '000000' }))}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CSRF-Token"] = ${JSON.stringify(csrf)}
wrk.headers["Cookie"] = ${JSON.stringify(cookie)}
wrk.headers["CF-Connecting-IP"] = ${JSON.stringify(CALLER_IP)}
`);
  return path;
}

/**
 * `count` passkey sign-ins ready to send: a user registers a passkey (an authenticator
 * without a signature counter, so they verify in any order), then each assertion answers
 * its own single-use challenge from `/api/passkeys/sign-in/options`.
 */
export async function passkeyAssertions(url, adminToken, rpId, origin, count) {
  await createUser(url, adminToken, 'passkey-bench@example.com');
  const owner = await browser(url);
  await owner.call('POST', '/api/session', { email: 'passkey-bench@example.com', password: PASSWORD });
  const device = authenticator(rpId, origin, { counting: false });
  const options = await owner.call('POST', '/api/passkeys/register/options', {});
  await owner.call('POST', '/api/passkeys', device.register(options.challenge));
  const anyone = await browser(url);
  const bodies = [];
  for (let i = 0; i < count; i++) {
    const { challenge } = await anyone.call('POST', '/api/passkeys/sign-in/options', {});
    bodies.push(JSON.stringify({ credential: device.assert(challenge) }));
  }
  return { bodies, cookie: anyone.cookie(), csrf: anyone.csrf() };
}

/** wrk: each thread sends its own half of the assertions, each once. */
export async function passkeyScript(dir, { bodies, cookie, csrf }) {
  const file = join(dir, 'assertions.txt');
  await writeFile(file, bodies.join('\n'));
  const path = join(dir, 'passkeys.lua');
  await writeFile(path, `local bodies = {}
for line in io.lines(${JSON.stringify(file)}) do bodies[#bodies + 1] = line end
local counter = 1
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) i = id end
function request()
  local b = bodies[i]
  i = i + 2
  if b == nil then b = "{}" end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-CSRF-Token"] = ${JSON.stringify(csrf)},
    ["Cookie"] = ${JSON.stringify(cookie)}, ["CF-Connecting-IP"] = ${JSON.stringify(CALLER_IP)}}, b)
end
`);
  return path;
}
