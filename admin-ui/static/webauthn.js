// WebAuthn for the public pages: the Leptos code passes the server's options as JSON
// (binary members base64url, as WebAuthn §5.4/§5.5 JSON) and gets the browser's answer as
// JSON with base64url strings, so no WebAuthn types cross into Rust. A separate file
// because the page's Content-Security-Policy forbids inline scripts.
const decode = (text) => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0)).buffer;
};
const encode = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const descriptors = (list) => (list ?? []).map((c) => ({ ...c, id: decode(c.id) }));

globalThis.authorityPasskeys = {
  supported: () => typeof PublicKeyCredential === 'function',
  async create(optionsJson) {
    const options = JSON.parse(optionsJson);
    const publicKey = { ...options, challenge: decode(options.challenge), user: { ...options.user, id: decode(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials) };
    const credential = await navigator.credentials.create({ publicKey });
    return JSON.stringify({ id: credential.id, client_data_json: encode(credential.response.clientDataJSON),
      attestation_object: encode(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [] });
  },
  async get(optionsJson) {
    const options = JSON.parse(optionsJson);
    const publicKey = { ...options, challenge: decode(options.challenge), allowCredentials: descriptors(options.allowCredentials) };
    const credential = await navigator.credentials.get({ publicKey });
    const { response } = credential;
    return JSON.stringify({ id: credential.id, client_data_json: encode(response.clientDataJSON),
      authenticator_data: encode(response.authenticatorData), signature: encode(response.signature),
      ...(response.userHandle ? { user_handle: encode(response.userHandle) } : {}) });
  },
};
