// End-to-end: the audit log pushed to a SIEM (docs/delivery.md, "Audit push"). A local
// syslog listener (RFC 5424 over TCP, octet counting) and a local HTTP server playing
// Splunk's HTTP Event Collector and Elasticsearch `_bulk` receive every audit entry of a
// scenario, exactly the rows D1 holds, including those written while the HTTP sinks were
// down: once they are back, the held batch and the ones after it arrive, in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { adminApi, freePort, startWorker } from './harness.mjs';

const ADMIN = ['e2e-admin-cli', 'e2e-admin-secret-0123456789abcdef0123456789'];
const HEC_TOKEN = 'e2e-hec-token-0123456789';
let worker;
let admin;
let httpPort;
let http;
let syslogServer;
const syslog = []; // RFC 5424 messages
const splunk = []; // HEC events
const elastic = []; // { _id, doc }

/** RFC 6587 §3.4.1: `LEN SP MSG`, repeated. */
function syslogListener() {
  return createTcpServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        const space = buffer.indexOf(' ');
        if (space < 0) break;
        const length = Number(buffer.slice(0, space));
        if (buffer.length < space + 1 + length) break;
        syslog.push(buffer.slice(space + 1, space + 1 + length));
        buffer = buffer.slice(space + 1 + length);
      }
    });
  });
}

async function startHttp() {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.url === '/services/collector/event' && req.headers.authorization === `Splunk ${HEC_TOKEN}`) {
        for (const line of body.split('\n').filter(Boolean)) splunk.push(JSON.parse(line));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      } else if (req.url === '/_bulk' && req.headers['content-type'] === 'application/x-ndjson') {
        const lines = body.split('\n').filter(Boolean);
        for (let i = 0; i < lines.length; i += 2) {
          elastic.push({ _id: JSON.parse(lines[i]).index._id, doc: JSON.parse(lines[i + 1]) });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errors":false}');
      } else {
        res.writeHead(401).end();
      }
    });
  });
  await new Promise((resolve) => http.listen(httpPort, '127.0.0.1', resolve));
}
const stopHttp = () => new Promise((resolve) => http.close(resolve));

before(async () => {
  httpPort = await freePort();
  const syslogPort = await freePort();
  syslogServer = syslogListener();
  await new Promise((resolve) => syslogServer.listen(syslogPort, '127.0.0.1', resolve));
  await startHttp();
  const base = `http://127.0.0.1:${httpPort}`;
  worker = await startWorker({ vars: { ADMIN_CLIENT_ID: ADMIN[0], ADMIN_CLIENT_SECRET: ADMIN[1],
    AUDIT_LOG_SYSLOG: 'true', SYSLOG_HOST: '127.0.0.1', SYSLOG_PORT: String(syslogPort), SYSLOG_TLS: 'false',
    AUDIT_LOG_SPLUNK_URL: base, AUDIT_LOG_SPLUNK_TOKEN: HEC_TOKEN, AUDIT_LOG_ELASTICSEARCH_URL: base,
    AUDIT_LOG_ELASTICSEARCH_INDEX: 'e2e-audit' } });
  admin = adminApi(worker, ...ADMIN);
});
after(async () => {
  if (process.env.E2E_DEBUG) console.log(worker?.logs());
  await worker?.stop();
  await stopHttp().catch(() => {});
  await new Promise((resolve) => syslogServer.close(resolve));
});

const syslogIds = () => syslog.map((m) => JSON.parse(m.slice(m.indexOf(' - {') + 3)).id);
const splunkIds = () => splunk.map((e) => e.event.id);
const elasticIds = () => elastic.map((e) => e._id);

/** Waits until every sink holds exactly the audit entries D1 holds; resolves with them. */
async function everySinkHoldsTheLog() {
  let rows = [];
  for (let i = 0; i < 80; i++) {
    rows = (await worker.query('SELECT id FROM audit_log ORDER BY timestamp, rowid')).map((r) => r.id);
    const same = (ids) => ids.length === rows.length && ids.every((id, n) => id === rows[n]);
    if (rows.length > 0 && same(syslogIds()) && same(splunkIds()) && same(elasticIds())) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`sinks differ from D1: ${rows.length} rows; syslog ${syslog.length}, splunk ${splunk.length}, `
    + `elasticsearch ${elastic.length}\n${worker.logs()}`);
}

test('every audit entry of a scenario reaches syslog, Splunk HEC and Elasticsearch, in the order D1 holds them', async () => {
  for (const name of ['One', 'Two', 'Three']) {
    const res = await admin('POST', '/register', { client_name: name, redirect_uris: ['https://app.example/cb'] });
    assert.equal(res.status, 201);
  }
  const rows = await everySinkHoldsTheLog();
  const listed = await admin('GET', '/api/audit-logs?limit=1');
  assert.ok(rows.length >= 3 && listed.body.total >= rows.length - 1, 'what /api/audit-logs counts');
  assert.match(syslog[0], /^<85>1 \S+ 127\.0\.0\.1 authority - [\w.]+ - \{/, 'RFC 5424');
  assert.equal(elastic[0].doc.id, elastic[0]._id, 'each entry indexed under its own id');
  assert.equal(splunk[0].sourcetype, 'authority:audit');
});

test('entries written while the HTTP sinks are down arrive once they are back, in order, without gaps', async () => {
  await stopHttp();
  for (const name of ['Four', 'Five']) {
    assert.equal((await admin('POST', '/register', { client_name: name, redirect_uris: ['https://app.example/cb'] })).status, 201);
  }
  let held;
  for (let i = 0; i < 60 && !held; i++) {
    [held] = await worker.query("SELECT id, last_error FROM deliveries WHERE kind = 'audit' AND status = 'pending' AND attempts > 0");
    if (!held) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(held, 'a batch failed and waits');
  await startHttp();
  await worker.query("UPDATE deliveries SET next_attempt_at = 0 WHERE kind = 'audit' AND status = 'pending'");
  await worker.scheduled('17 * * * *');
  await everySinkHoldsTheLog();
  assert.equal(new Set(splunkIds()).size, splunkIds().length, 'none twice');
});
