// Hostile pages, other extensions' reach and the wire (issue 10), in Debian's Chromium against the testbed:
// - item 5: the reporting secret set by managed policy (a real policy file) reaches no extension page, no
//   storage area and no console line; every batch the endpoint captures is signed over an install id, a
//   send time and a nonce, and a resend of the same batch gets a fresh send time and nonce;
// - item 10: a plaintext `ws:` socket to a CRM host never reaches the wire (Chromium cannot move a WebSocket
//   to `wss:` by rule, so it is blocked: see crates/crm-guard-core/src/dnr.rs), while `wss:` still works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fsSync from 'node:fs';
import { launch, poll, removeManagedPolicy, waitForManaged, writeManagedPolicy } from './harness.mjs';
import { HTTP_CRM_HOST, startTestbed } from '../testbed/server.mjs';

const POLICY_FILE = 'crm-guard-secrets-test.json';
const SECRET = 'Hx9-secret-that-stays-in-the-worker-42';
const REPORT_URL = 'https://reports.acme.test/report';
process.on('exit', () => {
  try { fsSync.rmSync(`/etc/chromium/policies/managed/${POLICY_FILE}`, { force: true }); } catch {}
});

/** Opens a WebSocket from `page` and reports what happened (first message, error, close or time-out). */
const openSocket = (page, url) => page.evaluate((url) => new Promise((resolve) => {
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    resolve({ thrown: e.name });
    return;
  }
  const done = (r) => {
    try { ws.close(); } catch {}
    resolve(r);
  };
  ws.onmessage = (m) => done({ open: true, message: String(m.data) });
  ws.onerror = () => done({ error: true });
  ws.onclose = (e) => done({ closed: e.code });
  setTimeout(() => done({ timeout: true }), 5000);
}), url);

describe('hostile: secrets stay in the worker, ws:// never leaves in clear', () => {
  let testbed, b;
  before(async () => {
    await writeManagedPolicy(POLICY_FILE, { reportingUrl: REPORT_URL, reportingHmacSecret: SECRET, reportingBatchSize: 5 });
    testbed = await startTestbed();
    b = await launch({ testbed });
    await waitForManaged(b, (m) => m.reportingHmacSecret === SECRET);
  });
  after(async () => {
    await removeManagedPolicy(POLICY_FILE);
    await b?.close();
    await testbed?.close();
  });

  const sockets = (scheme, host) => testbed.requests.filter((r) => r.websocket && r.scheme === scheme && r.host === host);

  test('item 5: no extension page reply, storage area or console line carries the managed reporting secret', async () => {
    const page = await b.extensionPage('options.html');
    await page.waitForSelector('body[data-ready="true"]');
    // Everything an extension page (or anything that can script one) can ask the worker for.
    const replies = await page.evaluate(async () => {
      const send = (m) => chrome.runtime.sendMessage(m);
      return {
        settings: await send({ type: 'settings', fresh: true }),
        saved: await send({ type: 'saveOptions', options: { idleTimeoutMinutes: 45 } }),
        schema: await send({ type: 'settingsSchema' }),
        events: await send({ type: 'events', filter: {} }),
        json: await send({ type: 'exportEvents', format: 'json', filter: {} }),
        csv: await send({ type: 'exportEvents', format: 'csv', filter: {} }),
        status: await send({ type: 'reportingStatus' }),
        // The diagnostics page's reply and export (issue 14): the raw managed policy, masked.
        diagnostics: await send({ type: 'diagnostics' }),
      };
    });
    assert.equal(replies.settings.settings.reportingUrl, REPORT_URL, 'the settings reply is the real one');
    assert.equal(replies.diagnostics.managedPolicy.reportingHmacSecret, '(set)', 'the raw policy on the diagnostics page is masked');
    assert.ok(replies.settings.locked.includes('reportingHmacSecret'));
    assert.equal(replies.settings.settings.reportingHmacSecret, '(set)', 'masked');
    assert.equal(replies.saved.settings.reportingHmacSecret, '(set)', 'saveOptions reply masked too');
    assert.ok(!JSON.stringify(replies).includes(SECRET), 'no reply carries the secret');
    // The options page shows it read-only as set, never its value.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.inputValue('#f-reportingHmacSecret'), 'Set (never shown)');
    assert.equal(await page.isDisabled('#f-reportingHmacSecret'), true);
    assert.ok(!(await page.content()).includes(SECRET));
    await page.close();
    // Storage a content script or page can read holds no copy (the snapshot keeps a stand-in).
    for (const area of ['local', 'session']) {
      assert.ok(!JSON.stringify(await b.storage(area)).includes(SECRET), `storage.${area}`);
    }
    assert.ok((await b.storage('local')).settingsSnapshot, 'the snapshot exists (with its stand-in)');
    assert.ok(!b.swConsole.some((m) => m.text.includes(SECRET)), 'no console line');
  });

  test('item 5: a captured batch carries install id, send time and nonce, verifies with the secret; a resend gets fresh ones', async () => {
    testbed.clear();
    testbed.setReportStatus(500);
    const t0 = Date.now();
    const ids = await b.evalSw(async () => {
      const out = [];
      for (let i = 0; i < 3; i++) {
        out.push((await self.crmGuardEvents.log({ kind: 'findingRaised', crmId: 'salesforce', detail: `replay ${i}` })).id);
      }
      return out;
    });
    await poll(() => testbed.reports.some((r) => r.status === 500 && r.json.events.some((e) => ids.includes(e.id))),
      'a failed sending');
    testbed.setReportStatus(204);
    // The retry comes from the report alarm (back-off from 5 s).
    await poll(() => ids.every((id) => testbed.reports.some((r) => r.status < 300 && r.json.events.some((e) => e.id === id))),
      'the resend accepted', 30_000);
    const installId = (await b.storage('local')).installId;
    assert.match(installId, /^[0-9a-f]{32}$/);
    for (const r of testbed.reports) {
      const sig = 'sha256=' + crypto.createHmac('sha256', SECRET).update(r.raw).digest('hex');
      assert.equal(r.headers['x-crm-guard-signature'], sig, 'HMAC over the raw body, install id, time and nonce included');
      assert.equal(r.json.installId, installId);
      assert.match(r.json.nonce, /^[0-9a-f]{32}$/);
      assert.ok(r.json.sentMs >= t0 - 1000 && r.json.sentMs <= r.time + 1000, `send time ${r.json.sentMs} vs received ${r.time}`);
    }
    const failed = testbed.reports.find((r) => r.status === 500);
    const resent = testbed.reports.find((r) => r.status < 300 && r.json.batchId === failed.json.batchId);
    assert.ok(resent, 'the same batch was sent again');
    assert.deepEqual(resent.json.events, failed.json.events, 'same batch, same events (the receiver dedups by id)');
    assert.notEqual(resent.json.nonce, failed.json.nonce, 'a fresh nonce');
    assert.ok(resent.json.sentMs > failed.json.sentMs, 'a fresh send time');
    const nonces = testbed.reports.map((r) => r.json.nonce);
    assert.equal(new Set(nonces).size, nonces.length, 'no nonce twice');
    console.log(`# replay fields: ${testbed.reports.length} sendings, resend ${resent.json.sentMs - failed.json.sentMs} ms after the failed one`);
  });

  test('item 10: ws:// to a CRM host from a plain-http page of another site never reaches the wire; wss:// does', async () => {
    testbed.clear();
    const { page } = await b.openTab('http://example.test/');
    assert.equal(page.url(), 'http://example.test/', 'the attacker page itself is plain http');
    const plain = await openSocket(page, `ws://${HTTP_CRM_HOST}/socket-plain`);
    assert.ok(!plain.open, `the plaintext socket did not open: ${JSON.stringify(plain)}`);
    assert.deepEqual(sockets('http', HTTP_CRM_HOST).map((r) => r.path), [], 'zero plaintext ws handshakes on the http port');
    const tls = await openSocket(page, `wss://${HTTP_CRM_HOST}/socket-tls`);
    assert.deepEqual(tls, { open: true, message: 'hello' });
    assert.deepEqual(sockets('https', HTTP_CRM_HOST).map((r) => r.path), ['/socket-tls'], 'the wss handshake on the https port');

    // The static ruleset alone blocks it too (before the worker has installed its dynamic rules).
    const saved = await b.evalSw(async () => {
      const rules = await chrome.declarativeNetRequest.getDynamicRules();
      await chrome.declarativeNetRequest.updateDynamicRules({ removeRuleIds: rules.map((r) => r.id) });
      return rules;
    });
    try {
      assert.ok(saved.some((r) => r.action.type === 'block' && r.condition.urlFilter === '|ws://'
        && r.condition.requestDomains.includes('odoo.com')), 'a dynamic ws rule for the catalog domain');
      const again = await openSocket(page, `ws://${HTTP_CRM_HOST}/socket-static`);
      assert.ok(!again.open, JSON.stringify(again));
      assert.equal(sockets('http', HTTP_CRM_HOST).length, 0, 'static rules: still zero plaintext handshakes');
      // Control (what the extension without ws rules let through): with no rules at all, the same
      // socket opens in clear and the http port sees its handshake, cookies and all.
      await b.evalSw(() => chrome.declarativeNetRequest.updateEnabledRulesets({ disableRulesetIds: ['builtin_https_upgrade'] }));
      const leaked = await openSocket(page, `ws://${HTTP_CRM_HOST}/socket-unprotected`);
      assert.deepEqual(leaked, { open: true, message: 'hello' });
      assert.deepEqual(sockets('http', HTTP_CRM_HOST).map((r) => r.path), ['/socket-unprotected'], 'the control leaks');
    } finally {
      await b.evalSw(() => chrome.declarativeNetRequest.updateEnabledRulesets({ enableRulesetIds: ['builtin_https_upgrade'] }));
      await b.evalSw((rules) => chrome.declarativeNetRequest.updateDynamicRules({ addRules: rules }), saved);
    }
    testbed.clear();
    const restored = await openSocket(page, `ws://${HTTP_CRM_HOST}/socket-restored`);
    assert.ok(!restored.open && sockets('http', HTTP_CRM_HOST).length === 0, 'blocked again once the rules are back');
    await page.close();
  });

  test('item 10: a CRM page: its ws:// never leaves in clear, its wss:// reaches the https port', async () => {
    testbed.clear();
    // Over https (upgraded): the browser refuses ws:// as mixed content; wss:// works.
    const { page } = await b.openTab(`http://${HTTP_CRM_HOST}/web`);
    assert.equal(page.url(), `https://${HTTP_CRM_HOST}/web`);
    const fromHttps = await openSocket(page, `ws://${HTTP_CRM_HOST}/socket-plain`);
    const tls = await openSocket(page, `wss://${HTTP_CRM_HOST}/socket-tls`);
    assert.deepEqual(tls, { open: true, message: 'hello' });
    await page.close();
    // Over http (the host allowed over http for this session, as after "continue" on an IT exception
    // host): the page's own ws:// is blocked by CRM Guard's rule.
    await b.allowHttp(HTTP_CRM_HOST);
    try {
      const { page: http } = await b.openTab(`http://${HTTP_CRM_HOST}/legacy`);
      assert.equal(http.url(), `http://${HTTP_CRM_HOST}/legacy`, 'an http CRM page');
      const fromHttp = await openSocket(http, `ws://${HTTP_CRM_HOST}/socket-from-http`);
      assert.ok(!fromHttp.open, JSON.stringify(fromHttp));
      await http.close();
      console.log(`# ws from the https CRM page: ${JSON.stringify(fromHttps)}; from the http CRM page: ${JSON.stringify(fromHttp)}`);
    } finally {
      await b.evalSw(async () => {
        const ids = (await chrome.declarativeNetRequest.getSessionRules()).map((r) => r.id);
        await chrome.declarativeNetRequest.updateSessionRules({ removeRuleIds: ids });
      });
    }
    assert.deepEqual(sockets('http', HTTP_CRM_HOST).map((r) => r.path), [], 'zero plaintext ws handshakes on the http port');
    assert.ok(sockets('https', HTTP_CRM_HOST).some((r) => r.path === '/socket-tls'), 'the wss handshake arrived on the https port');
  });
});
