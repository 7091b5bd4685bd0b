// Firefox harness: Debian's firefox-esr driven through geckodriver (selenium-webdriver), with CRM Guard
// installed the way IT installs it: a policies.json written by `crm-guard policy template --for firefox`
// (ExtensionSettings force-installs dist/crm-guard-<version>.xpi from file://, 3rdparty.Extensions carries
// the settings, Certificates.Install trusts the testbed's CA) in the install's distribution/ folder.
//
// Firefox has no --host-resolver-rules: `network.dns.localDomains` sends the testbed's host names to the
// loopback address, so the testbed listens on the real ports 443 and 80 (run as root, under the shared
// e2e lock). The extension's own state is read from an extension page (a "probe" tab opened from the
// chrome context, see ../../../shared/BROWSER-NOTES.md), where chrome.* answers as in the background.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Builder } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { DIST, REPO, poll } from './harness.mjs';
import { HOSTS, startTestbed } from '../testbed/server.mjs';

export const FIREFOX = process.env.CRM_GUARD_FIREFOX ?? '/usr/bin/firefox-esr';
export const GECKODRIVER = process.env.CRM_GUARD_GECKODRIVER ?? path.join(os.homedir(), '.cargo/bin/geckodriver');
/** Where Debian's firefox-esr reads an IT policy (the install's distribution/ folder). */
export const POLICY_FILE = process.env.CRM_GUARD_FIREFOX_POLICY ?? '/usr/lib/firefox-esr/distribution/policies.json';
/** The extension's Firefox id (browser_specific_settings.gecko.id = policy::FIREFOX_ID). */
export const GECKO_ID = 'crm-guard@crm-guard.dev';
/** Fixed moz-extension:// origin for the test profile (pref extensions.webextensions.uuids). */
export const UUID = '6d3b0a52-1c2e-4b7a-9f31-0c4d5e6f7a81';
export const EXT_ORIGIN = `moz-extension://${UUID}`;

const version = async () => JSON.parse(await fs.readFile(path.join(REPO, 'manifest.json'), 'utf8')).version;

/** Runs the CLI (`$CRM_GUARD_CLI`, else `cargo run -p crm-guard-cli`), returning stdout. */
function cli(args) {
  const bin = process.env.CRM_GUARD_CLI;
  return bin
    ? execFileSync(bin, args, { encoding: 'utf8' })
    : execFileSync('cargo', ['run', '-q', '-p', 'crm-guard-cli', '--', ...args], { cwd: REPO, encoding: 'utf8' });
}

/**
 * Starts the testbed on 443/80, deploys the CLI's Firefox policies.json carrying `settings`, starts Firefox
 * and waits until the policy has installed the extension. Returns the session (see methods below).
 */
export async function launchFirefox({ settings, headless = false }) {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-ff-'));
  const testbed = await startTestbed({ httpsPort: 443, httpPort: 80 });
  let driver = null;
  try {
    const ca = path.join(work, 'testbed-ca.pem');
    await fs.writeFile(ca, testbed.caCertPem);
    const settingsFile = path.join(work, 'settings.json');
    await fs.writeFile(settingsFile, JSON.stringify(settings));
    const xpi = path.join(DIST, `crm-guard-${await version()}.xpi`);
    await fs.access(xpi);
    cli(['policy', 'template', '--for', 'firefox', '--settings', settingsFile,
      '--xpi-url', `file://${xpi}`, '--ca-cert', ca, '--out', work]);
    const policy = await fs.readFile(path.join(work, 'policies.json'));
    await fs.mkdir(path.dirname(POLICY_FILE), { recursive: true });
    await fs.writeFile(POLICY_FILE, policy); // the CLI's file, unchanged

    const options = new firefox.Options().setBinary(FIREFOX);
    if (headless) options.addArguments('-headless');
    const prefs = {
      // Unsigned builds: allowed on ESR with this pref (docs/policy.md).
      'xpinstall.signatures.required': false,
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: UUID }),
      'network.dns.localDomains': Object.keys(HOSTS).join(','),
      // Only the extension may upgrade: Firefox's own HTTPS-First / preload list would prove nothing.
      'dom.security.https_first': false,
      'dom.security.https_first_schemeless': false,
      'dom.security.https_only_mode': false,
      'network.stricttransportsecurity.preloadlist': false,
      'network.proxy.type': 0,
      'browser.shell.checkDefaultBrowser': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'app.update.disabledForTesting': true,
    };
    for (const [k, v] of Object.entries(prefs)) options.setPreference(k, v);
    const service = new firefox.ServiceBuilder(GECKODRIVER).addArguments('--allow-system-access');
    driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
    const ff = session({ driver, testbed, work });
    await ff.waitForAddon();
    await ff.openProbe();
    return ff;
  } catch (err) {
    await driver?.quit().catch(() => {});
    await fs.rm(POLICY_FILE, { force: true });
    await testbed.close();
    await fs.rm(work, { recursive: true, force: true });
    throw err;
  }
}

function session({ driver, testbed, work }) {
  let probe = null;
  const ff = {
    driver,
    testbed,
    work,

    /** Runs `fn` in the chrome (browser UI) context. */
    async chrome(fn, ...args) {
      await driver.setContext('chrome');
      try {
        return await driver.executeAsyncScript(
          `const done = arguments[arguments.length - 1];
           Promise.resolve().then(() => (${fn})(...Array.from(arguments).slice(0, -1)))
             .then(done, (e) => done({ __error: String(e) }));`, ...args);
      } finally {
        await driver.setContext('content');
      }
    },

    /** The policy installed the extension: AddonManager has it active, installed by policy. */
    async waitForAddon() {
      return poll(async () => {
        const a = await this.chrome(async (id) => {
          const { AddonManager } = ChromeUtils.importESModule('resource://gre/modules/AddonManager.sys.mjs');
          const addon = await AddonManager.getAddonByID(id);
          return addon && { active: addon.isActive, version: addon.version, locked: !addon.permissions || !(addon.permissions & AddonManager.PERM_CAN_UNINSTALL) };
        }, GECKO_ID);
        return a?.active ? a : null;
      }, 'extension installed by policy', 30_000);
    },

    /** Opens an extension page (`rel`) in a new tab from the chrome context; returns its window handle. */
    async openExtensionPage(rel) {
      const before = new Set(await driver.getAllWindowHandles());
      await this.chrome((url) => {
        const tab = gBrowser.addTab(url, { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() });
        gBrowser.selectedTab = tab;
      }, `${EXT_ORIGIN}/${rel}`);
      const handle = await poll(async () => (await driver.getAllWindowHandles()).find((h) => !before.has(h)), `tab for ${rel}`);
      await driver.switchTo().window(handle);
      await poll(async () => (await driver.getCurrentUrl()).startsWith(EXT_ORIGIN) && (await driver.executeScript('return document.readyState')) === 'complete', `${rel} loaded`);
      return handle;
    },

    async openProbe() {
      probe = await this.openExtensionPage('signed-out.html');
    },

    /** Evaluates async `fn(...args)` in the probe (an extension page: chrome.* as the extension). */
    async ext(fn, ...args) {
      const back = await driver.getWindowHandle().catch(() => null);
      await driver.switchTo().window(probe);
      try {
        const r = await driver.executeAsyncScript(
          `const done = arguments[arguments.length - 1];
           Promise.resolve().then(() => (${fn})(...Array.from(arguments).slice(0, -1)))
             .then((v) => done(v === undefined ? null : v), (e) => done({ __error: String(e && e.message || e) }));`, ...args);
        if (r && r.__error) throw new Error(r.__error);
        return r;
      } finally {
        if (back && back !== probe) await driver.switchTo().window(back);
      }
    },

    async tabIds() {
      return this.ext(async () => (await chrome.tabs.query({})).map((t) => t.id));
    },

    /** Opens a new tab, finds its tabs id, navigates to `url`; returns `{ handle, tabId }`. */
    async openTab(url) {
      const ids = new Set(await this.tabIds());
      await driver.switchTo().newWindow('tab');
      const handle = await driver.getWindowHandle();
      const tabId = await poll(async () => {
        const fresh = (await this.tabIds()).filter((id) => !ids.has(id));
        if (fresh.length > 1) throw new Error(`ambiguous new tabs ${fresh}`);
        return fresh[0] ?? null;
      }, 'new tab in chrome.tabs');
      await driver.switchTo().window(handle);
      await driver.get(url);
      return { handle, tabId };
    },

    async closeTab(handle) {
      await driver.switchTo().window(handle);
      await driver.close();
      await driver.switchTo().window(probe);
    },

    /** `{ text, color, title }` of the action for a tab. */
    async badge(tabId) {
      return this.ext(async (tabId) => ({
        text: await chrome.action.getBadgeText({ tabId }),
        color: await chrome.action.getBadgeBackgroundColor({ tabId }),
        title: await chrome.action.getTitle({ tabId }),
      }), tabId);
    },

    async waitForBadge(tabId, predicate, what = 'badge', timeoutMs = 10_000) {
      let last = null;
      try {
        return await poll(async () => {
          last = await this.badge(tabId);
          return predicate(last) ? last : null;
        }, what, timeoutMs);
      } catch (err) {
        throw new Error(`${err.message}; last badge ${JSON.stringify(last)}`);
      }
    },

    /** The browser console's messages that concern the extension (errors and warnings of its pages). */
    async consoleMessages() {
      return this.chrome(() => Services.console.getMessageArray()
        .map((m) => (m instanceof Ci.nsIScriptError ? `${m.errorMessage} (${m.sourceName}:${m.lineNumber})` : m.message))
        .filter((m) => /moz-extension|crm-guard|declarativeNetRequest|webRequest|browsingData/i.test(m))
        .slice(-80));
    },

    /** A message to the background as one of our extension pages. */
    async message(msg) {
      return this.ext((m) => chrome.runtime.sendMessage(m), msg);
    },

    async close() {
      await driver.quit().catch(() => {});
      await fs.rm(POLICY_FILE, { force: true });
      await testbed.close();
      await fs.rm(work, { recursive: true, force: true });
    },
  };
  return ff;
}
