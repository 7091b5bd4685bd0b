// Tabs and the badge: navigations (documents and single-page-app URL changes), closed tabs,
// the install/start-up scan, the content script's page report, the popup's verdict request.
import { core, forEachTab, onMessage, run } from './core.js';

const mainFrame = (d) => d.frameId === 0 && d.tabId >= 0;

/** Committed navigations (not about:) handled per tab, in this worker's life (a sync point for tests). */
export const navigationsHandled = new Map();

chrome.webNavigation.onCommitted.addListener((d) => {
  if (!mainFrame(d)) return;
  run('navigation', d.tabId, () => core.onNavigation(d.tabId, d.url, true)).then(() => {
    if (!d.url.startsWith('about:')) navigationsHandled.set(d.tabId, (navigationsHandled.get(d.tabId) ?? 0) + 1);
  });
});
chrome.webNavigation.onHistoryStateUpdated.addListener((d) => {
  if (mainFrame(d)) run('SPA navigation', d.tabId, () => core.onNavigation(d.tabId, d.url, false));
});
chrome.webNavigation.onReferenceFragmentUpdated.addListener((d) => {
  if (mainFrame(d)) run('fragment navigation', d.tabId, () => core.onNavigation(d.tabId, d.url, false));
});
chrome.tabs.onRemoved.addListener((tabId) => run('tab close', -1, () => core.onTabRemoved(tabId)));
// Tabs open before the extension started (install) or restored at start-up get their badge.
export const refreshAllTabs = (what) => forEachTab(what, (tab) => core.refreshTab(tab.id, tab.url ?? null));
chrome.runtime.onInstalled.addListener(() => refreshAllTabs('install scan'));
chrome.runtime.onStartup.addListener(() => refreshAllTabs('start-up scan'));

onMessage('page', 'crm', (msg, from) =>
  from.frameId === 0 ? run('page report', from.tabId, () => core.onPageReport(from.tabId, from.url, msg.report)) : undefined);
onMessage('verdict', 'page', (msg) => core.verdict(Number(msg.tabId)));
