// The module sizes `make bench` reports beside its speed figures: each wasm module raw and
// through `gzip -9` (the same figure as `make sizes`; zlib's level 9 differs by ~0.5 %),
// against its target. The worker's gzip size is
// what Workers' deploy limit counts; the SPA modules are what a browser downloads.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

const MODULES = [
  ['worker', 'worker/build/index_bg.wasm', 400_000],
  ['public pages', 'admin-ui/dist/public_bg.wasm', 150_000],
  // The account's pages, apart since 2026-12-08 (docs/architecture.md, "The browser
  // apps"): pages people see, so the public pages' target.
  ['account pages', 'admin-ui/dist/account_bg.wasm', 150_000],
  ['admin console', 'admin-ui/dist/console_bg.wasm', 250_000],
];

const n = (x) => x.toLocaleString('en-US');

export async function printSizes() {
  console.log('\nModule sizes (gzip -9; the targets in bytes):\n');
  console.log('| module | raw | gzip | target | |');
  console.log('|---|---|---|---|---|');
  for (const [name, path, target] of MODULES) {
    const bytes = await readFile(path).catch(() => null);
    if (!bytes) {
      console.log(`| ${name} (${path}) | not built (make build) | | ${n(target)} | |`);
      continue;
    }
    const { stdout } = await run('gzip', ['-9c', path], { encoding: 'buffer', maxBuffer: 64 << 20 });
    const gzip = stdout.length;
    console.log(`| ${name} (${path}) | ${n(bytes.length)} | ${n(gzip)} | ${n(target)} | ${gzip <= target ? 'met' : 'MISSED'} |`);
  }
  console.log('\nWhat weighs in the worker: worker/build/weights.md (written by scripts/build-worker.sh).');
}
