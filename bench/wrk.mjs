// wrk (the load generator) and the Lua scripts that give each of its requests a body,
// headers, or a token of its own.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DURATION = process.env.BENCH_SECONDS || '5';
export const CONNECTIONS = 16;

export async function wrk(name, url, script) {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 24 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const ms = (label) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    if (!m) return NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(stdout)?.[0];
  return { name, rps, avg: ms('Latency'), p50: ms(' 50%'), p99: ms(' 99%'), non2xx, errors };
}

export function postScript(dir, name, body, authorization) {
  const lua = `wrk.method = "POST"
wrk.body = ${JSON.stringify(body)}
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = ${JSON.stringify(authorization)}
`;
  const path = join(dir, `${name}.lua`);
  return writeFile(path, lua).then(() => path);
}

/** Each wrk thread walks its own half of the token list: every refresh uses a fresh token. */
export async function refreshScript(dir, tokens, authorization, name = 'refresh') {
  const tokenFile = join(dir, `${name}-tokens.txt`);
  await writeFile(tokenFile, tokens.join('\n'));
  const lua = `local tokens = {}
for line in io.lines(${JSON.stringify(tokenFile)}) do tokens[#tokens + 1] = line end
local threads, counter = {}, 1
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) i = id end
function request()
  local t = tokens[i]
  i = i + 2
  if t == nil then t = "exhausted" end
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = ${JSON.stringify(authorization)}}, "grant_type=refresh_token&refresh_token=" .. t)
end
`;
  const path = join(dir, `${name}.lua`);
  await writeFile(path, lua);
  return path;
}

export async function bearerScript(dir, token) {
  const path = join(dir, 'bearer.lua');
  await writeFile(path, `wrk.headers["Authorization"] = ${JSON.stringify(`Bearer ${token}`)}\n`);
  return path;
}
