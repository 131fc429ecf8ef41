// The reference workers `make bench` measures ours against, each served by Miniflare in the
// same run: the ceiling (a worker that answers at once), the floors (what any worker
// issuing an access token signed with an algorithm must do at least) and the floor with a
// client read (the same signature after one D1 read of the client's row and a SHA-256 of
// its secret: what a server that checks its clients in D1 on every request, as ours does
// so that a deleted client or revoked secret stops at once, cannot go below).
import { createHash } from 'node:crypto';
import { Miniflare } from 'miniflare';

export const CEILING = `export default { fetch() { return new Response('ok'); } };`;

const FLOOR_KEYS = {
  RS256: [`{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }`,
    `'RSASSA-PKCS1-v1_5'`],
  ES256: [`{ name: 'ECDSA', namedCurve: 'P-256' }`, `{ name: 'ECDSA', hash: 'SHA-256' }`],
  EdDSA: [`{ name: 'Ed25519' }`, `'Ed25519'`],
};

// With `readClient`, the client's row is read from D1 (table `clients` made by
// `clientTable`) and its secret's SHA-256 compared before the signature.
export const floorScript = (alg, port, readClient = false) => `
let key;
const enc = (s) => btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
export default {
  async fetch(request, env) {
    ${readClient ? `await request.text(); // the form, read as a token endpoint would (and the connection kept)
    const [id, secret] = atob(request.headers.get('authorization').slice(6)).split(':');
    const row = await env.DB.prepare('SELECT client_id, secret_hash, scopes FROM clients WHERE client_id = ?1').bind(id).first();
    const hash = enc(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)))));
    if (!row || row.secret_hash !== hash) return new Response('invalid_client', { status: 401 });` : ''}
    key ??= (await crypto.subtle.generateKey(${FLOOR_KEYS[alg][0]}, false, ['sign', 'verify'])).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const jti = enc(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const header = enc(JSON.stringify({ alg: '${alg}', typ: 'at+jwt', kid: 'floor-key' }));
    const claims = enc(JSON.stringify({ iss: 'http://127.0.0.1:${port}', sub: 'admin-cli', aud: 'admin-cli',
      exp: now + 3600, iat: now, jti, client_id: 'admin-cli', scope: 'admin' }));
    const input = header + '.' + claims;
    const sig = new Uint8Array(await crypto.subtle.sign(${FLOOR_KEYS[alg][1]}, key, new TextEncoder().encode(input)));
    const token = input + '.' + enc(String.fromCharCode(...sig));
    return Response.json({ access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'admin' },
      { headers: { 'cache-control': 'no-store' } });
  },
};`;

export function inlineWorker(script, port, options = {}) {
  return new Miniflare({ host: '127.0.0.1', port, modules: true, script, compatibilityDate: '2026-04-20', ...options });
}

/** A floor with a client read: its D1 holds one client, `id` with `secret`. */
export async function clientReadFloor(alg, port, [id, secret]) {
  const mf = inlineWorker(floorScript(alg, port, true), port, { d1Databases: ['DB'] });
  const db = await mf.getD1Database('DB');
  const hash = createHash('sha256').update(secret).digest('base64url');
  await db.exec('CREATE TABLE clients (client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, scopes TEXT NOT NULL)');
  await db.prepare('INSERT INTO clients VALUES (?1, ?2, ?3)').bind(id, hash, '["admin"]').run();
  return mf;
}
