// Every browser event the engine needs, forwarded as it came (registered synchronously at the top
// level: no event that wakes the worker is lost). Types: crm_guard_engine::protocol::Event.
import { handle } from './core.js';

const main = (d) => d.frameId === 0 && d.tabId >= 0;

/** Committed navigations handled per tab in this worker's life (a sync point for tests), and
 * for the last one, when it committed and when its badge was painted (epoch ms). */
export const navigationsHandled = new Map();
export const lastNavigation = new Map();

// Every worker start: the idle machine reconciles, policy starts loading in the background.
handle({ type: 'wake' });

chrome.runtime.onInstalled.addListener(() => handle({ type: 'installed' }));
chrome.runtime.onStartup.addListener(() => handle({ type: 'startup' }));

chrome.webNavigation.onBeforeNavigate.addListener((d) => {
  if (main(d)) handle({ type: 'navigationStarted', tabId: d.tabId, url: d.url });
});
chrome.webNavigation.onCommitted.addListener((d) => {
  if (!main(d)) return;
  handle({ type: 'navigationCommitted', tabId: d.tabId, url: d.url }).then(() => {
    if (d.url.startsWith('about:')) return;
    navigationsHandled.set(d.tabId, (navigationsHandled.get(d.tabId) ?? 0) + 1);
    lastNavigation.set(d.tabId, { committedAt: d.timeStamp, paintedAt: Date.now() });
  });
});
const updated = (d) => {
  if (main(d)) handle({ type: 'navigationUpdated', tabId: d.tabId, url: d.url });
};
chrome.webNavigation.onHistoryStateUpdated.addListener(updated);
chrome.webNavigation.onReferenceFragmentUpdated.addListener(updated);
chrome.webNavigation.onErrorOccurred.addListener((d) => {
  if (main(d)) handle({ type: 'navigationFailed', tabId: d.tabId, url: d.url, error: String(d.error ?? '') });
});
// Main documents of CRM hosts (host permissions limit what arrives). Chromium needs `extraHeaders`
// to show Set-Cookie (Firefox shows it and rejects the value); values go to the core and only
// cookie names come back.
const extra = chrome.webRequest.OnHeadersReceivedOptions?.EXTRA_HEADERS ? ['extraHeaders'] : [];
chrome.webRequest.onHeadersReceived.addListener(
  (d) => {
    if (d.tabId < 0) return;
    handle({ type: 'headersReceived', tabId: d.tabId, requestId: String(d.requestId), url: d.url, status: d.statusCode, headers: d.responseHeaders ?? [] });
  },
  { urls: ['http://*/*', 'https://*/*'], types: ['main_frame'] },
  ['responseHeaders', ...extra],
);
chrome.tabs.onRemoved.addListener((tabId) => handle({ type: 'tabRemoved', tabId }));

// Session storage is the engine's own (one record per tab): its changes are not events.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'session') handle({ type: 'storageChanged', area, keys: Object.keys(changes) });
});
chrome.alarms.onAlarm.addListener((alarm) => handle({ type: 'alarm', name: alarm.name }));
chrome.idle.onStateChanged.addListener((state) => handle({ type: 'idleChanged', state }));
self.addEventListener('online', () => handle({ type: 'connectivityChanged' }));
self.addEventListener('offline', () => handle({ type: 'connectivityChanged' }));
chrome.proxy?.settings.onChange.addListener(() => handle({ type: 'permissionsChanged' }));
chrome.permissions.onAdded.addListener(() => handle({ type: 'permissionsChanged' }));
chrome.permissions.onRemoved.addListener(() => handle({ type: 'permissionsChanged' }));
