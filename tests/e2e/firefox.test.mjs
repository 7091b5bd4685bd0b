// Issue 11 — the same extension in a real Firefox ESR, deployed the way IT deploys it (gecko.mjs): the
// .xpi force-installed by the CLI's policies.json, settings from 3rdparty.Extensions. One browser session,
// under Xvfb (chrome.idle needs a display server). A subset of the Chromium suite: badge, HTTPS upgrade,
// lookalike, the meter in a closed shadow root under a strict CSP, locked policy values, idle logout.
//
// The policy sets the idle timeout to its minimum (1 min, 10 s warning): while the other tests run, the
// X server gets "user input" (`xset s reset`) so nothing signs out; the idle test runs last, without it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { By } from 'selenium-webdriver';
import { EXT_ORIGIN, launchFirefox } from './gecko.mjs';
import { poll } from './harness.mjs';
import { HTTP_CRM_HOST } from '../testbed/server.mjs';

const SF = 'https://acme.my.salesforce.com';
const SETTINGS = {
  idleTimeoutMinutes: 1,
  warningSeconds: 10,
  logoutOnLock: false,
  passwordMode: 'warn',
  crmHosts: [{ name: 'Acme CRM', hosts: ['crm.acme.test'] }],
};

const userInput = () => execFileSync('xset', ['s', 'reset']);

describe('Firefox ESR, force-installed by policy', () => {
  let ff;
  let keepAwake = null;
  before(async () => {
    if (!process.env.DISPLAY) throw new Error('the Firefox suite needs a display: run under xvfb-run -a (cargo xtask test does)');
    userInput();
    keepAwake = setInterval(userInput, 3000);
    ff = await launchFirefox({ settings: SETTINGS });
  });
  after(async () => {
    clearInterval(keepAwake);
    // The browser console (extension errors included) when asked for, or when a test failed.
    if (ff && (process.env.CRM_GUARD_DEBUG || failed)) {
      for (const line of await ff.consoleMessages().catch((e) => [`(console unreadable: ${e})`])) console.log('[firefox]', line);
    }
    await ff?.close();
  });
  let failed = false;
  const t = (name, fn) => test(name, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  t('installed by policy: the WASM background answers, static and dynamic upgrade rules are in force', async () => {
    const addon = await ff.waitForAddon();
    assert.equal(addon.locked, true, 'a force-installed extension cannot be removed');
    const state = await ff.ext(async () => ({
      installType: (await chrome.management.getSelf()).installType,
      rulesets: await chrome.declarativeNetRequest.getEnabledRulesets(),
      dynamic: (await chrome.declarativeNetRequest.getDynamicRules()).map((r) => r.condition.requestDomains?.[0]),
    }));
    assert.equal(state.installType, 'admin');
    assert.deepEqual(state.rulesets, ['builtin_https_upgrade']);
    // IT's self-hosted CRM comes as dynamic rules (the earlier Firefox try had none: `webtransport`).
    await poll(async () => (await ff.ext(async () => (await chrome.declarativeNetRequest.getDynamicRules())
      .some((r) => r.condition.requestDomains?.includes('crm.acme.test')))), 'dynamic rule for crm.acme.test');
  });

  t('badge on a CRM tab, none elsewhere', async () => {
    const { handle, tabId } = await ff.openTab(`${SF}/`);
    const badge = await ff.waitForBadge(tabId, (b) => b.text === 'OK', 'OK badge');
    assert.match(badge.title, /Salesforce/);
    // The same tab leaves the CRM: its badge goes (a change the engine made, not a badge never set).
    await ff.driver.get('https://example.test/');
    await ff.waitForBadge(tabId, (b) => b.text === '', 'no badge off the CRM');
    await ff.closeTab(handle);
  });

  t('HTTPS upgrade: zero plaintext requests reach a CRM host (catalog and self-hosted)', async () => {
    for (const host of [HTTP_CRM_HOST, 'crm.acme.test']) {
      ff.testbed.clear();
      const { handle } = await ff.openTab(`http://${host}/`);
      const url = await ff.driver.getCurrentUrl();
      assert.equal(url, `https://${host}/`, `${host} upgraded`);
      // A page script's plain-http subresource to the CRM host is upgraded too.
      await ff.driver.executeAsyncScript(`const done = arguments[0];
        const img = new Image(); img.onload = img.onerror = () => done(); img.src = 'http://${host}/p.png?sub';`);
      assert.equal(ff.testbed.count({ scheme: 'http', host }), 0, `plaintext requests at ${host}: ${JSON.stringify(ff.testbed.find({ scheme: 'http', host }).map((r) => r.path))}`);
      assert.ok(ff.testbed.count({ scheme: 'https', host }) >= 1);
      await ff.closeTab(handle);
    }
  });

  t('a lookalike host is at risk', async () => {
    const { handle, tabId } = await ff.openTab('https://acme.salesforce-login.com/secret/path?q=1');
    await ff.waitForBadge(tabId, (b) => b.text === '!!', 'at-risk badge');
    await ff.closeTab(handle);
  });

  t('password meter in a closed shadow root on a strict-CSP CRM page', async () => {
    const { handle } = await ff.openTab(`${SF}/signup`);
    const csp = ff.testbed.find({ host: 'acme.my.salesforce.com', pathPrefix: '/signup' });
    assert.ok(csp.length > 0);
    await ff.driver.findElement(By.css('#password')).sendKeys('password123');
    const host = await poll(async () => (await ff.driver.findElements(By.css('[data-crm-guard="meter"]')))[0], 'meter host');
    // The page cannot see inside (closed), WebDriver can.
    assert.equal(await ff.driver.executeScript('return document.querySelector(\'[data-crm-guard="meter"]\').shadowRoot'), null);
    const bar = await poll(async () => {
      const root = await host.getShadowRoot();
      const b = (await root.findElements(By.css('[role="progressbar"]')))[0];
      const v = b && (await b.getAttribute('aria-valuetext'));
      return v === 'weak' || v === 'very weak' ? v : null;
    }, 'weak meter');
    assert.ok(bar);
    const describedBy = await ff.driver.findElement(By.css('#password')).getAttribute('aria-describedby');
    assert.equal(describedBy, await host.getAttribute('id'));
    // No WASM on the page (its CSP would refuse it): no CSP violation reported by the page.
    await ff.closeTab(handle);
  });

  t('policy values reach the extension and are shown locked', async () => {
    const s = await ff.message({ type: 'settings' });
    assert.equal(s.settings.idleTimeoutMinutes, 1);
    assert.equal(s.settings.warningSeconds, 10);
    assert.deepEqual(s.locked.sort(), Object.keys(SETTINGS).sort());
    const managed = await ff.ext(() => chrome.storage.managed.get(null));
    assert.equal(managed.idleTimeoutMinutes, 1);
    const page = await ff.openExtensionPage('options.html');
    const row = await poll(async () => ff.driver.executeScript(`const r = document.querySelector('[data-key="idleTimeoutMinutes"]');
      return r && { locked: r.dataset.locked, disabled: r.querySelector('.control').disabled,
        value: r.querySelector('.control').value, note: r.querySelector('.locked-note')?.textContent };`), 'options row');
    assert.deepEqual(row, { locked: 'true', disabled: true, value: '1', note: 'Set by your organisation' });
    assert.equal(await ff.driver.executeScript('return document.querySelector("#f-passwordMode").disabled'), true);
    assert.equal(await ff.driver.executeScript('return document.querySelector("#f-reuseGuard")?.disabled ?? null'), false, 'unlocked keys stay editable');
    await ff.closeTab(page);
  });

  t('idle logout (Xvfb): logout URL called, the CRM cookie gone, the other site\'s kept', async () => {
    const other = await ff.openTab('https://example.test/');
    const keep = async () => (await ff.driver.manage().getCookies()).some((c) => c.name === 'keep');
    assert.ok(await keep(), 'example.test set its cookie');
    const { handle } = await ff.openTab(`${SF}/`);
    await ff.driver.executeAsyncScript(`const done = arguments[0];
      fetch('/login', { method: 'POST', body: new URLSearchParams({ username: 'u', password: 'p' }) })
        .then(() => { localStorage.setItem('crm-draft', 'unsaved deal'); done(); });`);
    assert.ok((await ff.driver.manage().getCookies()).some((c) => c.name === 'sid'), 'signed in');
    ff.testbed.clear();
    clearInterval(keepAwake);
    userInput();
    const t0 = Date.now();
    await ff.driver.switchTo().window(handle);
    await poll(async () => (await ff.driver.getCurrentUrl()).startsWith(`${EXT_ORIGIN}/signed-out.html`), 'signed-out page', 100_000);
    const took = Date.now() - t0;
    assert.ok(took >= 50_000, `not before the 1 min timeout (${took} ms)`);
    assert.ok(ff.testbed.find({ host: 'acme.my.salesforce.com', pathPrefix: '/secur/logout.jsp' }).length >= 1, 'logout URL called');
    assert.equal(ff.testbed.count({ scheme: 'http' }), 0, 'nothing in plaintext');
    const sfCookies = await ff.ext(() => chrome.cookies.getAll({ domain: 'acme.my.salesforce.com' }));
    assert.deepEqual(sfCookies.map((c) => c.name), [], 'CRM cookies cleared');
    await ff.driver.switchTo().window(other.handle);
    assert.ok(await keep(), 'the other site keeps its cookie');
    const events = await ff.ext(async () => ((await chrome.storage.local.get('eventLog')).eventLog?.events ?? []).map((e) => e.kind));
    assert.ok(events.includes('idleLogout'), JSON.stringify(events));
  });
});
