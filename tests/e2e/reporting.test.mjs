// Reporting endpoint, proven in Debian's Chromium against the testbed's https://reports.acme.test/report:
// every event reaches the endpoint exactly once (counted by accepted event id), signed with the
// policy's HMAC secret, across a killed service worker and a period when the endpoint answers 500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import {
  launch, logEvents as logEventsIn, poll, removeManagedPolicy, useBrowser, waitForManaged, writeManagedPolicy,
} from './harness.mjs';
import { startTestbed } from '../testbed/server.mjs';

const POLICY_FILE = 'crm-guard-policy-test.json';
const SECRET = 'testbed-secret-0123456789';
const REPORT_URL = 'https://reports.acme.test/report';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.on('exit', () => {
  try { fsSync.rmSync(`/etc/chromium/policies/managed/${POLICY_FILE}`, { force: true }); } catch {}
});


describe('reporting endpoint', () => {
  let testbed, b;
  before(async () => {
    await writeManagedPolicy(POLICY_FILE, {
      reportingUrl: REPORT_URL, reportingHmacSecret: SECRET, reportingBatchSize: 4,
      // A bad value: its policyError event is reported like any other.
      disabledCrms: ['no-such-crm'],
    });
    testbed = await startTestbed();
    b = await launch({ testbed });
    await waitForManaged(b, (m) => m.reportingUrl === REPORT_URL);
  });
  after(async () => {
    await removeManagedPolicy(POLICY_FILE);
    await b?.close();
    await testbed?.close();
  });

  const logEvents = (n, tag) => logEventsIn(b, n, tag);

  /** Event ids in the batches the endpoint accepted (2xx), with repetitions. */
  const accepted = () => testbed.reports.filter((r) => r.status < 300).flatMap((r) => r.json.events.map((e) => e.id));

  test('every event exactly once, signed, across a 500 period and a killed worker', async () => {
    const t0 = Date.now();
    // The policy's bad value is logged (once) as the worker starts: it is one of the events to deliver.
    const all = await poll(async () => {
      const events = (await b.storage('local')).eventLog?.events ?? [];
      return events.some((e) => e.kind === 'policyError') && events;
    }, 'the policy error event');
    const expected = new Set(all.map((e) => e.id));
    for (const id of await logEvents(6, 'online')) expected.add(id);
    await poll(() => expected.size > 0 && [...expected].every((id) => accepted().includes(id)), 'first events accepted');
    const firstDelivery = Date.now() - t0;

    // The endpoint fails: nothing is lost, the batch is retried with back-off.
    testbed.setReportStatus(500);
    for (const id of await logEvents(5, 'failing')) expected.add(id);
    await poll(() => testbed.reports.some((r) => r.status === 500), 'a failed attempt');
    // The testbed records the request before the worker has read the 500: wait for the worker's
    // own account of the failure (reading it once raced the response, seen once in a run).
    const status = await poll(async () => {
      const s = await b.evalSw(() => self.crmGuardEvents.status());
      return s.failures >= 1 && s;
    }, 'the worker counted the failure');
    assert.ok(status.queued >= 5, JSON.stringify(status));

    // The worker is killed while events wait; the queue is in chrome.storage.local.
    await b.killServiceWorker();
    const stored = (await b.storage('local')).reportQueue;
    assert.ok(stored.inFlight || stored.pending.length, 'the queue survived the worker');
    for (const id of await logEvents(3, 'after restart')) expected.add(id);

    // The endpoint recovers: the alarm (not the test) retries.
    testbed.setReportStatus(204);
    const recovered = Date.now();
    await poll(() => [...expected].every((id) => accepted().includes(id)), 'every event accepted', 30_000);
    const retryDelay = Date.now() - recovered;

    const ids = accepted();
    const counts = new Map();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const dupes = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(dupes, [], 'no event accepted twice');
    assert.deepEqual([...counts.keys()].sort((a, c) => a - c), [...expected].sort((a, c) => a - c), 'none lost, none extra');
    // Failed attempts resent the same batch (same id and events).
    const failed = testbed.reports.filter((r) => r.status === 500);
    const retried = testbed.reports.find((r) => r.status < 300 && r.json.batchId === failed[0].json.batchId);
    assert.deepEqual(retried?.json.events, failed[0].json.events);

    for (const r of testbed.reports) {
      const sig = 'sha256=' + crypto.createHmac('sha256', SECRET).update(r.raw).digest('hex');
      assert.equal(r.headers['x-crm-guard-signature'], sig, 'HMAC over the raw body');
      assert.equal(r.json.schema, 'crm-guard.events.v1');
      assert.ok(r.json.events.length <= 4, 'batch size from policy');
      for (const e of r.json.events) {
        if (e.host) assert.equal(e.host, 'acme.my.salesforce.com', 'host only, never the path or query');
      }
    }
    assert.ok(testbed.reports.some((r) => r.json.events.some((e) => e.kind === 'policyError')),
      'the policy error event is reported too');
    // The preflight was answered (custom signature header).
    assert.ok(testbed.count({ host: 'reports.acme.test', method: 'OPTIONS' }) >= 1);
    const after = await b.evalSw(() => self.crmGuardEvents.status());
    assert.deepEqual([after.queued, after.failures], [0, 0]);
    console.log(`# reporting: ${expected.size} events, ${testbed.reports.length} POSTs ` +
      `(${failed.length} answered 500); first delivery ${firstDelivery} ms; delivered ${retryDelay} ms after recovery`);
  });

  test('an endpoint that never answers preflight does not block the extension or lose events', async () => {
    testbed.setReportPreflight(false);
    const t0 = Date.now();
    const ids = await logEvents(3, 'no preflight');
    const logMs = Date.now() - t0;
    assert.ok(logMs < 2000, `logging does not wait on the endpoint (${logMs} ms)`);
    const { tabId } = await b.openTab('https://acme.my.salesforce.com/');
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    await poll(async () => (await b.evalSw(() => self.crmGuardEvents.status())).failures >= 1, 'a failed attempt');
    const log = (await b.storage('local')).eventLog.events.map((e) => e.id);
    assert.ok(ids.every((id) => log.includes(id)), 'in the local log');
    const q = (await b.storage('local')).reportQueue;
    const queued = [...(q.inFlight?.events ?? []), ...q.pending].map((e) => e.id);
    assert.ok(ids.every((id) => queued.includes(id)), 'and still queued for the endpoint');
    testbed.setReportPreflight(true);
  });
});

describe('event log in the options page', () => {
  let testbed, b;
  useBrowser((env) => ({ testbed, b } = env));

  test('lists the log newest first, filters by CRM, level and type, exports JSON and CSV', async () => {
    await b.evalSw(async () => {
      const log = (e) => self.crmGuardEvents.log(e);
      await log({ kind: 'findingRaised', crmId: 'salesforce', host: 'acme.my.salesforce.com', level: 'warning', detail: 'first' });
      await log({ kind: 'idleLogout', crmId: 'hubspot', host: 'app.hubspot.com' });
      await log({ kind: 'findingRaised', crmId: 'hubspot', level: 'atRisk', detail: '=HYPERLINK("http://evil")' });
    });
    const page = await b.extensionPage('options.html');
    await page.waitForSelector('body[data-ready="true"]');
    const rows = () => page.$$eval('#events tbody tr', (trs) => trs.map((tr) => [tr.dataset.kind, ...[...tr.cells].slice(1).map((c) => c.textContent)]));
    assert.deepEqual((await rows()).map((r) => r.slice(0, 3)), [
      ['findingRaised', 'Security finding', 'hubspot'],
      ['idleLogout', 'Signed out (inactivity)', 'hubspot'],
      ['findingRaised', 'Security finding', 'salesforce'],
    ]);
    const renders = async () => Number(await page.getAttribute('body', 'data-renders') ?? 0);
    await page.selectOption('#filter-crm', 'hubspot');
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 2);
    await page.selectOption('#filter-level', 'atRisk');
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 1);
    assert.equal((await rows())[0][4], 'At risk');
    await page.selectOption('#filter-level', '');
    await page.selectOption('#filter-kind', 'idleLogout');
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 1
      && document.querySelector('#events tbody tr').dataset.kind === 'idleLogout');

    // A new event shows up live.
    const before = await renders();
    await b.evalSw(() => self.crmGuardEvents.log({ kind: 'idleLogout', crmId: 'hubspot' }));
    await page.waitForFunction((n) => Number(document.body.dataset.renders) > n
      && document.querySelectorAll('#events tbody tr').length === 2, before);

    // Export: the filtered log, in the core's formats, downloaded from a Blob URL.
    await page.selectOption('#filter-kind', '');
    await page.selectOption('#filter-crm', '');
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    assert.equal(json.suggestedFilename(), 'crm-guard-events.json');
    assert.match(json.url(), /^blob:chrome-extension:/);
    const events = JSON.parse(await fs.readFile(await json.path(), 'utf8'));
    assert.deepEqual(events.map((e) => e.kind), ['findingRaised', 'idleLogout', 'findingRaised', 'idleLogout']);
    await page.selectOption('#filter-crm', 'hubspot');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const text = await fs.readFile(await csv.path(), 'utf8');
    const lines = text.trim().split('\r\n');
    assert.equal(lines[0], 'id,time,kind,crm,host,level,detail');
    assert.equal(lines.length, 4, text);
    assert.ok(lines.some((l) => l.endsWith(`,hubspot,,atRisk,"'=HYPERLINK(""http://evil"")"`)), 'formula-safe CSV: ' + text);
    await page.close();
  });
});
