// A local stand-in for GitHub, Facebook and Sign in with Apple, started by the tests and
// reached through SOCIAL_PROVIDER_BASE_URLS (each provider under its own path prefix). It
// plays each provider's real protocol as documented, strictly: GitHub's form-encoded
// token answer unless JSON is asked for, its 200-with-`error` answers and its refusal of
// requests without a User-Agent; Facebook's code exchange by GET and `appsecret_proof`;
// Apple's `form_post` (a cross-site POST to the callback), its ES256 client-secret JWT,
// RS256 ID tokens from its own JWKS with `email_verified` as a string, and the name sent
// only on a person's first authorization. PKCE is checked where the provider takes it.
//
// The people at each provider are given by the test; a person's `quirk` makes the provider
// misbehave on purpose: `forgedState`, `wrongAudience`, `badSignature`.
import { createServer } from 'node:http';
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, verify, createPublicKey } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const html = (res, body) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
  .end(`<!doctype html><html><head><meta charset="utf-8"><title>Fake provider</title></head><body>${body}</body></html>`);
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(new URLSearchParams(data)));
  });
}

/** RS256 JWT signed by `privateKey`. */
function jwt(privateKey, kid, claims) {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKey))}`;
}

/**
 * @param {object} o
 * @param {number} o.port
 * @param {object} o.github   { clientId, clientSecret, people: [{ id, login, name, emails: [{ email, primary, verified }], quirk }] }
 * @param {object} o.facebook { clientId, clientSecret, people: [{ id, name, email, quirk }] }
 * @param {object} o.apple    { clientId, teamId, keyId, teamPublicKey (PEM), people: [{ sub, email, firstName, lastName, quirk }] }
 */
export async function startFakeProviders({ port, github, facebook, apple }) {
  const url = `http://localhost:${port}`;
  const codes = new Map(); // code -> the authorization it stands for
  const tokens = new Map(); // access token -> { provider, person }
  const appleSeen = new Set(); // Apple sends the name only the first time a person authorizes
  const appleKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appleJwk = { ...appleKey.publicKey.export({ format: 'jwk' }), kid: 'apple-1', use: 'sig', alg: 'RS256' };
  const requests = []; // what the server under test sent, for the tests to look at
  const issued = []; // every token handed out, for the tests to look for at rest

  const people = { github: github.people, facebook: facebook.people, apple: apple.people };
  const personId = (provider, p) => String(provider === 'apple' ? p.sub : p.id);

  /** The provider's consent page: one button per person. */
  function chooser(res, provider, params) {
    const buttons = people[provider].map((p) => {
      const label = p.login ?? p.name ?? `${p.firstName} ${p.lastName}`;
      return `<form method="get" action="/${provider}/approve">${[...params].map(([k, v]) =>
        `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('')}
        <input type="hidden" name="person" value="${escape(personId(provider, p))}">
        <button type="submit">Continue as ${escape(label)}</button></form>`;
    }).join('');
    html(res, `<h1>${provider}: authorize the app</h1>${buttons}`);
  }

  function approve(res, provider, params) {
    const person = people[provider].find((p) => personId(provider, p) === params.get('person'));
    const code = randomBytes(16).toString('hex');
    codes.set(code, { provider, person, clientId: params.get('client_id'), redirectUri: params.get('redirect_uri'),
      challenge: params.get('code_challenge'), nonce: params.get('nonce') });
    const state = person.quirk === 'forgedState' ? 'forged-state' : params.get('state');
    if (provider === 'apple') {
      // response_mode=form_post: the answer is a POST from this (another) site to the callback.
      const fields = { code, state };
      if (!appleSeen.has(person.sub)) {
        appleSeen.add(person.sub);
        fields.user = JSON.stringify({ name: { firstName: person.firstName, lastName: person.lastName }, email: person.email });
      }
      const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${escape(v)}">`).join('');
      return html(res, `<form method="post" action="${escape(params.get('redirect_uri'))}">${inputs}</form>
        <script>document.forms[0].submit()</script>`);
    }
    const back = new URL(params.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', state);
    res.writeHead(302, { location: back.href }).end();
  }

  /** The code's authorization, spent, if the exchange matches it (RFC 6749 §4.1.3, RFC 7636 §4.6). */
  function redeem(provider, form) {
    const grant = codes.get(form.get('code'));
    codes.delete(form.get('code'));
    if (!grant || grant.provider !== provider || grant.redirectUri !== form.get('redirect_uri')) return null;
    if (grant.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      if (b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) return null;
    }
    return grant;
  }

  function newToken(provider, person) {
    const token = `${provider}-${randomBytes(12).toString('hex')}`;
    tokens.set(token, { provider, person });
    issued.push(token);
    return token;
  }

  function bearer(req) {
    const m = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '');
    return m ? tokens.get(m[1]) : undefined;
  }

  /** Apple's client secret: an ES256 JWT from the team's key ("Creating a client secret"). */
  function appleClientSecretValid(secret) {
    const [h, c, s] = (secret ?? '').split('.');
    if (!s) return false;
    const header = JSON.parse(Buffer.from(h, 'base64url'));
    const claims = JSON.parse(Buffer.from(c, 'base64url'));
    const now = Date.now() / 1000;
    const signed = verify('sha256', Buffer.from(`${h}.${c}`), { key: createPublicKey(apple.teamPublicKey), dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'));
    return signed && header.alg === 'ES256' && header.kid === apple.keyId && claims.iss === apple.teamId
      && claims.sub === apple.clientId && claims.aud === `${url}/apple` && claims.exp > now && claims.iat <= now + 5;
  }

  const server = createServer(async (req, res) => {
    const u = new URL(req.url, url);
    const path = u.pathname;
    const form = req.method === 'POST' ? await readBody(req) : u.searchParams;
    requests.push({ method: req.method, path, headers: req.headers, params: Object.fromEntries(form) });

    // ---- GitHub (docs.github.com: "Authorizing OAuth apps", REST "Users", "Emails")
    if (path === '/github/login/oauth/authorize') return chooser(res, 'github', u.searchParams);
    if (path === '/github/approve') return approve(res, 'github', u.searchParams);
    if (path === '/github/login/oauth/access_token' && req.method === 'POST') {
      const ok = form.get('client_id') === github.clientId && form.get('client_secret') === github.clientSecret;
      const grant = ok ? redeem('github', form) : null;
      const answer = grant ? { access_token: newToken('github', grant.person), token_type: 'bearer', scope: 'read:user,user:email' }
        : { error: ok ? 'bad_verification_code' : 'incorrect_client_credentials' };
      if ((req.headers.accept ?? '').includes('application/json')) return json(res, 200, answer);
      return res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(answer).toString());
    }
    if (path === '/github/user' || path === '/github/user/emails') {
      if (!req.headers['user-agent']) return json(res, 403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header' });
      const who = bearer(req);
      if (!who || who.provider !== 'github') return json(res, 401, { message: 'Bad credentials' });
      const p = who.person;
      // An API that sends the server elsewhere, or never answers: it must give up, not follow or wait.
      if (p.quirk === 'redirectsElsewhere') return res.writeHead(302, { location: `${url}/github/stolen` }).end();
      if (p.quirk === 'neverAnswers') return setTimeout(() => res.destroy(), 60_000).unref();
      if (path === '/github/user') return json(res, 200, { id: p.id, login: p.login, name: p.name ?? null, email: null });
      return json(res, 200, p.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })));
    }

    // ---- Facebook (developers.facebook.com: "Manually Build a Login Flow", "Securing Requests")
    if (path === '/facebook/v23.0/dialog/oauth') return chooser(res, 'facebook', u.searchParams);
    if (path === '/facebook/approve') return approve(res, 'facebook', u.searchParams);
    if (path === '/facebook/v23.0/oauth/access_token' && req.method === 'GET') {
      const ok = form.get('client_id') === facebook.clientId && form.get('client_secret') === facebook.clientSecret;
      const grant = ok ? redeem('facebook', form) : null;
      if (!grant) return json(res, 400, { error: { message: 'Invalid verification code format.', type: 'OAuthException', code: 100 } });
      return json(res, 200, { access_token: newToken('facebook', grant.person), token_type: 'bearer', expires_in: 5183944 });
    }
    if (path === '/facebook/v23.0/me') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? form.get('access_token');
      const who = tokens.get(token);
      if (!who || who.provider !== 'facebook') return json(res, 400, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
      const proof = createHmac('sha256', facebook.clientSecret).update(token).digest('hex');
      if (form.get('appsecret_proof') !== proof) return json(res, 400, { error: { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 } });
      const p = who.person;
      const fields = (form.get('fields') ?? 'id,name').split(',');
      return json(res, 200, Object.fromEntries(fields.filter((f) => p[f] !== undefined).map((f) => [f, p[f]])));
    }

    // ---- Sign in with Apple (developer.apple.com: "Sign in with Apple REST API")
    if (path === '/apple/auth/authorize') {
      if (u.searchParams.get('response_mode') !== 'form_post') return json(res, 400, { error: 'invalid_request' });
      return chooser(res, 'apple', u.searchParams);
    }
    if (path === '/apple/approve') return approve(res, 'apple', u.searchParams);
    if (path === '/apple/auth/keys') return json(res, 200, { keys: [appleJwk] });
    if (path === '/apple/auth/token' && req.method === 'POST') {
      if (form.get('client_id') !== apple.clientId || !appleClientSecretValid(form.get('client_secret'))) {
        return json(res, 400, { error: 'invalid_client' });
      }
      const grant = form.get('grant_type') === 'authorization_code' ? redeem('apple', form) : null;
      if (!grant) return json(res, 400, { error: 'invalid_grant' });
      const p = grant.person;
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: `${url}/apple`, aud: p.quirk === 'wrongAudience' ? 'com.someone.else' : apple.clientId,
        exp: now + 600, iat: now, sub: p.sub, nonce: grant.nonce, nonce_supported: true, email: p.email,
        email_verified: 'true', is_private_email: String(p.email.endsWith('privaterelay.appleid.com')), auth_time: now };
      const key = p.quirk === 'badSignature' ? strangerKey.privateKey : appleKey.privateKey;
      const refresh = `r-${randomBytes(8).toString('hex')}`;
      issued.push(refresh);
      return json(res, 200, { access_token: newToken('apple', p), token_type: 'Bearer', expires_in: 3600,
        refresh_token: refresh, id_token: jwt(key, 'apple-1', claims) });
    }
    json(res, 404, { error: 'not_found', path });
  });
  // Every address of the machine's loopback: `localhost` may resolve to ::1 or 127.0.0.1.
  await new Promise((resolve) => server.listen(port, resolve));
  return {
    url,
    bases: { github: `${url}/github`, facebook: `${url}/facebook`, apple: `${url}/apple` },
    requests,
    issued,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
