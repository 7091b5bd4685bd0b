// Issue 10, item 1 — "your organisation's CRM, not any CRM": two tenants of one CRM in Chromium.
// IT names its Salesforce tenant (managed policy `tenants`: acme.my.salesforce.com); another
// organisation's tenant of the same CRM (globex.my.salesforce.com, an Experience site
// evil.my.site.com — anyone can create one) is "not your organisation": its own badge and popup
// text, a foreign site for the phishing guard, and never a place where a password is learnt.
// Without tenants, today's behaviour stays and the popup says tenant checks are off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import {
  extensionUi, extensionVariant, launch, poll, removeManagedPolicy, useBrowser, waitForManaged, writeManagedPolicy,
} from './harness.mjs';
import { startTestbed } from '../testbed/server.mjs';

const ACME = 'https://acme.my.salesforce.com';
const GLOBEX = 'https://globex.my.salesforce.com';
const EXPERIENCE = 'https://evil.my.site.com';
const CRM_PASSWORD = 'Orbit-lantern-Seaweed-71-tangle';
const GLOBEX_PASSWORD = 'Globex-chosen-Password-0042';
const ACME_PASSWORD_2 = 'Second-acme-Password-of-31-chars';
const POLICY_FILE = 'crm-guard-e2e-tenants.json';
const POLICY = { tenants: { salesforce: ['acme.my.salesforce.com'] }, phishingGuard: true };
const FOREIGN_TITLE = 'CRM Guard — Salesforce — not your organisation';

/** The popup of `tabId` once rendered: its CRM line, tenant line and finding kinds. */
async function popupOf(b, tabId) {
  const popup = await b.popup(tabId);
  try {
    await popup.waitForSelector('body[data-ready="true"]');
    return await popup.evaluate(() => ({
      crm: document.querySelector('.crm')?.textContent ?? null,
      tenant: document.getElementById('tenant')?.textContent ?? null,
      findings: [...document.querySelectorAll('li[data-kind]')].map((li) => ({ kind: li.dataset.kind, text: li.textContent })),
    }));
  } finally {
    await popup.close();
  }
}

/** Logs in on the testbed's Salesforce-like login form at `url` (trusted typing, then Enter). */
async function logIn(page, url, password) {
  await page.goto(url);
  await page.locator('#username').fill('jane.doe');
  await page.locator('#password').pressSequentially(password, { delay: 0 });
  await Promise.all([page.waitForNavigation(), page.locator('#password').press('Enter')]);
}

const fingerprints = async (b) => (await b.storage('local')).pwFingerprints ?? [];

describe('tenants named by IT (managed policy: acme.my.salesforce.com)', () => {
  let testbed, b, dir;
  before(async () => {
    await writeManagedPolicy(POLICY_FILE, POLICY);
    testbed = await startTestbed();
    // The IT build: `<all_urls>` granted at install, so the phishing guard runs on every site.
    dir = await extensionVariant((m) => {
      m.host_permissions.push('<all_urls>');
      delete m.optional_host_permissions;
    });
    b = await launch({ testbed, extensionDir: dir });
    await waitForManaged(b, (m) => m.tenants?.salesforce?.length === 1);
    await poll(async () => (await b.evalSw(() => self.crmGuard.settings())).settings.tenants?.salesforce?.length === 1, 'tenants in force');
    await poll(async () => (await b.evalSw(() => chrome.scripting.getRegisteredContentScripts())).length === 1, 'phishing script registered');
    // Every value ever written to the fingerprints, from now on (a restarted worker would lose
    // this record: the tests check it is still there before trusting it).
    await b.evalSw(() => {
      self.__fingerprintWrites = [];
      chrome.storage.onChanged.addListener((changes, area) => {
        if (area === 'local' && changes.pwFingerprints) self.__fingerprintWrites.push(changes.pwFingerprints.newValue ?? null);
      });
    });
  });
  after(async () => {
    await b?.close();
    await testbed?.close();
    await removeManagedPolicy(POLICY_FILE);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test("item 1: the organisation's tenant keeps the Salesforce badge; another organisation's tenant gets its own badge and \"Salesforce — not your organisation\"", async () => {
    const acme = await b.openTab(`${ACME}/`);
    await b.waitForBadge(acme.tabId, (x) => x.text === 'OK' && x.title === 'CRM Guard — Salesforce: Secure');
    const own = await popupOf(b, acme.tabId);
    assert.equal(own.crm, 'Salesforce');
    assert.equal(own.tenant, "Your organisation's Salesforce (acme.my.salesforce.com)");
    assert.deepEqual(own.findings, []);
    for (const url of [`${GLOBEX}/`, `${EXPERIENCE}/s/login`]) {
      const other = await b.openTab(url);
      const badge = await b.waitForBadge(other.tabId, (x) => x.text === 'EXT' && x.title === FOREIGN_TITLE);
      assert.deepEqual(badge.color, [0x6a, 0x1b, 0x9a, 0xff], url);
      const p = await popupOf(b, other.tabId);
      assert.equal(p.crm, 'Salesforce — not your organisation', url);
      assert.equal(p.tenant, null, url);
      assert.deepEqual(p.findings.map((f) => f.kind), ['foreignTenant'], url);
      assert.match(p.findings[0].text, /another organisation's Salesforce, not yours/);
      assert.match(p.findings[0].text, /Do not enter your Salesforce password/);
      await other.page.close();
    }
    await acme.page.close();
  });

  test("item 1: the Salesforce password learnt on the organisation's tenant, typed on another organisation's Experience site, raises the phishing alert", async () => {
    const { page } = await b.openTab('about:blank');
    await logIn(page, `${ACME}/login`, CRM_PASSWORD);
    await poll(async () => (await fingerprints(b)).some((f) => f.tenant === 'acme.my.salesforce.com' && f.length === [...CRM_PASSWORD].length), 'fingerprint of the acme tenant stored');
    await page.goto(`${EXPERIENCE}/login`);
    await page.locator('#username').fill('jane.doe');
    await page.locator('#password').pressSequentially(CRM_PASSWORD, { delay: 0 });
    await page.locator('#username').click(); // blur: the check runs
    const alert = await poll(async () => (await extensionUi(page, 'phishing-alert'))[0], 'phishing alert on the foreign tenant');
    assert.match(alert.text, /your Salesforce password/);
    const events = (await b.storage('local')).eventLog?.events ?? [];
    const phish = events.filter((e) => e.kind === 'phishingAlert');
    assert.equal(phish.length, 1, JSON.stringify(events));
    assert.equal(phish[0].host, 'evil.my.site.com');
    assert.equal(phish[0].crmId, 'salesforce');
    await page.close();
  });

  test("item 1: a login on another organisation's tenant stores no fingerprint (the organisation's login in the same tab afterwards does)", async () => {
    const { page } = await b.openTab('about:blank');
    await logIn(page, `${GLOBEX}/login`, GLOBEX_PASSWORD);
    // The same tab's next login (the worker handles a tab's messages in arrival order): once it is
    // stored, the other organisation's login before it has been handled.
    await logIn(page, `${ACME}/login`, ACME_PASSWORD_2);
    await poll(async () => (await fingerprints(b)).some((f) => f.length === [...ACME_PASSWORD_2].length), "the organisation's second login stored");
    const writes = await b.evalSw(() => self.__fingerprintWrites ?? null);
    assert.ok(Array.isArray(writes), 'the worker kept its record of writes (it did not restart)');
    const learnt = writes.flat().filter(Boolean);
    assert.ok(learnt.length > 0);
    for (const f of learnt) assert.equal(f.tenant, 'acme.my.salesforce.com', `only the organisation's tenant is learnt: ${JSON.stringify(f)}`);
    assert.ok(!learnt.some((f) => f.length === [...GLOBEX_PASSWORD].length), "the other organisation's password never stored");
    await page.close();
  });
});

describe('no tenants configured (a home user)', () => {
  let b;
  useBrowser((env) => ({ b } = env));

  test('item 1: with no tenants configured, every tenant keeps the Salesforce badge and the popup says tenant checks are off', async () => {
    for (const url of [`${ACME}/`, `${GLOBEX}/`]) {
      const { page, tabId } = await b.openTab(url);
      await b.waitForBadge(tabId, (x) => x.text === 'OK');
      const p = await popupOf(b, tabId);
      assert.equal(p.crm, 'Salesforce', url);
      assert.equal(p.tenant, 'Tenant checks are off: your organisation named no Salesforce tenant, so any Salesforce address counts as your CRM.', url);
      await page.close();
    }
  });
});
