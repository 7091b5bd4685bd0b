// CRM Guard service worker: a thin shell. Each module below registers its listeners when it is
// evaluated (synchronously, at the top level) and forwards events to the Rust core in WASM.
import { core, ready, run } from './worker/core.js';
import { navigationsHandled } from './worker/tabs.js';
import './worker/settings.js';
import './worker/idle.js';
import './worker/reporting.js';
import './worker/network.js';
import './worker/password.js';

// Diagnostics for the end-to-end suite and support: callable from the worker's own realm only.
self.crmGuard = {
  ready,
  // performance.now() when WASM was ready (ms since this worker instance started).
  readyAt: null,
  verdict: (tabId) => run('verdict', -1, () => core.verdict(tabId)),
  evaluateUrl: (url, findings) => ready.then(() => core.evaluateUrl(url, findings)),
  settings: () => ready.then(() => core.effectiveSettings()),
  navigationsHandled: (tabId) => navigationsHandled.get(tabId) ?? 0,
  debugPanic: (tabId) => run('debug panic', tabId, () => core.debugPanic(`tab ${tabId}`)),
};
ready.then(() => { self.crmGuard.readyAt = performance.now(); });
