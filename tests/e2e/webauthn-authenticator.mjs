// A software WebAuthn authenticator for the Node-side suites and the benchmark (the
// browser suites use Chromium's virtual authenticator): registration and assertion
// answers in the JSON shapes the SPA's webauthn.js sends.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

/** RFC 8949 CBOR of what WebAuthn needs: unsigned and negative integers, text, bytes, maps. */
function cbor(v) {
  const head = (major, n) => Buffer.from(n < 24 ? [(major << 5) | n] : n < 256 ? [(major << 5) | 24, n]
    : [(major << 5) | 25, n >> 8, n & 255]);
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}
const sha256 = (data) => createHash('sha256').update(data).digest();
const b64 = (data) => Buffer.from(data).toString('base64url');

/**
 * A WebAuthn authenticator simulated with a P-256 key: WebAuthn §6.1's byte layouts,
 * attestation `none`, user present and verified. `counting: false` keeps the signature
 * counter at 0, as authenticators without one do (assertions then verify in any order).
 */
export function authenticator(rpId, origin, { counting = true } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = publicKey.export({ format: 'jwk' });
  const id = Buffer.from('0123456789abcdef');
  let counter = 0;
  const authData = (attested) => {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const parts = [sha256(rpId), Buffer.from([attested ? 0x45 : 0x05]), count];
    if (attested) {
      const key = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(x, 'base64url')], [-3, Buffer.from(y, 'base64url')]]));
      parts.push(Buffer.alloc(16), Buffer.from([0, id.length]), id, key);
    }
    return Buffer.concat(parts);
  };
  return {
    register(challenge, from = origin) {
      const clientData = JSON.stringify({ type: 'webauthn.create', challenge, origin: from });
      const attestation = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData(true)]]));
      return { name: 'Simulated', credential: { id: b64(id), client_data_json: b64(clientData), attestation_object: b64(attestation) } };
    },
    assert(challenge) {
      if (counting) counter += 1;
      const clientData = JSON.stringify({ type: 'webauthn.get', challenge, origin });
      const data = authData(false);
      const signature = sign('sha256', Buffer.concat([data, sha256(clientData)]), { key: privateKey, dsaEncoding: 'der' });
      return { id: b64(id), client_data_json: b64(clientData), authenticator_data: b64(data), signature: b64(signature) };
    },
  };
}
