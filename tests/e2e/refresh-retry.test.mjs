// End-to-end: a lost answer logs nobody out (docs/configuration.md,
// `REFRESH_REUSE_GRACE_SECONDS`). A client whose rotation committed but whose answer was
// lost retries with the same token and gets the same successor — seconds later, past the
// old 2-s window — and its chain goes on; a token used after its successor was used is
// still reuse (RFC 9700 §4.14.2). Then six clients rotate refresh tokens while the server
// restarts under them, retrying like real clients (backoff on a network error, the same
// token): every chain survives, and no answer is 500 or worse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWorker, insertClient, basic } from './harness.mjs';

const CLIENT = ['rotating-app', 'rotating-app-secret-0123456789abcdef0123456789'];
const USER = ['ada@example.com', 'e2e-user-password-0123'];
const vars = { SECRET_KEY: randomBytes(32).toString('hex'), ADMIN_EMAIL: USER[0], ADMIN_PASSWORD: USER[1],
  ENABLE_PASSWORD_GRANT: 'true', PASSWORD_GRANT_ALLOWED_CLIENTS: CLIENT[0], RATE_LIMIT_TOKEN_MAX: '100000',
  RATE_LIMIT_LOGIN_MAX: '100000' };
let worker;

before(async () => {
  worker = await startWorker({ vars });
  await insertClient(worker, { id: CLIENT[0], secret: CLIENT[1], grants: ['password', 'refresh_token'],
    scopes: ['openid', 'offline_access'] });
});
after(async () => { await worker?.stop(); });

async function token(form) {
  const res = await fetch(`${worker.url}/token`, { method: 'POST', body: new URLSearchParams(form),
    headers: { authorization: basic(...CLIENT), 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, body: await res.json() };
}
const signIn = async () => (await token({ grant_type: 'password', username: USER[0], password: USER[1],
  scope: 'openid offline_access' })).body.refresh_token;
const refresh = (refreshToken) => token({ grant_type: 'refresh_token', refresh_token: refreshToken });

test('a retry of a rotation whose answer was lost gets the same successor seconds later; reuse after the successor was used revokes', async () => {
  const first = await signIn();
  const lost = await refresh(first); // the rotation commits; the client never reads this answer
  assert.equal(lost.status, 200);
  await new Promise((r) => setTimeout(r, 3_000)); // past the old default of 2 s
  const retried = await refresh(first);
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.refresh_token, lost.body.refresh_token, 'the same successor');
  const next = await refresh(retried.body.refresh_token);
  assert.equal(next.status, 200, 'the chain goes on');
  const stolen = await refresh(first); // the successor was used: whoever holds `first` is not the client
  assert.equal(stolen.body.error, 'invalid_grant');
  assert.equal((await refresh(next.body.refresh_token)).body.error, 'invalid_grant', 'the family is revoked');
});

test('six clients rotating through a restart of the server: no chain lost, no answer >= 500', async () => {
  const chains = await Promise.all(Array.from({ length: 6 }, signIn));
  const statuses = [];
  let stopping = false;
  let restarted;
  const client = async (index) => {
    let current = chains[index];
    for (let round = 0; round < 40; round += 1) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          const answer = await refresh(current);
          statuses.push(answer.status);
          assert.equal(answer.status, 200, `client ${index}, round ${round}: ${JSON.stringify(answer.body)}`);
          current = answer.body.refresh_token;
          break;
        } catch (e) {
          if (e.code === 'ERR_ASSERTION' || attempt >= 40) throw e;
          // The connection failed (the server is restarting): back off, retry the same token.
          await new Promise((r) => setTimeout(r, 250 * Math.min(attempt + 1, 8)));
        }
      }
      if (index === 0 && round === 10 && !stopping) {
        stopping = true;
        restarted = (async () => {
          const { stateDir } = worker;
          const port = Number(new URL(worker.url).port);
          await worker.stop({ keepState: true });
          worker = await startWorker({ vars, stateDir, port, migrate: false });
        })();
      }
    }
    chains[index] = current;
  };
  await Promise.all(chains.map((_, i) => client(i)));
  await restarted;
  assert.ok(statuses.every((s) => s < 500), `answers: ${[...new Set(statuses)]}`);
  for (const current of chains) assert.equal((await refresh(current)).status, 200, 'every chain is alive');
});
