// `make bench`'s sign-in answer timing: a wrong password on a real account, any password
// on a locked account and an unknown address must take about as long (docs/api.md,
// "Security"), or the time tells them apart where the answer does not. Measured here, not
// asserted in the e2e suite: these machines are shared and noisy, and a ratio taken in one
// run is what holds.

/** An address outside LOCKOUT_WHITELIST, so failures count and locks hold. */
const STRANGER_IP = '203.0.113.7';
const PASSWORD = 'bench answer timing password';
const SAMPLES_PER_ACCOUNT = 4; // under LOCKOUT_THRESHOLD (5): these accounts never lock
const ACCOUNTS = 4;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times sequential sign-ins of each kind on the authority at `url`, with an admin
 * `token` to create the accounts and an anonymous `csrf` token and its cookie.
 * Returns `{ wrong, locked, unknown }` medians in ms and the sample count.
 */
export async function signInAnswerTimes(url, token, csrf, csrfCookie) {
  const signIn = async (email, password) => {
    const start = performance.now();
    const res = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json',
      'x-csrf-token': csrf, cookie: csrfCookie, 'cf-connecting-ip': STRANGER_IP },
    body: JSON.stringify({ email, password }) });
    await res.arrayBuffer();
    const ms = performance.now() - start;
    if (res.status !== 401) throw new Error(`sign-in timing: ${email} answered ${res.status}, not 401`);
    return ms;
  };
  const create = async (email) => {
    const res = await fetch(`${url}/api/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`,
      'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, email_verified: true }) });
    if (res.status !== 201) throw new Error(`sign-in timing: creating ${email}: ${res.status} ${await res.text()}`);
  };
  await create('bench-locked@example.com');
  for (let i = 0; i < 5; i++) await signIn('bench-locked@example.com', `wrong ${i}`);
  const times = { wrong: [], locked: [], unknown: [] };
  for (let a = 0; a < ACCOUNTS; a++) {
    const email = `bench-wrong-${a}@example.com`;
    await create(email);
    for (let i = 0; i < SAMPLES_PER_ACCOUNT; i++) {
      // Interleaved, so a drift in the machine's load touches every kind alike.
      times.wrong.push(await signIn(email, `not the password ${i}`));
      times.locked.push(await signIn('bench-locked@example.com', PASSWORD));
      times.unknown.push(await signIn(`nobody-${a}-${i}@example.com`, PASSWORD));
    }
  }
  return { wrong: median(times.wrong), locked: median(times.locked), unknown: median(times.unknown),
    samples: times.wrong.length };
}

/** The lines `make bench` prints for them. */
export function printSignInAnswerTimes(t) {
  const f = (n) => n.toFixed(1);
  const within = (x) => x >= 0.75 && x <= 1.33;
  console.log(`\nSign-in answers (${t.samples} sequential each, medians; one 401 answer for all three):`);
  console.log(`- wrong password on a real account ${f(t.wrong)} ms, right password on a locked account ${f(t.locked)} ms, unknown address ${f(t.unknown)} ms`);
  for (const [name, ms] of [['locked', t.locked], ['unknown', t.unknown]]) {
    const ratio = ms / t.wrong;
    console.log(`- ${name} / wrong: ${ratio.toFixed(2)}x -> ${within(ratio) ? 'alike (within 0.75-1.33x)' : 'TELLS THEM APART'}`);
  }
}
