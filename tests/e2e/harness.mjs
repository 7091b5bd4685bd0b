// End-to-end harness: Debian's Chromium (through playwright-core) with an unpacked MV3 extension, pointed
// at the local testbed (tests/testbed/server.mjs) with real host names and real TLS.
//
//   const testbed = await startTestbed();
//   const b = await launch({ testbed });
//   const { page, tabId } = await b.openTab('https://acme.my.salesforce.com/');
//   await b.waitForBadge(tabId, (x) => x.text === 'OK');
//   await b.close(); await testbed.close();

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { startTestbed } from '../testbed/server.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where `cargo xtask` puts the builds (`$CRM_GUARD_DIST`, default `dist/`); the suite loads the diagnostics build. */
export const DIST = process.env.CRM_GUARD_DIST ?? path.join(REPO, 'dist');
export const CHROMIUM = process.env.CRM_GUARD_CHROMIUM ?? '/usr/bin/chromium';

export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Launches Chromium with the extension loaded (or none when `extensionDir` is null).
 * @param {{extensionDir?: string|null, headless?: boolean, testbed?: {chromiumArgs(): string[]},
 *          extraArgs?: string[], swTimeoutMs?: number}} [opts]
 */
export async function launch({
  extensionDir = path.join(DIST, 'extension-diagnostics'),
  headless = true,
  testbed,
  extraArgs = [],
  swTimeoutMs = 10_000,
  launchOptions = {},
  // A profile to reuse (a browser restarted on the same profile); kept on close.
  profileDir = null,
} = {}) {
  if (extensionDir) {
    await fs.access(path.join(extensionDir, 'manifest.json')).catch(() => {
      throw new Error(`no extension at ${extensionDir} (manifest.json missing)`);
    });
  }
  const userDataDir = profileDir ?? await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-profile-'));
  const args = [
    ...(extensionDir ? [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`] : []),
    ...BASE_ARGS,
    ...(testbed ? testbed.chromiumArgs() : []),
    ...extraArgs,
  ];
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless,
      args,
      viewport: headless ? { width: 1200, height: 800 } : null,
      ...launchOptions,
    });
  } catch (err) {
    if (!profileDir) await fs.rm(userDataDir, { recursive: true, force: true });
    throw err;
  }

  const swConsole = [];
  let extensionId = null;
  // Playwright keeps one Worker object per service-worker version: after the worker is stopped and started
  // again the same object evaluates in the new instance (and its console events keep coming).
  let current = null;
  let maybeStopped = false;
  const attached = new WeakSet();
  const arrivals = new Set();

  function adopt(w) {
    const m = /^chrome-extension:\/\/([a-p]{32})\//.exec(w.url());
    if (!m) return;
    extensionId ??= m[1];
    if (m[1] !== extensionId) return;
    current = w;
    if (!attached.has(w)) {
      attached.add(w);
      w.on('console', (msg) => swConsole.push({ type: msg.type(), text: msg.text(), time: Date.now() }));
      w.on('close', () => {
        if (current === w) current = null;
      });
    }
    for (const wake of arrivals) wake();
  }
  context.on('serviceworker', adopt);
  context.on('page', closeSurely);
  for (const p of context.pages()) closeSurely(p);
  for (const w of context.serviceWorkers()) adopt(w);

  const swTargets = () =>
    withCdp(context, async (cdp) =>
      (await cdp.send('Target.getTargets')).targetInfos.filter(
        (t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/`),
      ),
    );

  const b = {
    context,
    userDataDir,
    swConsole,
    get extensionId() {
      return extensionId;
    },

    /**
     * The extension's service worker (Playwright Worker). When it is stopped (killServiceWorker, idle
     * time-out), starts it again through CDP (ServiceWorker.startWorker) and waits until it runs.
     */
    async sw(timeoutMs = swTimeoutMs) {
      if (!extensionDir) throw new Error('launched without an extension');
      if (!current && maybeStopped && extensionId) {
        // Stopped by killServiceWorker and already reported closed: nothing else would wake it
        // (waiting for an arrival here timed out whenever Playwright saw the close first).
        await this.startServiceWorker(timeoutMs);
        maybeStopped = false;
      }
      if (!current) {
        await new Promise((resolve) => {
          const wake = () => {
            arrivals.delete(wake);
            resolve();
          };
          arrivals.add(wake);
          setTimeout(wake, timeoutMs);
        });
        if (!current) throw new Error(`no service worker for ${extensionId ?? 'the extension'} within ${timeoutMs} ms`);
      }
      if (maybeStopped) {
        if (!(await this.swRunning())) await this.startServiceWorker(timeoutMs);
        maybeStopped = false;
      }
      return current;
    },

    /** Starts the stopped worker (CDP ServiceWorker.startWorker on the extension's scope); waits until it runs. */
    async startServiceWorker(timeoutMs = swTimeoutMs) {
      await withCdp(context, async (cdp) => {
        await cdp.send('ServiceWorker.enable');
        await cdp.send('ServiceWorker.startWorker', { scopeURL: `chrome-extension://${extensionId}/` });
        await cdp.send('ServiceWorker.disable').catch(() => {});
      });
      const deadline = Date.now() + timeoutMs;
      while (!(await this.swRunning())) {
        if (Date.now() > deadline) throw new Error(`service worker did not start within ${timeoutMs} ms`);
        await sleep(50);
      }
    },

    /** Whether CDP lists a running service-worker target of the extension. */
    async swRunning() {
      return (await swTargets()).length > 0;
    },

    /**
     * Evaluates `fn(arg)` in the service worker. If it does not answer within 3 s (a worker stopped behind
     * our back, e.g. by the idle time-out), checks, restarts it when stopped, and tries once more.
     */
    async evalSw(fn, arg) {
      const w = await this.sw();
      const first = w.evaluate(fn, arg);
      const slow = Symbol('slow');
      const r = await Promise.race([first, sleep(3000).then(() => slow)]);
      if (r !== slow) return r;
      first.catch(() => {});
      if (await this.swRunning()) return first;
      maybeStopped = true;
      return (await this.sw()).evaluate(fn, arg);
    },

    /** Tab ids known to chrome.tabs (no `tabs` permission needed for ids). */
    async tabIds() {
      return this.evalSw(async () => (await chrome.tabs.query({})).map((t) => t.id));
    },

    /**
     * Opens a new tab, finds its chrome.tabs id, then navigates to `url`.
     * Navigation errors are thrown unless `allowError` (then returned as `error`).
     * @returns {Promise<{page: import('playwright-core').Page, tabId: number, response: any, error: string|null}>}
     */
    async openTab(url, { allowError = false, waitUntil = 'load', timeout = 15_000 } = {}) {
      const before = new Set(extensionDir ? await this.tabIds() : []);
      const page = await context.newPage();
      let tabId = null;
      if (extensionDir) {
        const deadline = Date.now() + 5000;
        while (tabId === null) {
          const fresh = (await this.tabIds()).filter((id) => !before.has(id));
          if (fresh.length === 1) tabId = fresh[0];
          else if (fresh.length > 1) throw new Error(`ambiguous new tabs ${fresh.join(',')}: open tabs one at a time`);
          else if (Date.now() > deadline) throw new Error('new tab did not appear in chrome.tabs');
          else await sleep(50);
        }
      }
      let response = null;
      let error = null;
      try {
        if (url) response = await page.goto(url, { waitUntil, timeout });
      } catch (err) {
        error = String(err?.message ?? err).split('\n')[0];
        if (!allowError) throw err;
      }
      return { page, tabId, response, error };
    },

    /** `{ text, color: [r,g,b,a], title }` of the action for a tab. */
    async badge(tabId) {
      return this.evalSw(
        async (tabId) => ({
          text: await chrome.action.getBadgeText({ tabId }),
          color: await chrome.action.getBadgeBackgroundColor({ tabId }),
          title: await chrome.action.getTitle({ tabId }),
        }),
        tabId,
      );
    },

    /** Polls the badge until `predicate(badge)` holds; throws with the last badge on time-out. */
    async waitForBadge(tabId, predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last = null;
      for (;;) {
        try {
          last = await this.badge(tabId);
          if (predicate(last)) return last;
        } catch (err) {
          last = { error: String(err?.message ?? err) };
        }
        if (Date.now() > deadline) {
          throw new Error(`badge of tab ${tabId} did not match within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
        }
        await sleep(100);
      }
    },

    /** Stops the extension's service worker (CDP Target.closeTarget from a tab's session) and verifies it stopped. */
    async killServiceWorker(timeoutMs = 10_000) {
      if (!extensionId) throw new Error('no extension');
      await withCdp(context, async (cdp) => {
        const list = async () =>
          (await cdp.send('Target.getTargets')).targetInfos.filter(
            (t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/`),
          );
        // A worker busy with an event may outlive one close: close again until it is gone.
        const deadline = Date.now() + timeoutMs;
        for (let targets = await list(); targets.length > 0; targets = await list()) {
          if (Date.now() > deadline) throw new Error('service worker still running after Target.closeTarget');
          for (const t of targets) await cdp.send('Target.closeTarget', { targetId: t.targetId }).catch(() => {});
          const settle = Date.now() + 1000;
          while ((await list()).length > 0 && Date.now() < settle) await sleep(50);
        }
      });
      maybeStopped = true;
    },

    /** Everything in chrome.storage[area] ('local' | 'session' | 'sync' | 'managed'). */
    async storage(area = 'local') {
      return this.evalSw((area) => chrome.storage[area].get(null), area);
    },

    /** A page of the extension, e.g. 'popup.html?tabId=3'. */
    async extensionPage(rel) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${rel}`);
      return page;
    },

    /** The popup for a tab, as a normal page (`popup.html?tabId=N`). */
    async popup(tabId, { width = 380, height = 560 } = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height }).catch(() => {});
      await page.goto(`chrome-extension://${extensionId}/popup.html?tabId=${tabId}`);
      return page;
    },

    /** Sends `msg` with chrome.runtime.sendMessage from an extension page (`via`, default: a popup page). */
    async message(msg, via) {
      let page = via;
      if (!page) {
        this._msgPage ??= await this.extensionPage('popup.html');
        page = this._msgPage;
      }
      return page.evaluate((m) => chrome.runtime.sendMessage(m), msg);
    },

    /**
     * Lets plain http through to `host` (and only it) for this browser session, as after the user's
     * "continue without encryption" on an IT exception host: CRM Guard upgrades every CRM host to https
     * (issue 4), so tests of http CRM pages need this. A session `allow` rule above the upgrade rules.
     */
    async allowHttp(host) {
      return this.evalSw(async (host) => {
        const ids = (await chrome.declarativeNetRequest.getSessionRules()).map((r) => r.id);
        await chrome.declarativeNetRequest.updateSessionRules({ addRules: [{
          id: Math.max(0, ...ids) + 1, priority: 2, action: { type: 'allow' },
          condition: { urlFilter: `|http://${host}`, requestDomains: [host],
            resourceTypes: ['main_frame', 'sub_frame', 'stylesheet', 'script', 'image', 'font', 'xmlhttprequest', 'media', 'other'] },
        }] });
      }, host);
    },

    async close() {
      await context.close().catch(() => {});
      if (!profileDir) await fs.rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };

  if (extensionDir) await b.sw();
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// Managed policy (the Linux path IT uses). Each test file writes its OWN file name and removes it after.

export const POLICY_DIR = '/etc/chromium/policies/managed';
/** The extension id policies are keyed by (derived from the manifest `key`). */
export const EXTENSION_ID = 'kojhflkoadfcddkikeefjjgeecmhlajk';

/** Writes `policy` (the extension's settings) as `<POLICY_DIR>/<name>` in Chrome's 3rdparty form. */
export async function writeManagedPolicy(name, policy) {
  await fs.mkdir(POLICY_DIR, { recursive: true });
  const file = path.join(POLICY_DIR, name);
  await fs.writeFile(file, JSON.stringify({ '3rdparty': { extensions: { [EXTENSION_ID]: policy } } }));
  return file;
}

/** Removes `<POLICY_DIR>/<name>` (no error when it is absent). */
export async function removeManagedPolicy(name) {
  await fs.rm(path.join(POLICY_DIR, name), { force: true });
}

/** Makes a running Chromium re-read policy files now (chrome://policy, "Reload policies"). */
export async function reloadPolicies(b) {
  const page = await b.context.newPage();
  try {
    await page.goto('chrome://policy');
    await page.click('#reload-policies');
  } finally {
    await page.close();
  }
}

/** Polls `chrome.storage.managed` until `predicate(items)` holds; returns the items. */
export async function waitForManaged(b, predicate, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await b.storage('managed');
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`managed storage did not match within ${timeoutMs} ms: ${JSON.stringify(last).slice(0, 500)}`);
    await sleep(100);
  }
}

/** Runs `fn(cdpSession)` on a CDP session of some tab of the context (a blank one if none is open). */
/**
 * Chromium drops a tab close that arrives while the tab commits a navigation: `Target.closeTarget`
 * answers success and the tab stays, so Playwright's `page.close()` never settles (seen after a
 * `form.submit()`; found by attaching to the hung test: the only pending call was Page.close, the
 * tab alive and idle, and a second closeTarget closed it at once). Each page's `close()` sends the
 * close again, by name in the output, while the tab is still there.
 */
function closeSurely(page) {
  const close = page.close.bind(page);
  page.close = async (options) => {
    const done = close(options);
    const gone = new Promise((resolve) => {
      done.then(resolve, resolve);
      page.once('close', resolve);
    });
    for (let attempt = 1; ; attempt++) {
      const closed = await Promise.race([gone.then(() => true), sleep(3000).then(() => false)]);
      if (closed || page.isClosed()) return done;
      if (attempt > 3) throw new Error(`page ${page.url()} did not close after ${attempt} close requests`);
      console.log(`# harness: ${page.url()} still open after a close request; asking Chromium again`);
      try {
        const cdp = await page.context().newCDPSession(page);
        const { targetInfo } = await cdp.send('Target.getTargetInfo');
        await cdp.send('Target.closeTarget', { targetId: targetInfo.targetId });
      } catch {
        // Closed meanwhile: the next turn sees it.
      }
    }
  };
}

async function withCdp(context, fn) {
  let page = context.pages().find((p) => !p.isClosed());
  let temp = null;
  if (!page) page = temp = await context.newPage();
  const cdp = await context.newCDPSession(page);
  try {
    return await fn(cdp);
  } finally {
    await cdp.detach().catch(() => {});
    if (temp) await temp.close().catch(() => {});
  }
}

/**
 * A copy of the built extension whose manifest is changed by `edit(manifest)` — e.g. the IT build that
 * moves `<all_urls>` from optional_host_permissions to host_permissions (granted at install). Returns the
 * directory; the caller removes it (`fs.rm(dir, {recursive: true})`).
 */
export async function extensionVariant(edit) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-variant-'));
  await fs.cp(path.join(DIST, 'extension-diagnostics'), dir, { recursive: true });
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await fs.readFile(file, 'utf8'));
  edit(manifest);
  await fs.writeFile(file, JSON.stringify(manifest, null, 2));
  return dir;
}

/**
 * A suite's testbed and browser: registers `before` (start both) and `after` (close both) hooks
 * and hands them to `set` once started — `let testbed, b; useBrowser((env) => ({ testbed, b } = env));`.
 * `launchOptions` go to launch(); `ready(env)` runs after launch (e.g. allowHttp).
 */
export function useBrowser(set, { launchOptions = {}, ready } = {}) {
  const env = {};
  before(async () => {
    env.testbed = await startTestbed();
    env.b = await launch({ testbed: env.testbed, ...launchOptions });
    set(env);
    await ready?.(env);
  });
  after(async () => {
    await env.b?.close();
    await env.testbed?.close();
  });
  return env;
}

/**
 * Polls `fn` every 50 ms until it returns something truthy (returned); throws after `timeoutMs`.
 * A probe that never settles (a stuck worker evaluation, a CDP call on a page that went away)
 * fails the wait at its deadline with `what`, instead of hanging the suite.
 */
export async function poll(fn, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const left = Math.max(deadline - Date.now(), 0) + 1000;
    let timer;
    const stuck = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: a probe did not settle within ${timeoutMs} ms (last: ${JSON.stringify(last)})`)), left);
    });
    try {
      last = await Promise.race([fn(), stuck]);
    } finally {
      clearTimeout(timer);
    }
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await sleep(50);
  }
}

/**
 * Reads the extension's UI elements (closed shadow roots) the way only the browser can: CDP's DOM with
 * `pierce`. Returns every host marked data-crm-guard=<kind>, with the attributes and text inside.
 */
export async function extensionUi(page, kind = 'meter') {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const attrs = (n) => Object.fromEntries((n.attributes ?? []).reduce((a, v, i, all) => (i % 2 ? a : [...a, [v, all[i + 1]]]), []));
    const text = (n) => (n.nodeType === 3 ? n.nodeValue : [...(n.shadowRoots ?? []), ...(n.children ?? [])].map(text).join(' '));
    const found = [];
    const walk = (n, prev) => {
      const a = attrs(n);
      if (a['data-crm-guard'] === kind) {
        const inner = n.shadowRoots?.[0];
        let bar = null;
        const findBar = (x) => {
          if (attrs(x).role === 'progressbar') bar = attrs(x);
          (x.children ?? []).forEach(findBar);
        };
        if (inner) findBar(inner);
        found.push({ id: a.id, shadowMode: inner?.shadowRootType, bar, text: inner ? text(inner).replace(/\s+/g, ' ').trim() : '', prevId: prev?.id });
      }
      let p = null;
      for (const c of [...(n.shadowRoots ?? []), ...(n.contentDocument ? [n.contentDocument] : []), ...(n.children ?? [])]) {
        walk(c, p ? attrs(p) : null);
        p = c;
      }
    };
    walk(root, null);
    return found;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** Sets the user's options and waits until the worker has them in force. */
export async function setOptions(b, options) {
  await b.evalSw((o) => chrome.storage.local.set({ options: o }), options);
  await poll(async () => {
    const s = await b.evalSw(() => self.crmGuard.settings());
    return Object.entries(options).every(([k, v]) => s.settings[k] === v);
  }, 'options in force');
}

/**
 * Signs in to the testbed's Salesforce at `origin` in a new tab (its /login sets the `sid` session
 * cookie) and leaves a draft in localStorage, as a user with unsaved work; returns the tab.
 */
export async function signIn(b, origin = 'https://acme.my.salesforce.com') {
  const { page, tabId } = await b.openTab(`${origin}/`);
  await page.evaluate(async () => {
    await fetch('/login', { method: 'POST', body: new URLSearchParams({ username: 'u', password: 'p' }) });
    localStorage.setItem('crm-draft', 'unsaved deal');
  });
  const sid = (await b.context.cookies(origin)).find((c) => c.name === 'sid');
  if (!sid?.value) throw new Error(`not signed in to ${origin}`);
  return { page, tabId };
}

/**
 * Logs `n` events through the worker's event log (the path every feature uses), each a warning
 * on Salesforce whose `host` is a whole URL (the log keeps the host only) and whose detail is
 * `<tag> <i>`; returns their ids. A kind no page drives (`lockLogout`): page-driven kinds are capped
 * per host (hostile-evidence.test.mjs), and these suites are about delivery. Needs the diagnostics
 * build (`self.crmGuardEvents`).
 */
export function logEvents(b, n, tag) {
  return b.evalSw(async ({ n, tag }) => {
    const ids = [];
    for (let i = 0; i < n; i++) {
      const e = await self.crmGuardEvents.log({ kind: 'lockLogout', crmId: 'salesforce', level: 'warning',
        host: 'https://acme.my.salesforce.com/secret/path?token=1', detail: `${tag} ${i}` });
      ids.push(e.id);
    }
    return ids;
  }, { n, tag });
}
