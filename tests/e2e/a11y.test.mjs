// Accessibility (issue 15): axe-core's WCAG 2.1 A and AA rules report 0 violations on every surface
// an employee sees — the popup on a risky tab, the options page (with locked keys and a policy
// error shown), the signed-out and HTTPS-failed pages, and, inside their closed shadow roots, the
// in-page idle warning and the password meter — and IT's diagnostics page (with the policy's error
// listed), in light and in dark mode (prefers-color-scheme).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extensionUi, launch, poll, reloadPolicies, removeManagedPolicy, waitForManaged, writeManagedPolicy } from './harness.mjs';
import { axeViolations } from './axe.mjs';
import { startTestbed } from '../testbed/server.mjs';

const POLICY_FILE = 'crm-guard-a11y-test.json';
const SF = 'https://acme.my.salesforce.com';

describe('accessibility: axe-core, WCAG 2.1 A/AA, every surface', () => {
  let testbed, b;
  before(async () => {
    await writeManagedPolicy(POLICY_FILE, { idleTimeoutMinutes: 30, passwordMode: 'block', trustedNetworkProbeUrl: 'http://probe.acme.test/' });
    testbed = await startTestbed();
    b = await launch({ testbed });
    await reloadPolicies(b);
    await waitForManaged(b, (m) => m.idleTimeoutMinutes === 30);
  });
  after(async () => {
    await removeManagedPolicy(POLICY_FILE);
    await b?.close();
    await testbed?.close();
  });

  /** axe in light and dark mode; both must be clean. Returns the background colours seen. */
  async function clean(page, what, opts) {
    const backgrounds = [];
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      backgrounds.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      const { violations, checked } = await axeViolations(page, opts);
      assert.ok(checked > 0, `${what}: nothing to check`);
      assert.deepEqual(violations, [], `${what} (${colorScheme}): ${violations.join('\n')}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    return backgrounds;
  }

  test('popup on a risky tab (findings, sign-out, countdown)', async () => {
    const { page, tabId } = await b.openTab(`${SF}/mixed-active`);
    await b.waitForBadge(tabId, (x) => x.text === '!!');
    const popup = await b.popup(tabId);
    await popup.waitForSelector('body[data-ready="true"]');
    await popup.click('#sign-out-all'); // the confirmation open too
    const [light, dark] = await clean(popup, 'popup');
    assert.notEqual(light, dark, 'dark mode follows prefers-color-scheme');
    await popup.close();
    await page.close();
  });

  test('options page: summary, locked keys with reasons, log, grouped advanced settings with errors', async () => {
    const page = await b.extensionPage('options.html');
    await page.waitForSelector('body[data-ready="true"]');
    assert.ok(await page.isVisible('#locked-list [data-locked-key="idleTimeoutMinutes"]'));
    assert.ok((await page.textContent('#err-trustedNetworkProbeUrl')).length > 0, 'an error beside its field');
    const [light, dark] = await clean(page, 'options');
    assert.notEqual(light, dark, 'dark mode follows prefers-color-scheme');
    await page.close();
  });

  test('signed-out and HTTPS-failed pages', async () => {
    const out = await b.extensionPage(`signed-out.html?crm=Salesforce&reason=idle&minutes=15&back=${encodeURIComponent(`${SF}/`)}`);
    await out.waitForSelector('body[data-ready="true"]');
    await clean(out, 'signed-out page');
    await out.close();
    const failed = await b.extensionPage(`https-failed.html?url=${encodeURIComponent('http://notls.acme.test/')}`);
    await failed.waitForSelector('body[data-ready="true"]');
    await clean(failed, 'HTTPS-failed page');
    await failed.close();
  });

  test('diagnostics page: settings with their sources, raw policy, errors, reporting status', async () => {
    const page = await b.extensionPage('diagnostics.html');
    await page.waitForSelector('body[data-ready="true"]');
    assert.ok(await page.$('#settings tr[data-key="idleTimeoutMinutes"]'), 'the settings table is filled');
    assert.ok(await page.$('#errors tr[data-key="trustedNetworkProbeUrl"]'), 'the policy error is listed');
    const [light, dark] = await clean(page, 'diagnostics page');
    assert.notEqual(light, dark, 'dark mode follows prefers-color-scheme');
    await page.close();
  });

  test('in-page idle warning (closed shadow root, modal dialog)', async () => {
    const { page, tabId } = await b.openTab(`${SF}/`);
    // The warning as the worker shows it at the start of a countdown (chrome.idle needs no part here).
    await b.evalSw((id) => chrome.tabs.sendMessage(id, { type: 'idleWarning', deadlineMs: Date.now() + 120_000, crmName: 'Salesforce' }), tabId);
    const cdp = await b.context.newCDPSession(page);
    await poll(async () => (await cdp.send('Accessibility.getFullAXTree')).nodes
      .some((n) => n.role?.value === 'alertdialog' && !n.ignored), 'the warning is shown');
    await cdp.detach();
    await clean(page, 'idle warning', { closedShadowHosts: true });
    await b.evalSw((id) => chrome.tabs.sendMessage(id, { type: 'idleCancel' }), tabId);
    await page.close();
  });

  test('password meter (closed shadow root), with the block message', async () => {
    const { page } = await b.openTab(`${SF}/signup`);
    await page.click('#password');
    await page.keyboard.type('short1');
    await poll(async () => (await extensionUi(page, 'meter')).some((m) => m.prevId === 'password' && m.bar), 'meter shown');
    await clean(page, 'password meter', { closedShadowHosts: true });
    await page.close();
  });
});
