// The map in tests/e2e/README.md (scenario → spec → file → test) against the suites: every
// test of every file is named by a row of its file, a row names only tests that exist,
// and "all N tests" counts right. No worker needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NUMBERS = { both: 2, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15 };

/** The names of a file's top-level tests, as written (a template's `${...}` kept). */
function testNames(source) {
  return [...source.matchAll(/^test\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/gm)].map((m) => m[2].replace(/\\(.)/g, '$1'));
}

/** The README's rows: file and test cells. */
function rows(readme) {
  return readme.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !l.startsWith('|---'))
    .map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim()))
    .map(([scenario, , file, tests]) => ({ scenario, file, tests }));
}

test('every e2e test is mapped in tests/e2e/README.md, and every mapping names a real test', async () => {
  const readme = await readFile(join(here, 'README.md'), 'utf8');
  const table = rows(readme);
  const files = (await readdir(here)).filter((f) => f.endsWith('.test.mjs'));
  const problems = [];
  for (const file of files) {
    const name = file.replace('.test.mjs', '');
    const names = testNames(await readFile(join(here, file), 'utf8'));
    const mine = table.filter((r) => r.file === name);
    if (mine.length === 0) problems.push(`${name}: no row`);
    const covered = new Set();
    for (const row of mine) {
      const all = row.tests.match(/^(?:all (\w+) tests|(both) tests)(?:\s*\(.*\))?$/);
      if (all) {
        const n = NUMBERS[all[1] ?? all[2]];
        if (n !== names.length) problems.push(`${name}: "${row.tests}" but the file has ${names.length}`);
        names.forEach((t) => covered.add(t));
        continue;
      }
      const prefixes = [...row.tests.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s*(\.\.\.|…)$/, '').replace(/^\.\.\.\s*/, ''));
      if (prefixes.length === 0) problems.push(`${name}: row "${row.scenario.slice(0, 40)}" names no test`);
      for (const p of prefixes) {
        const hits = names.filter((t) => t.startsWith(p) || (row.tests.includes(`\`... ${p}`) && t.includes(p)));
        if (hits.length === 0) problems.push(`${name}: no test starts with "${p}"`);
        hits.forEach((t) => covered.add(t));
      }
    }
    for (const t of names) if (!covered.has(t)) problems.push(`${name}: "${t.slice(0, 70)}" is mapped nowhere`);
  }
  for (const row of table) {
    if (!files.includes(`${row.file}.test.mjs`)) problems.push(`row "${row.scenario.slice(0, 40)}": no file ${row.file}`);
  }
  assert.deepEqual(problems, []);
});
