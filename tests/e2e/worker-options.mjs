// The built worker's Miniflare options, read from wrangler.toml as `wrangler dev` reads
// them (vars, D1 and KV bindings, [assets]): one place for the e2e harness and `make bench`.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @param {object} options
 * @param {boolean} [options.assets=true] serve `[assets]` in front of the worker as
 *   Cloudflare does (the bench leaves it out: it loads API paths only)
 * @param {Record<string,string>} [options.bindings] vars and secrets over wrangler.toml's
 */
export function authorityWorkerOptions({ assets = true, bindings = {} } = {}) {
  // An explicit (empty) env file: a developer's .dev.vars (written by `make dev`) must not
  // reach the suites or the bench, which set every value they depend on.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml'), undefined,
    { envFiles: ['/dev/null'] });
  return {
    rootPath: root,
    modules: true,
    scriptPath: join(root, 'worker', 'build', 'worker', 'shim.mjs'),
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: workerOptions.compatibilityFlags,
    d1Databases: workerOptions.d1Databases,
    kvNamespaces: workerOptions.kvNamespaces,
    queueProducers: workerOptions.queueProducers,
    queueConsumers: workerOptions.queueConsumers,
    ...(assets ? { assets: workerOptions.assets } : {}),
    bindings: { ...workerOptions.bindings, ...bindings },
  };
}
