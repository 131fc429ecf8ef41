#!/usr/bin/env node
// What weighs in a wasm module, and the module without its names.
//
//   node scripts/wasm-weights.mjs report <module.wasm> [crates] [functions]
//       the size of every section (raw and gzip -9), the code by Rust crate and the
//       largest functions, read from the module's `name` section (WebAssembly Core
//       Specification, Appendix 7.4.1: Name Section)
//   node scripts/wasm-weights.mjs strip <module.wasm>
//       removes the custom sections (names, producers, target features) in place: the
//       runtime needs none of them and the names alone are a third of the raw bytes
//
// `twiggy` (0.7) cannot read modules that use reference types or exception handling,
// which wasm-bindgen 0.2.130 emits; these sections are simple enough to walk here.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global',
  'export', 'start', 'element', 'code', 'data', 'data count', 'tag'];

/** The module's sections: `{ id, name, start, end, begin }` (begin: the id byte). */
function sections(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const found = [];
  const reader = { buf, off: 8 };
  while (reader.off < buf.length) {
    const begin = reader.off;
    const id = buf[reader.off++];
    const size = leb(reader);
    const start = reader.off;
    let name = SECTION_NAMES[id] ?? `section ${id}`;
    if (id === 0) {
      const length = leb(reader);
      name = `custom "${buf.subarray(reader.off, reader.off + length).toString()}"`;
    }
    found.push({ id, name, begin, start, end: start + size });
    reader.off = start + size;
  }
  return found;
}

/** An unsigned LEB128 number at `reader.off` (Core Specification 5.2.2). */
function leb(reader) {
  let result = 0;
  let scale = 1;
  let byte;
  do {
    byte = reader.buf[reader.off++];
    result += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  return result;
}

function skipName(reader) {
  const length = leb(reader); // read before `off`: `off += leb()` would add to the old offset
  reader.off += length;
}

/** How many functions the module imports: their indices come before the bodies'. */
function importedFunctions(buf, section) {
  const reader = { buf, off: section.start };
  let functions = 0;
  for (let i = leb(reader); i > 0; i--) {
    skipName(reader);
    skipName(reader);
    const kind = buf[reader.off++];
    if (kind === 0) { leb(reader); functions++; }
    else if (kind === 1) { reader.off++; limits(reader); }
    else if (kind === 2) limits(reader);
    else if (kind === 3) reader.off += 2;
    else if (kind === 4) { reader.off++; leb(reader); }
    else throw new Error(`unknown import kind ${kind}`);
  }
  return functions;
}

function limits(reader) {
  const flags = leb(reader);
  leb(reader);
  if (flags & 1) leb(reader);
}

/** Function index -> name, from the `name` section's function names (subsection 1). */
function functionNames(buf, section) {
  const names = new Map();
  const reader = { buf, off: section.start };
  skipName(reader);
  while (reader.off < section.end) {
    const sub = buf[reader.off++];
    const end = leb(reader) + reader.off;
    if (sub === 1) {
      for (let i = leb(reader); i > 0; i--) {
        const index = leb(reader);
        const length = leb(reader);
        names.set(index, buf.subarray(reader.off, reader.off + length).toString());
        reader.off += length;
      }
    }
    reader.off = end;
  }
  return names;
}

/** The crate of a (legacy-mangled, as rustc emits for wasm) Rust symbol. */
function crateOf(symbol) {
  // Rust's v0 mangling (RFC 2603): the path's crate root is `C`, an optional
  // disambiguator `s<base-62>_`, then the crate's name as `<length><identifier>`.
  if (symbol.startsWith('_R')) {
    const root = /C(?:s[0-9A-Za-z]*_)?(\d+)/.exec(symbol);
    if (root) return symbol.substr(root.index + root[0].length, Number(root[1]));
  }
  // Legacy mangling puts `_` before a path that starts with `<` (an impl).
  const demangled = demangle(symbol).replace(/^_</, '<');
  const impl = /^<(?:&(?:mut )?)?([A-Za-z_0-9]+)::/.exec(demangled);
  if (impl) return impl[1];
  return /^([A-Za-z_0-9]+)/.exec(demangled)?.[1] ?? '(unnamed)';
}

function demangle(symbol) {
  if (!symbol.startsWith('_ZN')) return symbol;
  const parts = [];
  let i = 3;
  while (i < symbol.length && symbol[i] !== 'E') {
    let length = 0;
    while (symbol[i] >= '0' && symbol[i] <= '9') length = length * 10 + Number(symbol[i++]);
    parts.push(symbol.slice(i, i + length));
    i += length;
  }
  return parts.filter((p) => !/^h[0-9a-f]{16}$/.test(p)).join('::')
    .replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ').replace(/\$C\$/g, ',')
    .replace(/\$RF\$/g, '&').replace(/\$BP\$/g, '*').replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}')
    .replace(/\.\./g, '::');
}

function report(path, crateRows = 25, functionRows = 15) {
  const buf = readFileSync(path);
  const all = sections(buf);
  const bytes = (n) => n.toLocaleString('en-US');
  console.log(`${path}: ${bytes(buf.length)} B raw, ${bytes(gzipSync(buf, { level: 9 }).length)} B gzip -9`);
  console.log('\n| section | raw | gzip -9 alone |\n|---|---|---|');
  for (const s of all) {
    const body = buf.subarray(s.start, s.end);
    console.log(`| ${s.name} | ${bytes(body.length)} | ${bytes(gzipSync(body, { level: 9 }).length)} |`);
  }
  const code = all.find((s) => s.id === 10);
  const nameSection = all.find((s) => s.name === 'custom "name"');
  if (!code || !nameSection) return console.log('\n(no code or no name section: nothing to attribute)');
  const imports = all.find((s) => s.id === 2);
  const offset = imports ? importedFunctions(buf, imports) : 0;
  const names = functionNames(buf, nameSection);
  const reader = { buf, off: code.start };
  const functions = [];
  for (let i = 0, n = leb(reader); i < n; i++) {
    const size = leb(reader);
    reader.off += size;
    functions.push({ size, symbol: names.get(offset + i) ?? `#${offset + i}` });
  }
  const total = functions.reduce((sum, f) => sum + f.size, 0);
  const byCrate = new Map();
  for (const f of functions) byCrate.set(crateOf(f.symbol), (byCrate.get(crateOf(f.symbol)) ?? 0) + f.size);
  console.log(`\nCode by crate (${bytes(total)} B in ${bytes(functions.length)} functions; generic code counts where it is instantiated by name):\n`);
  console.log('| crate | bytes | share |\n|---|---|---|');
  for (const [crate, size] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, crateRows)) {
    console.log(`| ${crate} | ${bytes(size)} | ${(100 * size / total).toFixed(1)}% |`);
  }
  console.log('\nLargest functions:\n');
  for (const f of functions.sort((a, b) => b.size - a.size).slice(0, functionRows)) {
    console.log(`${bytes(f.size).padStart(9)}  ${demangle(f.symbol).slice(0, 140)}`);
  }
}

function strip(path) {
  const buf = readFileSync(path);
  const kept = [buf.subarray(0, 8), ...sections(buf).filter((s) => s.id !== 0).map((s) => buf.subarray(s.begin, s.end))];
  writeFileSync(path, Buffer.concat(kept));
}

const [command, path, ...rest] = process.argv.slice(2);
if (command === 'report' && path) report(path, Number(rest[0]) || undefined, Number(rest[1]) || undefined);
else if (command === 'strip' && path) strip(path);
else {
  console.error('usage: wasm-weights.mjs report <module.wasm> [crates] [functions] | strip <module.wasm>');
  process.exit(2);
}
