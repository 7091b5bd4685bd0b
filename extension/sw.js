// CRM Guard service worker: a thin shell. Every listener is registered synchronously at the
// top level (events that wake the worker are never lost); each handler awaits the one WASM
// start-up promise, then forwards to the Rust core. No top-level await: it kills workers.
import init, * as core from './wasm/crm_guard_wasm.js';

const ready = init({ module_or_path: new URL('./wasm/crm_guard_wasm_bg.wasm', import.meta.url) });

// Runs one forwarded event. A failure (or a panic trapped in WASM) is reported with context,
// and the tab's badge is cleared so it never shows a stale verdict.
async function run(what, tabId, fn) {
  try {
    await ready;
    return await fn();
  } catch (err) {
    console.error(`[crm-guard] ${what} failed${tabId >= 0 ? ` for tab ${tabId}` : ''}:`, err,
      core.lastPanic?.() ?? '');
    if (tabId >= 0) await chrome.action.setBadgeText({ tabId, text: '' }).catch(() => {});
    return undefined;
  }
}

chrome.webNavigation.onCommitted.addListener((d) => {
  if (d.frameId === 0 && d.tabId >= 0) run('navigation', d.tabId, () => core.onNavigation(d.tabId, d.url, true));
});
chrome.webNavigation.onHistoryStateUpdated.addListener((d) => {
  if (d.frameId === 0 && d.tabId >= 0) run('SPA navigation', d.tabId, () => core.onNavigation(d.tabId, d.url, false));
});
chrome.webNavigation.onReferenceFragmentUpdated.addListener((d) => {
  if (d.frameId === 0 && d.tabId >= 0) run('fragment navigation', d.tabId, () => core.onNavigation(d.tabId, d.url, false));
});
chrome.tabs.onRemoved.addListener((tabId) => run('tab close', -1, () => core.onTabRemoved(tabId)));
chrome.runtime.onInstalled.addListener(() => run('install scan', -1, () => core.refreshAll()));
chrome.runtime.onStartup.addListener(() => run('start-up scan', -1, () => core.refreshAll()));

// Messages come from our own pages and content scripts only (no externally_connectable).
// A content script speaks for its own tab and URL: those come from `sender`, never the message.
chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (sender.id !== chrome.runtime.id || typeof msg !== 'object' || msg === null) return false;
  const fromTab = sender.tab && sender.frameId === 0 ? sender.tab.id : undefined;
  switch (msg.type) {
    case 'page':
      if (fromTab === undefined) return false;
      run('page report', fromTab, () => core.onPageReport(fromTab, sender.url, msg.report));
      return false;
    case 'verdict':
      if (!sender.url?.startsWith(chrome.runtime.getURL(''))) return false; // extension pages only
      run('verdict', -1, () => core.verdict(Number(msg.tabId))).then(reply);
      return true;
    default:
      return false;
  }
});

// Diagnostics for the end-to-end suite and support: callable from the worker's own realm only.
self.crmGuard = {
  ready,
  verdict: (tabId) => run('verdict', -1, () => core.verdict(tabId)),
  evaluateUrl: (url, findings) => ready.then(() => core.evaluateUrl(url, findings)),
  debugPanic: (tabId) => run('debug panic', tabId, () => core.debugPanic(`tab ${tabId}`)),
};
