// Issue 4 in Debian's Chromium with the testbed: HTTPS upgrades by declarativeNetRequest (counted on
// the server), the "HTTPS failed" page, http form blocking, and each network finding's badge level and
// popup line. Options (chrome.storage.local `options`, same schema as policy) configure the hosts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extensionVariant, launch, useBrowser } from './harness.mjs';
import { HTTP_CRM_HOST, startTestbed } from '../testbed/server.mjs';

const SF = 'https://acme.my.salesforce.com';
const AMBER = [0xf0, 0xa0, 0x00, 0xff];
const RED = [0xc6, 0x28, 0x28, 0xff];

describe('HTTPS enforcement and network findings', () => {
  let testbed, b, ext;

  /** Writes the user's options from an extension page and waits until the upgrade rules follow them. */
  async function setOptions(options, ruleFor) {
    ext ??= await b.extensionPage('options.html');
    await ext.evaluate((o) => chrome.storage.local.set({ options: o }), options);
    const want = ruleFor ?? 'odoo.com';
    const deadline = Date.now() + 5000;
    for (;;) {
      const domains = await b.evalSw(async () =>
        (await chrome.declarativeNetRequest.getDynamicRules()).flatMap((r) => r.condition.requestDomains ?? []));
      if (domains.includes(want)) return domains;
      if (Date.now() > deadline) throw new Error(`no upgrade rule for ${want}: ${domains.join(',')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const verdict = (tabId) => b.evalSw((id) => self.crmGuard.verdict(id), tabId);
  const kinds = async (tabId) => (await verdict(tabId))?.findings.map((f) => f.kind).sort();

  async function popupLines(tabId) {
    const popup = await b.popup(tabId);
    await popup.waitForSelector('body[data-ready="true"]');
    const r = {
      level: await popup.textContent('.level'),
      crm: await popup.textContent('.crm'),
      lines: Object.fromEntries(await popup.$$eval('li', (lis) => lis.map((li) => [li.dataset.kind, li.textContent]))),
    };
    await popup.close();
    return r;
  }

  useBrowser((env) => ({ testbed, b } = env));

  test('http navigations to CRM hosts are upgraded before a plaintext byte: zero requests on the http server', async () => {
    // Malformed patterns are skipped with a named error; the good ones still get rules (fail closed).
    const domains = await setOptions({ crmHosts: ['crm.acme.test', '*.com', 'bad host!'], httpsExceptionHosts: ['*x*'] },
      'crm.acme.test');
    assert.ok(domains.includes('my.salesforce.com') && domains.includes('odoo.com'), 'catalog rules kept');
    const settings = await b.evalSw(() => self.crmGuard.settings());
    assert.deepEqual(settings.errors.map((e) => e.key).sort(), ['crmHosts', 'crmHosts', 'httpsExceptionHosts']);
    testbed.clear();
    for (const host of [HTTP_CRM_HOST, 'crm.acme.test']) {
      const { page, tabId } = await b.openTab(`http://${host}/web?x=1`);
      assert.equal(page.url(), `https://${host}/web?x=1`);
      assert.equal(testbed.count({ scheme: 'http', host }), 0, `no plain-http request for ${host}`);
      assert.ok(testbed.count({ scheme: 'https', host, pathPrefix: '/web?x=1' }) >= 1);
      await b.waitForBadge(tabId, (x) => x.text !== '');
      assert.ok(!(await kinds(tabId)).includes('insecureScheme'));
      await page.close();
    }
  });

  test('the built-in upgrades are a static ruleset: in force without the worker-installed rules', async () => {
    assert.deepEqual(await b.evalSw(() => chrome.declarativeNetRequest.getEnabledRulesets()), ['builtin_https_upgrade']);
    // Take the dynamic rules away (as before the worker first ran after install): still upgraded.
    const saved = await b.evalSw(async () => {
      const rules = await chrome.declarativeNetRequest.getDynamicRules();
      await chrome.declarativeNetRequest.updateDynamicRules({ removeRuleIds: rules.map((r) => r.id) });
      return rules;
    });
    assert.ok(saved.length > 0);
    try {
      testbed.clear();
      const { page } = await b.openTab(`http://${HTTP_CRM_HOST}/static`);
      assert.equal(page.url(), `https://${HTTP_CRM_HOST}/static`);
      assert.equal(testbed.count({ scheme: 'http', host: HTTP_CRM_HOST }), 0);
      await page.close();
    } finally {
      await b.evalSw((rules) => chrome.declarativeNetRequest.updateDynamicRules({ addRules: rules }), saved);
    }
  });

  test('a CRM host without TLS lands on the explanation page; "continue" only for IT exception hosts', async () => {
    await setOptions({ crmHosts: ['notls.acme.test'] }, 'notls.acme.test');
    testbed.clear();
    const { page } = await b.openTab('http://notls.acme.test/', { allowError: true });
    await page.waitForURL(/^chrome-extension:\/\/[a-p]{32}\/https-failed\.html\?url=http/);
    await page.waitForSelector('body[data-ready="true"]');
    assert.match(await page.textContent('#why'), /notls\.acme\.test/);
    assert.equal(await page.isVisible('#continue'), false, 'no way out without policy');
    assert.equal(testbed.count({ scheme: 'http', host: 'notls.acme.test' }), 0);
    const log = (await b.storage('local')).eventLog;
    assert.ok(JSON.stringify(log).includes('httpsUpgradeBlocked'), 'security event logged');
    // A page cannot be talked into it: the worker checks policy itself.
    assert.equal(await b.message({ type: 'network.continueHttp', url: 'http://notls.acme.test/' }), null);

    await setOptions({ crmHosts: ['notls.acme.test'], httpsExceptionHosts: ['notls.acme.test'] }, 'notls.acme.test');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await Promise.all([page.waitForURL('http://notls.acme.test/'), page.click('#continue')]);
    assert.equal(await page.title(), 'No TLS');
    assert.ok(testbed.count({ scheme: 'http', host: 'notls.acme.test' }) >= 1);
    await page.close();
  });

  test('an http form on a CRM page never reaches the server; explanation in a closed shadow root', async () => {
    await setOptions({ httpsExceptionHosts: [HTTP_CRM_HOST] });
    assert.equal(await b.message({ type: 'network.continueHttp', url: `http://${HTTP_CRM_HOST}/` }), `http://${HTTP_CRM_HOST}/`);
    const { page, tabId } = await b.openTab(`http://${HTTP_CRM_HOST}/`);
    assert.equal(page.url(), `http://${HTTP_CRM_HOST}/`, 'continued over http');
    await b.waitForBadge(tabId, (x) => x.text === '!!');
    testbed.clear();
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend',
      '<form method="post" action="/web/login" id="f"><input name="login" value="ann"><button id="go">Send</button></form>' +
      '<form method="post" action="https://acme.odoo.com/web/ok" id="g"><button id="ok">Send</button></form>'));
    await page.click('#go');
    await page.waitForFunction(() => document.querySelector('crm-guard-notice') !== null);
    assert.equal(await page.evaluate(() => document.querySelector('crm-guard-notice').shadowRoot), null, 'closed');
    const cdp = await b.context.newCDPSession(page);
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const find = (n) => (n.localName === 'crm-guard-notice' ? n : [...(n.children ?? []), ...(n.shadowRoots ?? [])].map(find).find(Boolean));
    const notice = find(root);
    assert.equal(notice.shadowRoots[0].shadowRootType, 'closed');
    assert.match(JSON.stringify(notice.shadowRoots[0]), /CRM Guard blocked this form/);
    await cdp.detach();
    await b.waitForBadge(tabId, () => true);
    assert.ok((await kinds(tabId)).includes('insecureFormAction'));
    assert.equal(testbed.count({ method: 'POST' }), 0, 'the http post never left the browser');
    // Control: an https action on the same page is let through.
    await Promise.all([page.waitForURL('https://acme.odoo.com/web/ok'), page.click('#ok')]);
    assert.equal(testbed.count({ method: 'POST', scheme: 'https', host: HTTP_CRM_HOST }), 1);
    await page.close();
  });

  test('the form explanation is dismissed only by a trusted click on its button', async () => {
    await setOptions({ httpsExceptionHosts: [HTTP_CRM_HOST] });
    assert.equal(await b.message({ type: 'network.continueHttp', url: `http://${HTTP_CRM_HOST}/` }), `http://${HTTP_CRM_HOST}/`);
    const { page } = await b.openTab(`http://${HTTP_CRM_HOST}/`);
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend',
      '<form method="post" action="/web/login" id="f"><button id="go">Send</button></form>'));
    await page.click('#go');
    await page.waitForFunction(() => document.querySelector('crm-guard-notice') !== null);
    const shown = () => page.evaluate(() => document.querySelector('crm-guard-notice')?.isConnected === true);
    const cdp = await b.context.newCDPSession(page);
    try {
      const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
      const find = (n, want) => (want(n) ? n : [...(n.children ?? []), ...(n.shadowRoots ?? [])].map((c) => find(c, want)).find(Boolean));
      const button = find(find(root, (n) => n.localName === 'crm-guard-notice'), (n) => n.localName === 'button');
      // Page code holding the button (handed over through CDP, in the main world): untrusted, ignored.
      const { object } = await cdp.send('DOM.resolveNode', { backendNodeId: button.backendNodeId });
      await cdp.send('Runtime.callFunctionOn', {
        objectId: object.objectId,
        functionDeclaration: 'function () { this.click(); this.dispatchEvent(new MouseEvent("click", { bubbles: true })); }',
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await shown(), true, 'untrusted clicks leave it in place');
      // A user's click on the button.
      const { model } = await cdp.send('DOM.getBoxModel', { backendNodeId: button.backendNodeId });
      const q = model.content;
      await page.mouse.click((q[0] + q[4]) / 2, (q[1] + q[5]) / 2);
      await page.waitForFunction(() => document.querySelector('crm-guard-notice') === null);
    } finally {
      await cdp.detach().catch(() => {});
    }
    await page.close();
  });

  test('mixed content from the DOM: active → at risk, passive → warning, with popup lines', async () => {
    const { page, tabId } = await b.openTab(`${SF}/mixed-active`);
    assert.deepEqual((await b.waitForBadge(tabId, (x) => x.text === '!!')).color, RED);
    const active = await popupLines(tabId);
    assert.match(active.lines.mixedContentActive, /scripts or frames over http from example\.test/);
    await page.goto(`${SF}/mixed-passive`);
    assert.deepEqual((await b.waitForBadge(tabId, (x) => x.text === '!')).color, AMBER);
    assert.deepEqual(await kinds(tabId), ['mixedContentPassive']);
    assert.match((await popupLines(tabId)).lines.mixedContentPassive, /images or media over http from example\.test/);
    await page.close();
  });

  test('certificate error on a CRM host (unpinned certificate): at risk with the error name', async () => {
    await setOptions({ crmHosts: ['badcert.acme.test'] }, 'badcert.acme.test');
    const { page, tabId, error } = await b.openTab('https://badcert.acme.test/', { allowError: true });
    assert.match(error, /ERR_CERT_AUTHORITY_INVALID/);
    assert.deepEqual((await b.waitForBadge(tabId, (x) => x.text === '!!')).color, RED);
    const p = await popupLines(tabId);
    assert.match(p.lines.certificateError, /certificate is not valid \(ERR_CERT_AUTHORITY_INVALID\)/);
    await page.close();
  });

  test('missing HSTS and a session cookie without Secure: warnings; the cookie value is never stored', async () => {
    const { page, tabId } = await b.openTab(`${SF}/no-hsts`);
    await b.waitForBadge(tabId, (x) => x.text === '!');
    assert.deepEqual(await kinds(tabId), ['missingHsts']);
    assert.match((await popupLines(tabId)).lines.missingHsts, /no HSTS/);
    await page.goto(`${SF}/insecure-cookie`);
    await b.waitForBadge(tabId, (x) => x.text === '!');
    const v = await verdict(tabId);
    assert.deepEqual(v.findings.map((f) => [f.kind, f.detail]), [['insecureCookie', 'sid']]);
    assert.match((await popupLines(tabId)).lines.insecureCookie, /session cookie \(sid\)/);
    const everything = JSON.stringify([await b.storage('session'), await b.storage('local'), b.swConsole]);
    assert.ok(!everything.includes('insecure-0123456789'), 'no cookie value anywhere');
    // A new document starts clean: the https page with HSTS is secure again.
    await page.goto(`${SF}/`);
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    await page.close();
  });

  test('lookalike host: at risk, the popup names the CRM it imitates', async () => {
    const { page, tabId } = await b.openTab('https://acme.salesforce-login.com/');
    assert.deepEqual((await b.waitForBadge(tabId, (x) => x.text === '!!')).color, RED);
    const p = await popupLines(tabId);
    assert.equal(p.crm, 'Imitates Salesforce — this is not Salesforce');
    assert.match(p.lines.lookalike, /imitates Salesforce but is not Salesforce/);
    await page.close();
  });

  test('a CRM reached through an IP literal on a non-standard port: warning', async () => {
    await setOptions({ crmHosts: ['127.0.0.1'] });
    const { page, tabId } = await b.openTab(`https://127.0.0.1:${testbed.httpsPort}/`);
    await b.waitForBadge(tabId, (x) => x.text === '!');
    assert.deepEqual(await kinds(tabId), ['ipLiteralHost', 'nonStandardPort']);
    const p = await popupLines(tabId);
    assert.match(p.lines.nonStandardPort, new RegExp(`unusual port \\(${testbed.httpsPort}\\)`));
    assert.match(p.lines.ipLiteralHost, /IP address/);
    await page.close();
  });

  test('trusted-network probe: the badge flips when the probe stops answering and recovers', async () => {
    testbed.setProbe({ status: 200, body: 'trusted' });
    const { page, tabId } = await b.openTab(`${SF}/`);
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    testbed.clear();
    await setOptions({ trustedNetworkProbeUrl: 'https://probe.acme.test/probe', trustedNetworkExpectBody: 'trusted' });
    // The settings change probes at once.
    const trust = () => b.evalSw(async () => (await chrome.storage.session.get('net:trust'))['net:trust']);
    for (let i = 0; i < 50 && (await trust()) !== 'trusted'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await trust(), 'trusted', JSON.stringify([testbed.find({ host: 'probe.acme.test' }).length, b.swConsole.slice(-8)]));
    const probe = testbed.find({ host: 'probe.acme.test' })[0];
    assert.equal(probe.headers.cookie, undefined, 'no credentials');
    assert.match(probe.headers.origin, /^chrome-extension:\/\//);
    const fireAlarm = () => b.evalSw(() => chrome.alarms.create('network.probe', { when: Date.now() }));

    testbed.setProbe(null);
    await fireAlarm();
    await b.waitForBadge(tabId, (x) => x.text === '!');
    assert.match((await popupLines(tabId)).lines.untrustedNetwork, /not on a network your organisation trusts/);
    testbed.setProbe({ status: 200, body: 'trusted' });
    await fireAlarm();
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    const alarm = await b.evalSw(() => chrome.alarms.get('network.probe'));
    assert.equal(alarm.periodInMinutes, 5, 'the periodic probe is scheduled again');
    await setOptions({});
    await page.close();
  });
});

describe('a proxy set outside policy (IT build holding the optional proxy permission)', () => {
  let testbed, b, ours, setter;

  before(async () => {
    testbed = await startTestbed();
    ours = await extensionVariant((m) => {
      m.permissions.push('proxy');
      delete m.optional_permissions;
    });
    // Another extension that sets a proxy (bypassed for every host, so pages still load).
    setter = await fs.mkdtemp(path.join(os.tmpdir(), 'proxy-setter-'));
    await fs.writeFile(path.join(setter, 'manifest.json'), JSON.stringify({
      manifest_version: 3, name: 'Proxy setter', version: '1.0', permissions: ['proxy'],
    }));
    await fs.writeFile(path.join(setter, 'set.html'), '<!doctype html><script src="set.js"></script>');
    await fs.writeFile(path.join(setter, 'set.js'), `
      self.setProxy = () => chrome.proxy.settings.set({ scope: 'regular', value: { mode: 'fixed_servers',
        rules: { singleProxy: { host: '127.0.0.1', port: 9 }, bypassList: ['<-loopback>', '*'] } } });
      self.clearProxy = () => chrome.proxy.settings.clear({ scope: 'regular' });`);
    const both = `${ours},${setter}`;
    b = await launch({ testbed, extensionDir: ours,
      extraArgs: [`--disable-extensions-except=${both}`, `--load-extension=${both}`] });
  });
  after(async () => {
    await b?.close();
    await testbed?.close();
    for (const d of [ours, setter]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  test('another extension setting a proxy turns CRM tabs amber with a popup line; clearing it recovers', async () => {
    const { tabId } = await b.openTab('https://acme.my.salesforce.com/');
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    // An unpacked extension without a key has the id derived from its path.
    const id = [...crypto.createHash('sha256').update(setter).digest('hex').slice(0, 32)]
      .map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
    const page = await b.context.newPage();
    await page.goto(`chrome-extension://${id}/set.html`);
    await page.evaluate(() => self.setProxy());
    await b.waitForBadge(tabId, (x) => x.text === '!');
    const v = await b.evalSw((t) => self.crmGuard.verdict(t), tabId);
    assert.deepEqual(v.findings.map((f) => f.kind), ['proxyOutsidePolicy']);
    await page.evaluate(() => self.clearProxy());
    await b.waitForBadge(tabId, (x) => x.text === 'OK');
    await page.close();
  });
});
