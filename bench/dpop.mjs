// The DPoP rows of `make bench` (RFC 9449): a proof works once (its jti is recorded in
// D1) and only for its method and URL, so each request of a wrk run gets its own, made
// here beforehand with one ES256 key (node:crypto, P-256, the JWS's raw r||s signature).
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const b64url = (b) => Buffer.from(b).toString('base64url');

/** One ES256 key: `proofs(count, htm, htu, accessToken?)` makes that many distinct proofs. */
export function dpopKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }));
  const proofs = (count, htm, htu, accessToken) => {
    const ath = accessToken && b64url(createHash('sha256').update(accessToken).digest());
    const iat = Math.floor(Date.now() / 1000);
    return Array.from({ length: count }, () => {
      const claims = b64url(JSON.stringify({ jti: randomUUID(), htm, htu, iat, ...(ath ? { ath } : {}) }));
      const input = `${header}.${claims}`;
      return `${input}.${b64url(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
    });
  };
  return { proofs };
}

/**
 * A wrk script sending `method` with `headers` (and `body`), each request with the next
 * proof of `proofs` in its DPoP header (each wrk thread walks its own half).
 */
export async function dpopScript(dir, name, proofs, { method = 'POST', headers = {}, body = '' } = {}) {
  const file = join(dir, `${name}-proofs.txt`);
  await writeFile(file, proofs.join('\n'));
  const lua = `local proofs = {}
for line in io.lines(${JSON.stringify(file)}) do proofs[#proofs + 1] = line end
local counter = 1
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) i = id end
function request()
  local p = proofs[i]
  i = i + 2
  if p == nil then p = "exhausted" end
  local h = ${JSON.stringify(headers).replace(/"([^"]+)":/g, '["$1"] = ')}
  h["DPoP"] = p
  return wrk.format(${JSON.stringify(method)}, nil, h, ${JSON.stringify(body)})
end
`;
  const path = join(dir, `${name}.lua`);
  await writeFile(path, lua);
  return path;
}
