// The peer a Workers user would otherwise pick: Cloudflare's workers-oauth-provider in a
// minimal worker, bundled by bench/run.mjs. /setup creates a confidential client;
// /authorize approves every request at once for the user named by `state` (the bench
// needs grants, not a consent page); /api/ is the protected resource; /counts its KV
// calls so far.
import { OAuthProvider } from '@cloudflare/workers-oauth-provider';

const apiHandler = {
  async fetch() {
    return new Response('ok');
  },
};

const defaultHandler = {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/setup') {
      const client = await env.OAUTH_PROVIDER.createClient({
        redirectUris: ['http://127.0.0.1:9/cb'],
        clientName: 'bench',
        tokenEndpointAuthMethod: 'client_secret_basic',
      });
      return Response.json({ clientId: client.clientId, clientSecret: client.clientSecret });
    }
    if (url.pathname === '/authorize') {
      const oauthRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
      const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
        request: oauthRequest,
        userId: oauthRequest.state,
        metadata: {},
        scope: oauthRequest.scope,
        props: { userId: oauthRequest.state },
        revokeExistingGrants: false,
      });
      return Response.redirect(redirectTo, 302);
    }
    return new Response('not found', { status: 404 });
  },
};

const provider = new OAuthProvider({
  apiRoute: '/api/',
  apiHandler,
  defaultHandler,
  authorizeEndpoint: '/authorize',
  tokenEndpoint: '/oauth/token',
  scopesSupported: ['read', 'offline_access'],
  // The API's resource identifier (RFC 9728), required since 1.x; loopback http is allowed.
  resourceMetadata: { resource: 'http://127.0.0.1:8793/api/' },
});

// What the peer is billed for in KV (bench/costs.mjs): reads, and the write-priced calls.
const counts = { reads: 0, writes: 0 };
const READS = new Set(['get', 'getWithMetadata']);
const WRITES = new Set(['put', 'delete', 'list']);
function counted(kv) {
  return new Proxy(kv, {
    get(target, name) {
      const value = target[name];
      if (typeof value !== 'function') return value;
      return (...args) => {
        if (READS.has(name)) counts.reads += 1;
        if (WRITES.has(name)) counts.writes += 1;
        return value.apply(target, args);
      };
    },
  });
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/counts') return Response.json(counts);
    return provider.fetch(request, { ...env, OAUTH_KV: counted(env.OAUTH_KV) }, ctx);
  },
};
