// IT deployment, proven in Debian's Chromium with a REAL managed policy file
// (/etc/chromium/policies/managed/crm-guard-policy-test.json, removed afterwards even on failure):
// policy values reach the extension, locked keys are read-only in the options page, bad values show
// their named error while the safe default applies, a policy change applies live, the CLI's Linux
// template is loaded by Chromium, and a hostile policy file is survived.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  REPO, launch, poll, reloadPolicies, removeManagedPolicy, waitForManaged, writeManagedPolicy,
} from './harness.mjs';
import { startTestbed } from '../testbed/server.mjs';

const POLICY_FILE = 'crm-guard-policy-test.json';
const SF = 'https://acme.my.salesforce.com/';
const CRM = 'https://crm.acme.test/';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Whatever happens, never leave our policy file behind for the next browser on this machine.
process.on('exit', () => {
  try { fsSync.rmSync(`/etc/chromium/policies/managed/${POLICY_FILE}`, { force: true }); } catch {}
});

/** Applies a new policy to the running browser and waits until the extension's storage has it. */
async function applyPolicy(b, policy, predicate) {
  await writeManagedPolicy(POLICY_FILE, policy);
  await reloadPolicies(b);
  return waitForManaged(b, predicate);
}


const settings = (b) => b.evalSw(() => self.crmGuard.settings());
const policyEvents = async (b) =>
  ((await b.storage('local')).eventLog?.events ?? []).filter((e) => e.kind === 'policyError');

/** The options page once rendered; `renders` counts live re-renders. */
async function optionsPage(b) {
  const page = await b.extensionPage('options.html');
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const rowsOf = (page) =>
  page.$$eval('#errors tbody tr', (trs) => trs.map((tr) => ({
    key: tr.dataset.key, source: tr.dataset.source, code: tr.dataset.code,
    cells: [...tr.cells].map((c) => c.textContent),
  })));

describe('managed policy in a real Chromium', () => {
  let testbed, b, selfHostedTab;
  const FIRST = {
    crmHosts: [{ name: 'Acme CRM', hosts: ['crm.acme.test'] }],
    idleTimeoutMinutes: 30,
    passwordMode: 'block',
    // Valid for Chrome's schema (strings), rejected by CRM Guard's validation:
    httpsExceptionHosts: ['*.com', 'legacy.acme.test'],
    trustedNetworkProbeUrl: 'http://probe.acme.test/probe',
  };

  before(async () => {
    await writeManagedPolicy(POLICY_FILE, FIRST);
    testbed = await startTestbed();
    b = await launch({ testbed });
  });
  after(async () => {
    await removeManagedPolicy(POLICY_FILE);
    await b?.close();
    await testbed?.close();
  });

  test('policy values reach chrome.storage.managed and the extension: a policy CRM gets a badge', async () => {
    const managed = await waitForManaged(b, (m) => m.idleTimeoutMinutes === 30);
    assert.deepEqual(managed.crmHosts, FIRST.crmHosts);
    const s = await settings(b);
    assert.equal(s.settings.idleTimeoutMinutes, 30);
    assert.equal(s.settings.passwordMode, 'block');
    assert.deepEqual(s.locked.sort(), Object.keys(FIRST).sort());
    const { tabId } = await b.openTab(CRM);
    const badge = await b.waitForBadge(tabId, (x) => x.text === 'OK');
    assert.equal(badge.title, 'CRM Guard — Acme CRM: Secure');
    selfHostedTab = tabId; // stays open: the live-change test removes this CRM from policy
  });

  test('a bad managed value shows its named error and the safe default applies; logged once', async () => {
    const s = await settings(b);
    assert.deepEqual(s.settings.httpsExceptionHosts, ['legacy.acme.test'], 'only the bad entry is skipped');
    assert.equal(s.settings.trustedNetworkProbeUrl, null, 'an http probe URL is not used');
    const byKey = Object.fromEntries(s.errors.map((e) => [e.key, e]));
    assert.equal(byKey.httpsExceptionHosts.reason.code, 'badPattern');
    assert.equal(byKey.httpsExceptionHosts.value, '"*.com"');
    assert.equal(byKey.httpsExceptionHosts.source, 'managed');
    assert.equal(byKey.trustedNetworkProbeUrl.reason.code, 'notHttps');
    assert.match(byKey.trustedNetworkProbeUrl.applied, /unset \(the default, locked\)/);

    const page = await optionsPage(b);
    const rows = await rowsOf(page);
    const row = rows.find((r) => r.key === 'httpsExceptionHosts');
    assert.ok(row, `error listed in the options page: ${JSON.stringify(rows)}`);
    assert.deepEqual(row.cells, ['httpsExceptionHosts', '"*.com"', 'bad host pattern: would match a whole public suffix',
      'entry skipped', 'Your organisation']);
    assert.ok(rows.some((r) => r.key === 'trustedNetworkProbeUrl' && r.code === 'notHttps'));
    await page.close();

    // Each distinct error is one security event, not one per worker wake.
    const events = await poll(async () => { const e = await policyEvents(b); return e.length >= 2 && e; }, 'policy events');
    assert.equal(events.length, 2, JSON.stringify(events));
    assert.ok(events.every((e) => e.level === 'atRisk'));
    assert.ok(events.some((e) => e.detail.startsWith('httpsExceptionHosts = "*.com" (managed policy)')));
    await b.killServiceWorker();
    await settings(b); // the new worker evaluates the policy again
    await sleep(800); // and would log within this time if it forgot the digests
    assert.equal((await policyEvents(b)).length, 2, 'no duplicate after a worker restart');
  });

  test('locked settings are read-only in the options page and show the value in force', async () => {
    const page = await optionsPage(b);
    const idle = await page.$eval('[data-key="idleTimeoutMinutes"]', (row) => ({
      locked: row.dataset.locked, disabled: row.querySelector('.control').disabled,
      value: row.querySelector('.control').value, note: row.querySelector('.locked-note')?.textContent,
    }));
    assert.deepEqual(idle, { locked: 'true', disabled: true, value: '30', note: 'Set by your organisation' });
    assert.equal(await page.$eval('#f-passwordMode', (s) => s.disabled && s.value), 'block');
    assert.equal(await page.$eval('#f-crmHosts', (t) => t.disabled && t.value), '{"name":"Acme CRM","hosts":["crm.acme.test"]}');
    assert.equal(await page.$eval('#f-warningSeconds', (i) => i.disabled), false, 'unlocked keys stay editable');
    assert.equal(await page.$('[data-key="warningSeconds"] .locked-note'), null);
    // Why it is locked, beside the field and in the employee's list of what the organisation set.
    const why = 'A security rule of your organisation: it cannot be weakened on this computer.';
    assert.equal(await page.textContent('[data-key="idleTimeoutMinutes"] .locked-why'), why);
    const locked = await page.$$eval('#locked-list tbody tr', (trs) => trs.map((tr) => [tr.dataset.lockedKey, ...[...tr.cells].map((c) => c.textContent)]));
    assert.deepEqual(locked.find((r) => r[0] === 'idleTimeoutMinutes'), ['idleTimeoutMinutes', 'Sign out after inactivity (minutes)', '30', why]);
    assert.deepEqual(locked.map((r) => r[0]).sort(), Object.keys(FIRST).sort(), 'exactly the keys the policy sets');
    assert.equal(await page.isVisible('#locked-none'), false);
    assert.match(await page.textContent('#sum-signout'), /after 30 minutes without activity/);
    assert.match(await page.textContent('#sum-passwords'), /A weaker one is refused\./);
    // The page cannot override a locked key even by sending the message itself.
    const s = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'saveOptions', options: { idleTimeoutMinutes: 1 } }));
    assert.equal(s.settings.idleTimeoutMinutes, 30);
    await page.evaluate(() => chrome.runtime.sendMessage({ type: 'saveOptions', options: {} }));
    await page.close();
  });

  test('options with a cold worker: the loading state at first paint, then the settings (time printed)', async () => {
    await settings(b); // a policy snapshot exists, as after any earlier start
    await b.killServiceWorker();
    assert.equal(await b.swRunning(), false, 'the worker is stopped');
    const page = await b.context.newPage();
    await page.goto(`chrome-extension://${b.extensionId}/options.html`, { waitUntil: 'commit' });
    // The loading state is the document's own (in the markup, before any script runs), so it is
    // what shows until the worker answers, however long that takes; how long it took is printed,
    // not asserted (timings belong to the bench).
    const markup = await page.evaluate(async () => {
      const html = await (await fetch(location.href)).text();
      const p = new DOMParser().parseFromString(html, 'text/html').getElementById('settings-loading');
      return { hidden: p.hidden, role: p.getAttribute('role'), text: p.textContent.trim() };
    });
    assert.deepEqual(markup, { hidden: false, role: 'status', text: 'Loading settings…' });
    await page.waitForSelector('body[data-ready="true"]');
    const shownAt = Number(await page.getAttribute('body', 'data-settings-shown-at'));
    assert.equal(await page.isVisible('#settings-loading'), false, 'the loading state goes once settings show');
    assert.equal(await page.inputValue('#f-idleTimeoutMinutes'), '30');
    console.log(`# options page, cold worker: settings shown ${shownAt} ms after navigation start`);
    await page.close();
  });

  test('user options: a bad value shows its named error at once and the nearest bound applies', async () => {
    const page = await optionsPage(b);
    await page.fill('#f-eventLogSize', '5');
    await page.fill('#f-warningSeconds', 'soon');
    await page.click('#save');
    await page.waitForSelector('body[data-saved="1"]');
    assert.match(await page.textContent('#save-status'), /Saved, with 2 problem/);
    const rows = await rowsOf(page);
    const log = rows.find((r) => r.key === 'eventLogSize');
    assert.deepEqual(log.cells, ['eventLogSize', '5', 'must be between 100 and 10000', '100 (the nearest allowed)', 'You (options)']);
    assert.equal(rows.find((r) => r.key === 'warningSeconds')?.code, 'wrongType');
    // Each error beside its field too, tied to the control for assistive technology.
    assert.equal(await page.textContent('#err-eventLogSize'), 'must be between 100 and 10000');
    assert.equal(await page.getAttribute('#f-eventLogSize', 'aria-invalid'), 'true');
    assert.match(await page.getAttribute('#f-eventLogSize', 'aria-describedby'), /\berr-eventLogSize\b/);
    const { options } = await b.storage('local');
    assert.deepEqual(options, { eventLogSize: 5, warningSeconds: 'soon' }, 'only changed keys are stored');
    const s = await settings(b);
    assert.equal(s.settings.eventLogSize, 100);
    assert.equal(s.settings.warningSeconds, 60, 'the safe default');
    // Fix them: the errors go away.
    await page.fill('#f-eventLogSize', '200');
    await page.fill('#f-warningSeconds', '90');
    await page.click('#save');
    await page.waitForSelector('body[data-saved="2"]');
    assert.equal(await page.textContent('#save-status'), 'Saved.');
    assert.equal((await rowsOf(page)).filter((r) => r.source === 'user').length, 0);
    assert.equal((await settings(b)).settings.warningSeconds, 90);
    // "Reset to defaults": the unlocked keys go back to their defaults, the locked ones stay IT's.
    await page.click('#reset');
    await page.waitForSelector('body[data-reset="1"]');
    assert.deepEqual((await b.storage('local')).options, {});
    assert.equal(await page.inputValue('#f-warningSeconds'), '60');
    assert.equal(await page.inputValue('#f-eventLogSize'), '1000');
    assert.equal(await page.inputValue('#f-idleTimeoutMinutes'), '30', 'locked: unchanged');
    assert.equal((await settings(b)).settings.warningSeconds, 60);
    await page.close();
  });

  test('a policy change applies live: badge, settings and the open options page, no restart', async () => {
    const { tabId } = await b.openTab(SF);
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    const page = await optionsPage(b);
    const t0 = Date.now();
    await applyPolicy(b, { idleTimeoutMinutes: 45, disabledCrms: ['salesforce'] },
      (m) => m.idleTimeoutMinutes === 45 && !m.crmHosts);
    // Salesforce is now ignored by policy: the open tab loses its badge, with no navigation.
    await b.waitForBadge(tabId, (x) => x.text === '');
    // So does the self-hosted CRM the policy no longer lists (no host access: its URL is not
    // visible to chrome.tabs, the worker uses the one it kept).
    await b.waitForBadge(selfHostedTab, (x) => x.text === '');
    assert.equal((await settings(b)).settings.idleTimeoutMinutes, 45);
    // The open options page follows: new value, passwordMode unlocked again, errors gone.
    await page.waitForFunction(() => document.querySelector('#f-idleTimeoutMinutes')?.value === '45'
      && !document.querySelector('#f-passwordMode').disabled);
    assert.equal(await page.$eval('#f-idleTimeoutMinutes', (i) => i.disabled), true);
    assert.equal((await rowsOf(page)).filter((r) => r.source === 'managed').length, 0);
    console.log(`# policy change applied in ${Date.now() - t0} ms (file write → badge, options page)`);
    await page.close();
  });

  test('the Linux template from `crm-guard policy template` is loaded by Chromium', async () => {
    const bin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(REPO, 'target'), 'debug', 'crm-guard');
    await fs.access(bin).catch(() => {
      throw new Error(`${bin} missing: run \`cargo build -p crm-guard-cli\` first`);
    });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-template-'));
    try {
      await promisify(execFile)(bin, ['policy', 'template', '--for', 'chrome-linux', '--out', dir]);
      const file = path.join(dir, 'crm-guard.json');
      const check = await promisify(execFile)(bin, ['policy', 'check', file]);
      const template = JSON.parse(await fs.readFile(file, 'utf8'));
      const policy = template['3rdparty'].extensions[b.extensionId];
      assert.ok(policy, 'the template is keyed by the extension id Chromium gave the extension');
      // Every key of the key table (the worker's settingsSchema) is in the template.
      const keys = (await b.message({ type: 'settingsSchema' })).length;
      assert.equal(Object.keys(policy).length, keys);
      assert.match(check.stdout, new RegExp(`ok: ${keys} settings, no errors`));
      // The very file IT would deploy, copied as is.
      await fs.copyFile(file, `/etc/chromium/policies/managed/${POLICY_FILE}`);
      await reloadPolicies(b);
      const managed = await waitForManaged(b, (m) => Object.keys(m).length === keys);
      assert.deepEqual(managed, policy, 'every key and value reaches chrome.storage.managed unchanged');
      const s = await settings(b);
      assert.deepEqual(s.errors, [], 'the template has no error for the extension either');
      assert.equal(s.locked.length, keys);
      assert.equal(s.settings.idleTimeoutMinutes, policy.idleTimeoutMinutes);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('hostile policy: junk types, 1 MB strings, 5000 hosts → named errors, safe defaults, no crash', async () => {
    const hostile = {
      idleTimeoutMinutes: { nested: [1, [2, { deep: 'x' }]] },
      logoutOnLock: 'no',
      forceLogoutToken: 'x'.repeat(1 << 20),
      trustedNetworkExpectBody: '\u0000\u202e'.repeat(300_000),
      httpsExceptionHosts: Array.from({ length: 5000 }, (_, i) => `h${i}.legacy.acme.test`),
      disabledCrms: ['no-such-crm', 'salesforce'],
      crmHosts: [{ name: 'Junk', hosts: ['*.com', '..', 'ok.acme.test'], logoutUrl: 'javascript:alert(1)' }],
      reportingUrl: 'https://reports.acme.test/report',
      reportingHmacSecret: 'short',
      junk: { a: { b: { c: [1, 2, 3] } } },
    };
    const t0 = Date.now();
    const managed = await applyPolicy(b, hostile, (m) => m.httpsExceptionHosts?.length === 5000);
    // Chrome itself drops what its schema rejects (wrong types, unknown keys): those keep their defaults.
    assert.equal(managed.idleTimeoutMinutes, undefined);
    assert.equal(managed.junk, undefined);
    const s = await settings(b);
    const has = (key, code) => s.errors.some((e) => e.key === key && e.reason.code === code && e.source === 'managed');
    for (const [key, code] of [['forceLogoutToken', 'tooLong'], ['trustedNetworkExpectBody', 'tooLong'],
      ['httpsExceptionHosts', 'tooManyItems'], ['disabledCrms', 'unknownCrm'], ['reportingHmacSecret', 'tooShort'],
      ['crmHosts', 'badPattern'], ['crmHosts', 'notHttps']]) {
      assert.ok(has(key, code), `${key}: ${code} in ${JSON.stringify(s.errors.map((e) => [e.key, e.reason.code]))}`);
    }
    assert.equal(s.settings.forceLogoutToken, null);
    assert.equal(s.settings.idleTimeoutMinutes, 15, 'protective default');
    assert.equal(s.settings.logoutOnLock, true, 'protective default');
    assert.equal(s.settings.reportingUrl, null, 'never unsigned reports');
    assert.ok(s.settings.httpsExceptionHosts.length <= 1000);
    assert.deepEqual(s.settings.disabledCrms, ['salesforce']);
    assert.ok(s.errors.every((e) => e.value.length <= 90), 'shown values are truncated');
    // Still working: badges follow the policy (Salesforce disabled, the self-hosted host added).
    const { tabId } = await b.openTab('https://ok.acme.test/', { allowError: true });
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    const { tabId: sf } = await b.openTab(SF);
    await sleep(500);
    assert.equal((await b.badge(sf)).text, '', 'salesforce is disabled by policy');
    const page = await optionsPage(b);
    assert.ok((await rowsOf(page)).some((r) => r.key === 'forceLogoutToken' && r.code === 'tooLong'));
    await page.close();
    console.log(`# hostile policy (about 2.5 MB) applied and rendered in ${Date.now() - t0} ms`);
  });
});

describe('options page in French', () => {
  test('UI chrome, the locked note and error reasons come from _locales/fr', async () => {
    await writeManagedPolicy(POLICY_FILE, { idleTimeoutMinutes: 20, trustedNetworkProbeUrl: 'http://probe.acme.test/' });
    const testbed = await startTestbed();
    // Chromium on Linux takes its UI language from the environment.
    const b = await launch({ testbed, extraArgs: ['--lang=fr'],
      launchOptions: { locale: 'fr-FR', env: { ...process.env, LANGUAGE: 'fr', LANG: 'fr_FR.UTF-8' } } });
    try {
      await waitForManaged(b, (m) => m.idleTimeoutMinutes === 20);
      const page = await optionsPage(b);
      assert.equal(await page.textContent('[data-key="idleTimeoutMinutes"] .locked-note'), 'Défini par votre organisation');
      assert.equal(await page.textContent('#save'), 'Enregistrer');
      const row = (await rowsOf(page)).find((r) => r.key === 'trustedNetworkProbeUrl');
      assert.deepEqual([row.cells[2], row.cells[4]], ['doit être une URL https://', 'Votre organisation']);
      assert.equal(await page.textContent('#log h2'), 'Journal des événements de sécurité');
    } finally {
      await removeManagedPolicy(POLICY_FILE);
      await b.close();
      await testbed.close();
    }
  });
});
