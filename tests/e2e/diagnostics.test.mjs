// The diagnostics page for IT (issue 14), in Debian's Chromium with a real managed policy: reached
// from the options page's link, it says where each setting came from ("managed, locked", "user",
// "default"), shows the raw policy and its errors with secrets masked, the reporting status, and
// its "send a test event" reaches the testbed's OpenTelemetry Collector; its JSON export holds no
// secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import { launch, poll, removeManagedPolicy, setOptions, waitForManaged, writeManagedPolicy } from './harness.mjs';
import { startTestbed } from '../testbed/server.mjs';

const POLICY_FILE = 'crm-guard-diagnostics-test.json';
const OTLP_URL = 'https://otel.acme.test/v1/logs';
const TOKEN = 'diag-token-do-not-leak-5b0e';
const POLICY = {
  idleTimeoutMinutes: 20, reportingUrl: OTLP_URL, reportingFormat: 'otlp', reportingToken: TOKEN,
  disabledCrms: ['no-such-crm'], tenants: { salesforce: ['acme.my.salesforce.com'] },
};
process.on('exit', () => {
  try { fsSync.rmSync(`/etc/chromium/policies/managed/${POLICY_FILE}`, { force: true }); } catch {}
});

describe('diagnostics page', () => {
  let testbed, b;
  before(async () => {
    await writeManagedPolicy(POLICY_FILE, POLICY);
    testbed = await startTestbed();
    b = await launch({ testbed });
    await waitForManaged(b, (m) => m.reportingToken === TOKEN);
  });
  after(async () => {
    await removeManagedPolicy(POLICY_FILE);
    await b?.close();
    await testbed?.close();
  });

  const row = (page, key) => page.$eval(`#settings tr[data-key="${key}"]`, (tr) => [...tr.cells].map((c) => c.textContent));

  test('shows a managed value as "managed, locked", and the test event arrives', async () => {
    await setOptions(b, { warningSeconds: 30 });
    const options = await b.extensionPage('options.html');
    await options.waitForSelector('body[data-ready="true"]');
    await options.click('#diagnostics-link');
    await options.waitForURL(/\/diagnostics\.html$/);
    const page = options;
    await page.waitForSelector('body[data-ready="true"]');
    assert.deepEqual(await row(page, 'idleTimeoutMinutes'), ['idleTimeoutMinutes', '20', 'managed, locked']);
    assert.deepEqual(await row(page, 'warningSeconds'), ['warningSeconds', '30', 'user']);
    assert.deepEqual(await row(page, 'passwordMinLength'), ['passwordMinLength', '12', 'default']);
    assert.deepEqual(await row(page, 'reportingToken'), ['reportingToken', '(set)', 'managed, locked']);
    const text = await page.textContent('body');
    assert.ok(!text.includes(TOKEN), 'the token is never on the page');
    assert.match(await page.textContent('#managed'), /"idleTimeoutMinutes": 20/);
    assert.ok(await page.$('#errors tr[data-key="disabledCrms"]'), 'the policy error is listed');
    assert.ok(await page.$('#catalog tr[data-id="salesforce"]'));
    assert.match(await page.textContent('#tenants'), /acme\.my\.salesforce\.com/);
    const id = await b.evalSw(() => chrome.runtime.id);
    assert.equal(await page.textContent('#extension tr[data-name="id"] td'), id);
    assert.match(await page.textContent('#extension tr[data-name="browser"] td'), /^Chrom(e|ium) \d+ \(Mozilla/);
    assert.equal(await page.textContent('#reporting tr[data-name="format"] td'), 'otlp');
    assert.equal(await page.textContent('#reporting tr[data-name="endpoint"] td'), OTLP_URL);

    await page.click('#send-test');
    const eventId = Number(await poll(() => page.getAttribute('#test-status', 'data-event-id'), 'the test event id'));
    const records = () => testbed.otlpLogs.filter((p) => p.status < 300)
      .flatMap((p) => p.json.resourceLogs[0].scopeLogs[0].logRecords);
    const rec = await poll(() => records().find((r) => r.attributes.some((a) => a.key === 'crm_guard.event.id'
      && Number(a.value.intValue) === eventId)), 'the test event at the collector', 15_000);
    assert.ok(rec.attributes.some((a) => a.key === 'crm_guard.event.kind' && a.value.stringValue === 'reportingTest'));
    assert.equal(testbed.otlpLogs.at(-1).headers.authorization, `Bearer ${TOKEN}`, 'the token reaches the receiver only');
    // The page follows the queue: the success shows up without a reload.
    await poll(async () => (await page.textContent('#reporting tr[data-name="lastSuccess"] td')) !== 'never', 'last success shown');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    assert.equal(download.suggestedFilename(), 'crm-guard-diagnostics.json');
    const raw = await fs.readFile(await download.path(), 'utf8');
    assert.ok(!raw.includes(TOKEN), 'the export holds no secret');
    const d = JSON.parse(raw);
    assert.equal(d.managedPolicy.reportingToken, '(set)');
    assert.equal(d.extension.id, id);
    assert.deepEqual(d.settings.find((s) => s.key === 'idleTimeoutMinutes'), { key: 'idleTimeoutMinutes', value: 20, source: 'managed', locked: true });
    assert.equal(d.reporting.format, 'otlp');
    assert.ok(d.errors.some((e) => e.key === 'disabledCrms'));
    await page.close();
  });
});
