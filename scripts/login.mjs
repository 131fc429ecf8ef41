#!/usr/bin/env node
// A token for an admin's terminal (docs/usage.md, "A token for scripts"): the device flow
// (RFC 8628) with the first-party public client `authority-cli`, as `gh auth login` does.
// The prompt goes to stderr; the access token alone to stdout, so a shell keeps it:
//
//   export TOKEN=$(node scripts/login.mjs)                  # make dev's http://127.0.0.1:8787
//   export TOKEN=$(node scripts/login.mjs https://auth.example.com)
//
// Open the address it prints in a browser, sign in as an admin or super_admin, check the
// code and approve. Endpoints come from discovery (RFC 8414); no dependencies.

const issuer = (process.argv[2] ?? process.env.ISSUER ?? 'http://127.0.0.1:8787').replace(/\/$/, '');
const clientId = process.env.AUTHORITY_CLI_CLIENT_ID ?? 'authority-cli';
const scope = process.env.AUTHORITY_CLI_SCOPE ?? 'openid admin';

async function post(url, form) {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form),
    headers: { accept: 'application/json' } });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json())
  .catch((e) => fail(`cannot read ${issuer}/.well-known/openid-configuration: ${e.message}`));
const started = await post(discovery.device_authorization_endpoint, { client_id: clientId, scope });
if (started.status !== 200) fail(`the device flow did not start: ${JSON.stringify(started.body)}`);
const { device_code: deviceCode, user_code: userCode, verification_uri_complete: complete,
  verification_uri: uri, expires_in: expiresIn } = started.body;
let interval = started.body.interval ?? 5;
process.stderr.write(`Open ${complete ?? uri} in a browser, sign in as an admin and approve code ${userCode}.\n`);

const deadline = Date.now() + expiresIn * 1000;
while (Date.now() < deadline) {
  await new Promise((done) => setTimeout(done, interval * 1000));
  const polled = await post(discovery.token_endpoint, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: deviceCode, client_id: clientId });
  if (polled.status === 200) {
    if (!polled.body.scope?.split(' ').includes('admin')) {
      process.stderr.write('Approved, but without the admin scope: the account is not an admin.\n');
    }
    process.stdout.write(`${polled.body.access_token}\n`);
    process.exit(0);
  }
  // RFC 8628 §3.5: wait on authorization_pending, wait longer on slow_down, stop otherwise.
  if (polled.body.error === 'slow_down') interval += 5;
  else if (polled.body.error !== 'authorization_pending') fail(`not approved: ${polled.body.error_description ?? polled.body.error}`);
}
fail('the code expired before it was approved; run the command again');
