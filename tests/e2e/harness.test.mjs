// Self-test of the testbed and the e2e harness, with a throwaway MV3 extension generated here
// (the real extension is not needed). Run: cd tests && node --test e2e/harness.test.mjs

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launch } from './harness.mjs';
import { HTTP_CRM_HOST, startTestbed } from '../testbed/server.mjs';

const SW_JS = `
// Throwaway worker: a badge on every completed tab load; the title names this worker's boot.
const boot = Math.random().toString(36).slice(2, 8);
console.log('boot ' + boot);
chrome.tabs.onUpdated.addListener((tabId, info) => {
  if (info.status !== 'complete') return;
  chrome.action.setBadgeText({ tabId, text: 'ok' });
  chrome.action.setBadgeBackgroundColor({ tabId, color: [0, 128, 0, 255] });
  chrome.action.setTitle({ tabId, title: 'boot:' + boot });
  chrome.storage.session.get('loads').then(({ loads = 0 }) => chrome.storage.session.set({ loads: loads + 1 }));
});
`;

async function makeExtension() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-throwaway-ext-'));
  const manifest = {
    manifest_version: 3,
    name: 'harness throwaway',
    version: '0.0.1',
    action: { default_title: 'throwaway' },
    background: { service_worker: 'sw.js', type: 'module' },
    permissions: ['storage'],
  };
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  await fs.writeFile(path.join(dir, 'sw.js'), SW_JS);
  await fs.writeFile(path.join(dir, 'popup.html'), '<!doctype html><title>popup</title><p>popup</p>');
  return dir;
}

/** GET https://host/path through the testbed's HTTPS port with SNI = host; returns status, headers, body, peer cert. */
function tbGet(testbed, host, p) {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port: testbed.httpsPort, servername: host, path: p, headers: { host }, rejectUnauthorized: false },
      (res) => {
        const cert = res.socket.getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, cert }));
      },
    );
    req.on('error', reject);
  });
}

describe('testbed (no browser)', () => {
  let testbed;
  before(async () => {
    testbed = await startTestbed();
  });
  after(() => testbed?.close());

  test('SPKI hash equals the openssl pipeline of BROWSER-NOTES', () => {
    const tmp = path.join(os.tmpdir(), `crm-guard-spki-${process.pid}.pem`);
    execFileSync('bash', ['-c', `cat > ${tmp}`], { input: testbed.pinnedCertPem });
    try {
      const viaOpenssl = execFileSync('bash', [
        '-c',
        `openssl x509 -in ${tmp} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
      ]).toString().trim();
      assert.equal(testbed.spki, viaOpenssl);
    } finally {
      execFileSync('rm', ['-f', tmp]);
    }
  });

  test('resolver rules and chromium args', () => {
    assert.equal(
      testbed.resolverRules(),
      `MAP *:443 127.0.0.1:${testbed.httpsPort}, MAP *:80 127.0.0.1:${testbed.httpPort}, EXCLUDE localhost`,
    );
    assert.deepEqual(testbed.chromiumArgs(), [
      `--host-resolver-rules=${testbed.resolverRules()}`,
      `--ignore-certificate-errors-spki-list=${testbed.spki}`,
    ]);
  });

  test('pinned cert by default, unpinned for badcert, handshake refused for notls', async () => {
    const sf = await tbGet(testbed, 'acme.my.salesforce.com', '/');
    assert.equal(sf.status, 200);
    assert.equal(sf.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(sf.headers['content-security-policy'], /script-src 'self'/);
    assert.match(sf.body, /<title>Home \| Salesforce<\/title>/);
    assert.match(sf.cert.subjectaltname, /DNS:\*\.my\.salesforce\.com/);
    const bad = await tbGet(testbed, 'badcert.acme.test', '/');
    assert.equal(bad.cert.subjectaltname, 'DNS:badcert.acme.test');
    assert.notEqual(bad.cert.fingerprint256, sf.cert.fingerprint256);
    await assert.rejects(tbGet(testbed, 'notls.acme.test', '/'));
  });

  test('request log, probe and report endpoints', async () => {
    testbed.clear();
    assert.equal((await tbGet(testbed, 'probe.acme.test', '/probe')).body, 'trusted');
    testbed.setProbe({ status: 503, body: 'nope' });
    assert.equal((await tbGet(testbed, 'probe.acme.test', '/probe')).status, 503);
    testbed.setProbe(null);
    await assert.rejects(tbGet(testbed, 'probe.acme.test', '/probe'));
    testbed.setProbe({ status: 200, body: 'trusted' });
    assert.equal(testbed.count({ scheme: 'https', host: 'probe.acme.test', pathPrefix: '/probe' }), 3);

    const post = (status) =>
      fetchReport(testbed, JSON.stringify({ finding: 'x' })).then((s) => assert.equal(s, status));
    await post(204);
    testbed.setReportStatus(500);
    await post(500);
    testbed.setReportStatus(204);
    assert.deepEqual(testbed.reports.map((r) => r.json), [{ finding: 'x' }, { finding: 'x' }]);
    assert.equal(testbed.count({ host: 'reports.acme.test', method: 'POST' }), 2);
    testbed.clear();
    assert.equal(testbed.requests.length, 0);
  });
});

function fetchReport(testbed, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1', port: testbed.httpsPort, servername: 'reports.acme.test', path: '/report', method: 'POST',
        headers: { host: 'reports.acme.test', 'content-type': 'application/json' }, rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('harness with a throwaway extension', () => {
  let testbed;
  let extDir;
  let b;
  before(async () => {
    testbed = await startTestbed();
    extDir = await makeExtension();
    b = await launch({ extensionDir: extDir, testbed });
  });
  after(async () => {
    await b?.close();
    await testbed?.close();
    if (extDir) await fs.rm(extDir, { recursive: true, force: true });
  });

  test('launch finds the extension and its worker', async () => {
    assert.match(b.extensionId, /^[a-p]{32}$/);
    const sw = await b.sw();
    assert.equal(sw.url(), `chrome-extension://${b.extensionId}/sw.js`);
  });

  test('openTab over real HTTPS with the pinned cert; badge; request counting', async () => {
    testbed.clear();
    const { page, tabId, response } = await b.openTab('https://acme.my.salesforce.com/');
    assert.equal(typeof tabId, 'number');
    assert.equal(response.status(), 200);
    assert.equal(page.url(), 'https://acme.my.salesforce.com/');
    assert.equal(await page.title(), 'Home | Salesforce');
    const badge = await b.waitForBadge(tabId, (x) => x.text === 'ok');
    assert.deepEqual(badge.color, [0, 128, 0, 255]);
    assert.match(badge.title, /^boot:/);
    assert.equal(testbed.count({ scheme: 'https', host: 'acme.my.salesforce.com', pathPrefix: '/' }) >= 2, true);
    assert.equal(testbed.count({ scheme: 'https', host: 'acme.my.salesforce.com', pathPrefix: '/static/spa.js' }), 1);
    const sec = await response.securityDetails();
    assert.equal(sec.subjectName, 'CRM Guard testbed');

    // pushState navigation: the URL changes without a request.
    const before = testbed.count({ pathPrefix: '/lightning' });
    await page.click('#accounts');
    await page.waitForURL('https://acme.my.salesforce.com/lightning/o/Account/home');
    assert.equal(await page.title(), 'Accounts | Salesforce');
    assert.equal(testbed.count({ pathPrefix: '/lightning' }), before);
    await page.close();
  });

  test('badcert.acme.test gives a real ERR_CERT_AUTHORITY_INVALID; notls fails TLS', async () => {
    const bad = await b.openTab('https://badcert.acme.test/', { allowError: true });
    assert.match(bad.error, /net::ERR_CERT_AUTHORITY_INVALID/);
    assert.equal(testbed.count({ host: 'badcert.acme.test' }), 0);
    const notls = await b.openTab('https://notls.acme.test/', { allowError: true });
    assert.match(notls.error, /net::ERR_(CONNECTION_CLOSED|CONNECTION_RESET|SSL_PROTOCOL_ERROR)/);
    const plain = await b.openTab('http://notls.acme.test/');
    assert.equal(await plain.page.title(), 'No TLS');
    for (const t of [bad, notls, plain]) await t.page.close();
  });

  test('login sets a Secure HttpOnly sid cookie; logout clears it; shadow-root password page', async () => {
    const { page } = await b.openTab('https://acme.my.salesforce.com/login');
    await page.fill('#username', 'ann@acme.example');
    await page.fill('#password', 'hunter2-but-longer');
    await Promise.all([page.waitForURL('https://acme.my.salesforce.com/'), page.click('button[type=submit]')]);
    const login = testbed.find({ method: 'POST', host: 'acme.my.salesforce.com', pathPrefix: '/login' }).at(-1);
    assert.match(login.body, /username=ann%40acme.example&password=hunter2-but-longer/);
    const sid = (await b.context.cookies('https://acme.my.salesforce.com')).find((c) => c.name === 'sid');
    assert.equal(sid.secure, true);
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.sameSite, 'Lax');
    await page.goto('https://acme.my.salesforce.com/secur/logout.jsp');
    assert.equal((await b.context.cookies('https://acme.my.salesforce.com')).some((c) => c.name === 'sid'), false);

    await page.goto('https://acme.my.salesforce.com/setup/password');
    await page.locator('pw-change input#newpw').waitFor();
    assert.equal(await page.evaluate(() => document.querySelectorAll('input[type=password]').length), 0);
    assert.equal(
      await page.evaluate(() => document.querySelector('pw-change').shadowRoot.querySelectorAll('input[type=password]').length),
      2,
    );
    await page.goto('https://acme.my.salesforce.com/spa-late');
    await page.locator('#late-form input[type=password]').waitFor({ timeout: 3000 });
    await page.close();
  });

  test('network-finding pages behave as Chromium treats them', async () => {
    testbed.clear();
    const { page } = await b.openTab('https://acme.my.salesforce.com/mixed-passive');
    await page.locator('#pixel').waitFor();
    // Chromium auto-upgrades mixed passive content (images) to https.
    await page.waitForFunction(() => document.getElementById('pixel').complete);
    assert.equal(testbed.count({ host: 'example.test', pathPrefix: '/p.png' }), 1);
    assert.equal(testbed.count({ scheme: 'http', host: 'example.test' }), 0);

    // Mixed active content is blocked before any request.
    await page.goto('https://acme.my.salesforce.com/mixed-active');
    assert.equal(testbed.count({ host: 'example.test', pathPrefix: '/x.js' }), 0);
    assert.equal(await page.evaluate(() => window.crmGuardTestbedMixed === true), false);

    const noHsts = await page.goto('https://acme.my.salesforce.com/no-hsts');
    assert.equal(noHsts.headers()['strict-transport-security'], undefined);
    await page.goto('https://acme.my.salesforce.com/insecure-cookie');
    const sid = (await b.context.cookies('https://acme.my.salesforce.com')).find((c) => c.name === 'sid');
    assert.equal(sid.secure, false);
    await page.goto('https://acme.my.salesforce.com/http-form');
    assert.equal(await page.getAttribute('#httpform', 'action'), 'http://acme.my.salesforce.com/submit');
    await page.goto('https://example.test/');
    assert.equal((await b.context.cookies('https://example.test')).find((c) => c.name === 'keep')?.value, '1');
    await b.context.clearCookies();
    await page.close();
  });

  test('killServiceWorker stops the worker; it comes back on the next event', async () => {
    const first = await b.openTab('https://app.hubspot.com/');
    const before = await b.waitForBadge(first.tabId, (x) => x.text === 'ok');
    const consoleBefore = b.swConsole.filter((m) => m.text.startsWith('boot ')).length;
    await b.killServiceWorker();
    assert.equal(await b.swRunning(), false);

    // A new event (a tab load) restarts the worker by itself.
    const page = await b.context.newPage();
    await page.goto('https://crm.acme.test/');
    const deadline = Date.now() + 5000;
    while (!(await b.swRunning())) {
      assert.ok(Date.now() < deadline, 'worker did not come back on tabs.onUpdated');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ids = await b.tabIds();
    const badges = await Promise.all(ids.map((id) => b.badge(id)));
    const fresh = badges.filter((x) => x.text === 'ok' && x.title !== before.title);
    assert.equal(fresh.length >= 1, true, `a badge from the new boot: ${JSON.stringify(badges)}`);
    assert.equal(b.swConsole.filter((m) => m.text.startsWith('boot ')).length, consoleBefore + 1);
    assert.equal((await b.storage('session')).loads >= 2, true);
    await page.close();
    await first.page.close();
  });

  test('sw() restarts a stopped worker without any event', async () => {
    await b.killServiceWorker();
    assert.equal(await b.swRunning(), false);
    const sw = await b.sw();
    assert.equal(await sw.evaluate(() => typeof chrome.action.setBadgeText), 'function');
    assert.equal(await b.swRunning(), true);
  });

  test('popup(tabId) opens the extension page with the tab id', async () => {
    const page = await b.popup(7);
    assert.equal(page.url(), `chrome-extension://${b.extensionId}/popup.html?tabId=7`);
    assert.equal(await page.title(), 'popup');
    await page.close();
  });
});

describe('Chromium with NO extension', () => {
  let testbed;
  let b;
  before(async () => {
    testbed = await startTestbed();
    b = await launch({ extensionDir: null, testbed });
  });
  after(async () => {
    await b?.close();
    await testbed?.close();
  });

  test(`${HTTP_CRM_HOST} is not HSTS-preloaded: the plain-HTTP server sees the GET`, async () => {
    testbed.clear();
    const { page, response } = await b.openTab(`http://${HTTP_CRM_HOST}/`);
    assert.equal(response.status(), 200);
    assert.equal(page.url(), `http://${HTTP_CRM_HOST}/`);
    assert.equal(testbed.count({ scheme: 'http', host: HTTP_CRM_HOST, method: 'GET', pathPrefix: '/' }) >= 1, true);
    assert.equal(testbed.count({ scheme: 'https', host: HTTP_CRM_HOST }), 0);
    await page.close();
  });

  test('control: salesforce.com IS preloaded, Chromium upgrades it before any http request', async () => {
    testbed.clear();
    const { page } = await b.openTab('http://acme.my.salesforce.com/');
    assert.equal(page.url(), 'https://acme.my.salesforce.com/');
    assert.equal(testbed.count({ scheme: 'http', host: 'acme.my.salesforce.com' }), 0);
    assert.equal(testbed.count({ scheme: 'https', host: 'acme.my.salesforce.com', pathPrefix: '/' }) >= 1, true);
    await page.close();
  });
});
