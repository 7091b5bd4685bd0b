// Reporting into the SIEM IT already runs (issue 14), in Debian's Chromium against the testbed's
// OpenTelemetry Collector (https://otel.acme.test/v1/logs) and Splunk HEC
// (https://splunk.acme.test/services/collector/event): events from a real forced logout and a real
// finding arrive in the policy's format, OTLP bodies decode with the official OpenTelemetry
// definitions (opentelemetry-proto, through `cargo run --example otlp_decode`), and a period of 500s
// plus a killed worker lose nothing and duplicate nothing (docs/policy.md, "Delivery").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fsSync from 'node:fs';
import {
  REPO, launch, logEvents, poll, reloadPolicies, removeManagedPolicy, signIn, waitForManaged, writeManagedPolicy,
} from './harness.mjs';
import { HEC_TOKEN, startTestbed } from '../testbed/server.mjs';

const POLICY_FILE = 'crm-guard-siem-test.json';
const OTLP_URL = 'https://otel.acme.test/v1/logs';
const HEC_URL = 'https://splunk.acme.test/services/collector/event';
const BEARER = 'otel-bearer-7f3a9c1e55d04b2a';
const SF = 'https://acme.my.salesforce.com';
process.on('exit', () => {
  try { fsSync.rmSync(`/etc/chromium/policies/managed/${POLICY_FILE}`, { force: true }); } catch {}
});

/** Decodes OTLP/JSON bodies with opentelemetry-proto (the core's `otlp_decode` example). */
function decodeOtlp(bodies) {
  return new Promise((resolve, reject) => {
    const p = spawn('cargo', ['run', '-q', '-p', 'crm-guard-core', '--example', 'otlp_decode'], { cwd: REPO });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0
      ? resolve(out.trim().split('\n').map((l) => JSON.parse(l)))
      : reject(new Error(`otlp_decode exited ${code}: ${err}`))));
    p.stdin.end(bodies.map((b) => b.replace(/\n/g, ' ')).join('\n') + '\n');
  });
}

/** Starts the testbed and a browser with `policy` in managed storage. */
function useSiem(policy) {
  const env = {};
  before(async () => {
    await writeManagedPolicy(POLICY_FILE, policy);
    env.testbed = await startTestbed();
    env.b = await launch({ testbed: env.testbed });
    await waitForManaged(env.b, (m) => m.reportingUrl === policy.reportingUrl);
  });
  after(async () => {
    await removeManagedPolicy(POLICY_FILE);
    await env.b?.close();
    await env.testbed?.close();
  });
  return env;
}

const logged = (b, kind) => b.evalSw(async (kind) =>
  ((await chrome.storage.local.get('eventLog')).eventLog?.events ?? []).filter((e) => e.kind === kind), kind);

/** A real finding (no HSTS on a Salesforce page) and a real forced logout (policy change). */
async function realFindingAndLogout(env, policy) {
  const { b } = env;
  const { page } = await signIn(b, SF);
  await page.goto(`${SF}/no-hsts`);
  const finding = await poll(async () => (await logged(b, 'findingRaised'))
    .find((e) => e.detail?.startsWith('missingHsts')), 'the missing-HSTS finding event');
  await writeManagedPolicy(POLICY_FILE, { ...policy, forceLogoutToken: `siem-${Date.now()}` });
  await reloadPolicies(b);
  await poll(() => page.url().includes('/signed-out.html'), 'signed out by the forced logout', 30_000);
  const [logout] = await poll(async () => { const l = await logged(b, 'forcedLogout'); return l.length && l; }, 'the logout event');
  return { finding, logout };
}

/**
 * The endpoint answers 500, the worker is killed while events wait, the endpoint recovers: every
 * event logged meanwhile is accepted once. `accepted()` lists the event ids of 2xx-answered posts.
 */
async function lossless(env, accepted, failedPosts) {
  const { b, testbed } = env;
  const log = (n, tag) => logEvents(b, n, tag);
  testbed.setReportStatus(500);
  const expected = [...await log(3, 'failing')];
  await poll(() => failedPosts() > 0, 'a post answered 500');
  // The worker recorded the failure (and its back-off) before it is killed: killed between the
  // testbed's answer and that record, it retried as if nothing had failed (a CI run saw it).
  await poll(async () => (await b.evalSw(() => self.crmGuardEvents.status())).lastError === 'HTTP 500', 'the 500 recorded');
  await b.killServiceWorker();
  expected.push(...await log(2, 'after restart'));
  testbed.setReportStatus(200);
  // The back-off alarm (not the test) retries.
  await poll(() => expected.every((id) => accepted().includes(id)), 'every event accepted after recovery', 40_000);
  const counts = new Map();
  for (const id of accepted()) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no event accepted twice');
  const status = await poll(async () => { const s = await b.evalSw(() => self.crmGuardEvents.status()); return s.queued === 0 && s; }, 'queue drained');
  assert.equal(status.failures, 0);
  assert.ok(status.lastSuccessMs && status.lastError === 'HTTP 500', JSON.stringify(status));
  return expected;
}

describe('reportingFormat otlp: an OpenTelemetry Collector', () => {
  const policy = { reportingUrl: OTLP_URL, reportingFormat: 'otlp', reportingToken: BEARER, reportingBatchSize: 3 };
  const env = useSiem(policy);
  const posts = () => env.testbed.otlpLogs;
  const idsOf = (json) => (json.resourceLogs ?? []).flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))
    .map((r) => Number(r.attributes.find((a) => a.key === 'crm_guard.event.id')?.value.intValue));
  const accepted = () => posts().filter((p) => p.status < 300).flatMap((p) => idsOf(p.json));

  test('a real logout and a real finding reach /v1/logs and decode with the official definitions', async () => {
    const { finding, logout } = await realFindingAndLogout(env, policy);
    await poll(() => [finding.id, logout.id].every((id) => accepted().includes(id)), 'both events at the collector', 20_000);
    const decoded = (await decodeOtlp(posts().map((p) => p.raw))).flat();
    assert.equal(decoded.length, posts().length, 'every body decodes as an ExportLogsServiceRequest');
    const installId = (await env.b.storage('local')).installId;
    const records = [];
    for (const rl of decoded) {
      assert.equal(rl.resource['service.name'], 'crm-guard');
      assert.equal(rl.resource['service.instance.id'], installId);
      assert.match(rl.resource['browser.name'], /^Chrom(e|ium) \d+$/);
      assert.equal(rl.resource['service.version'], (await env.b.evalSw(() => chrome.runtime.getManifest().version)));
      assert.ok(rl.records.length <= 3, 'batch size from policy');
      records.push(...rl.records);
    }
    const byId = (id) => records.find((r) => r.attributes['crm_guard.event.id'] === id);
    const l = byId(logout.id);
    assert.equal(l.attributes['crm_guard.event.kind'], 'forcedLogout');
    assert.equal(l.attributes['crm_guard.ocsf.class_uid'], 3002, 'OCSF Authentication');
    assert.equal(l.attributes['crm_guard.ocsf.activity_id'], 2, 'Logoff');
    assert.equal(l.timeUnixNano, String(BigInt(logout.timeMs) * 1_000_000n));
    const f = byId(finding.id);
    assert.equal(f.attributes['crm_guard.event.kind'], 'findingRaised');
    assert.equal(f.attributes['crm_guard.host'], 'acme.my.salesforce.com');
    assert.equal(f.attributes['crm_guard.ocsf.class_uid'], 2004, 'OCSF Detection Finding');
    assert.equal([f.severityNumber, f.severityText].join(' '), '13 WARN');
    for (const p of posts()) assert.equal(p.headers.authorization, `Bearer ${BEARER}`);
    assert.ok(env.testbed.count({ host: 'otel.acme.test', method: 'OPTIONS' }) >= 1, 'CORS preflight answered');
  });

  test('a 500 and a killed worker lose nothing and duplicate nothing', async () => {
    const expected = await lossless(env, accepted, () => posts().filter((p) => p.status >= 500).length);
    console.log(`# otlp: ${expected.length} events across a 500 period and a killed worker, ${posts().length} posts`);
  });
});

describe('reportingFormat splunk-hec: Splunk HTTP Event Collector', () => {
  const policy = { reportingUrl: HEC_URL, reportingFormat: 'splunk-hec', reportingToken: HEC_TOKEN };
  const env = useSiem(policy);
  const posts = () => env.testbed.hecEvents;
  const accepted = () => posts().filter((p) => p.status < 300).flatMap((p) => p.events.map((e) => e.event.id));

  test('the HEC endpoint receives valid events with the token', async () => {
    const { finding, logout } = await realFindingAndLogout(env, policy);
    await poll(() => [finding.id, logout.id].every((id) => accepted().includes(id)), 'both events at HEC', 20_000);
    const installId = (await env.b.storage('local')).installId;
    for (const p of posts()) {
      assert.equal(p.headers.authorization, `Splunk ${HEC_TOKEN}`, 'the testbed refuses any other token (403)');
      for (const e of p.events) {
        assert.deepEqual(Object.keys(e).sort(), ['event', 'host', 'source', 'sourcetype', 'time']);
        assert.equal(e.host, installId);
        assert.equal(e.source, 'crm-guard');
        assert.equal(e.sourcetype, 'crm_guard:event');
        assert.equal(e.time, e.event.timeMs / 1000);
        assert.equal(e.event.ocsf.type_uid, e.event.ocsf.class_uid * 100 + e.event.ocsf.activity_id);
      }
    }
    const all = posts().flatMap((p) => p.events);
    assert.equal(all.find((e) => e.event.id === logout.id).event.ocsf.class_name, 'Authentication');
    assert.equal(all.find((e) => e.event.id === finding.id).event.ocsf.class_name, 'Detection Finding');
  });

  test('a 500 and a killed worker lose nothing and duplicate nothing', async () => {
    const expected = await lossless(env, accepted, () => posts().filter((p) => p.status >= 500).length);
    console.log(`# splunk-hec: ${expected.length} events across a 500 period and a killed worker, ${posts().length} posts`);
  });
});
