// HTTPS enforcement and network findings (issue 4): upgrade rules, the "HTTPS failed" page, response
// headers, certificate errors, the content script's mixed-content and form reports, the
// trusted-network probe. Decisions are in the core (crates/crm-guard-wasm/src/network.rs →
// crm_guard_core::{dnr, network}). Handlers that touch a tab's network record run one at a time.
import { core, forEachTab, onMessage, run } from './core.js';

const PROBE_ALARM = 'network.probe';
const mainFrame = (d) => d.frameId === 0 && d.tabId >= 0;

let chain = Promise.resolve();
/** Runs `fn` after every handler queued before it (run() never rejects, so the chain never breaks). */
function serial(what, tabId, fn) {
  chain = chain.then(() => run(what, tabId, fn));
  return chain;
}

// --- HTTPS upgrade rules: at install, at start-up, whenever the settings change. -------------------
const installRules = () => serial('https upgrade rules', -1, () => core.installUpgradeRules());

chrome.runtime.onInstalled.addListener(() => {
  installRules();
  probeSoon('install');
  checkProxy();
});
chrome.runtime.onStartup.addListener(() => {
  installRules();
  probeSoon('start-up');
  checkProxy();
});

// --- A proxy set outside policy (another extension, the user): readable only with the optional
// `proxy` permission, which an IT build holds (optional in the store build). ----------------------
chrome.proxy?.settings.onChange.addListener(() => checkProxy());
chrome.permissions.onAdded.addListener(() => checkProxy());

async function checkProxy() {
  if (!chrome.proxy || !(await chrome.permissions.contains({ permissions: ['proxy'] }))) return;
  const { levelOfControl, value } = await chrome.proxy.settings.get({});
  const changed = await serial('proxy settings', -1, () => core.proxyObserved(String(levelOfControl), String(value?.mode ?? '')));
  if (changed) await forEachTab('network reconcile (proxy)', (tab) => core.netReconcile(tab.id));
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && 'options' in changes)) {
    // settings.js drops the cache too; doing it here as well keeps this module independent of order.
    serial('settings change (network)', -1, async () => {
      core.onSettingsChanged();
      await core.installUpgradeRules();
      probeSoon('settings change'); // not awaited: its result queues behind this handler
    });
  } else if (area === 'session') {
    // A tab's state changed (a new document resets it): put the network findings back if lost.
    for (const [key, change] of Object.entries(changes)) {
      if (!key.startsWith('tab:') || change.newValue === undefined) continue;
      const tabId = Number(key.slice(4));
      if (Number.isInteger(tabId)) serial('network reconcile', tabId, () => core.netReconcile(tabId));
    }
  }
});

// --- Navigations and responses. ----------------------------------------------------------------
chrome.webNavigation.onBeforeNavigate.addListener((d) => {
  if (mainFrame(d)) serial('network navigation start', d.tabId, () => core.netBeforeNavigate(d.tabId, d.url));
});
chrome.webNavigation.onCommitted.addListener((d) => {
  if (mainFrame(d)) serial('network commit', d.tabId, () => core.netCommitted(d.tabId, d.url));
});
chrome.webNavigation.onErrorOccurred.addListener((d) => {
  if (!mainFrame(d)) return;
  serial('navigation error', d.tabId, async () => {
    if (await core.netNavigationError(d.tabId, d.url, String(d.error ?? ''))) probeSoon('network error');
  });
});
// Main documents of CRM hosts (the extension sees only its host permissions). `extraHeaders` makes
// Set-Cookie visible; values go to the core and only cookie names come back.
chrome.webRequest.onHeadersReceived.addListener(
  (d) => {
    if (d.tabId < 0) return;
    serial('response headers', d.tabId, () =>
      core.netHeaders(d.tabId, String(d.requestId), d.url, d.statusCode, d.responseHeaders ?? []));
  },
  { urls: ['http://*/*', 'https://*/*'], types: ['main_frame'] },
  ['responseHeaders', 'extraHeaders'],
);
chrome.tabs.onRemoved.addListener((tabId) => serial('tab close (network)', -1, () => core.netTabRemoved(tabId)));

// --- Messages. -----------------------------------------------------------------------------------
onMessage('network.page', 'crm', (msg, from) =>
  from.frameId === 0 ? serial('network page report', from.tabId, () => core.netPageReport(from.tabId, from.url, msg.report)) : undefined);
onMessage('network.httpsFailedInfo', 'page', (msg) => core.httpsFailedInfo(String(msg.url)));
onMessage('network.continueHttp', 'page', (msg) => serial('continue over http', -1, () => core.continueOverHttp(String(msg.url))));

// --- Trusted-network probe: on an interval (alarm), at install/start-up, on settings change and when
// the browser reports a network change. Never on the request path: pages do not wait for it.
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === PROBE_ALARM) {
    probeSoon('interval');
    checkProxy();
  }
});
self.addEventListener('online', () => probeSoon('online'));
self.addEventListener('offline', () => probeSoon('offline'));

let probing = null;
/** Starts a probe unless one is running; resolves with the verdict. */
function probeSoon(reason) {
  probing ??= run(`trusted-network probe (${reason})`, -1, probe).finally(() => {
    probing = null;
  });
  return probing;
}

async function probe() {
  const cfg = await core.probeConfig();
  await schedule(cfg);
  const outcome = cfg ? await fetchProbe(cfg) : { failed: 'no probe configured' };
  const result = await serial('probe result', -1, () => core.probeResult(outcome));
  if (result?.changed) await forEachTab('network reconcile', (tab) => core.netReconcile(tab.id));
  return result?.verdict;
}

/** The periodic alarm follows the settings (created again if a one-off alarm replaced it). */
async function schedule(cfg) {
  if (!cfg) return chrome.alarms.clear(PROBE_ALARM);
  const alarm = await chrome.alarms.get(PROBE_ALARM);
  if (alarm?.periodInMinutes !== cfg.intervalMinutes) {
    await chrome.alarms.create(PROBE_ALARM, { periodInMinutes: cfg.intervalMinutes });
  }
}

/**
 * Fetches IT's probe URL without cookies, cache or redirects, with a time-out. The extension has no
 * host permission for the probe host: the probe must answer with `Access-Control-Allow-Origin`
 * (`*` or this extension's origin), else the fetch fails and the network counts as untrusted.
 */
async function fetchProbe(cfg) {
  if (!navigator.onLine) return { failed: 'ERR_INTERNET_DISCONNECTED' };
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), cfg.timeoutMs);
  try {
    const res = await fetch(cfg.url, {
      credentials: 'omit', cache: 'no-store', redirect: 'manual', referrerPolicy: 'no-referrer', signal: ctl.signal,
    });
    const bodyPrefix = res.type === 'opaqueredirect' ? '' : await readPrefix(res, cfg.readBytes);
    return { response: { status: res.status, bodyPrefix } };
  } catch (err) {
    return err?.name === 'AbortError' ? 'timedOut' : { failed: String(err?.message ?? err) };
  } finally {
    clearTimeout(timer);
  }
}

async function readPrefix(res, max) {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  reader.cancel().catch(() => {});
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all.subarray(0, max));
}

// Diagnostics for the end-to-end suite and support (the worker's own realm only).
self.crmGuardNetwork = {
  probeNow: () => probeSoon('diagnostics'),
  installRules,
  benchFindingsPipeline: (url, status, headers) => core.benchFindingsPipeline(url, status, headers),
  benchLookalike: (url) => core.benchLookalike(url),
};
