// Hooks for the end-to-end suite and the benchmarks, present only in a build with the
// `diagnostics` feature; callable from the worker's own realm only (pages cannot reach it).
import { handle, ready, run, wasm } from './core.js';
import { lastNavigation, navigationsHandled } from './events.js';
import { scorer } from './scorer.js';

const { alarms, phishScriptId } = globalThis.crmGuardProtocol;
const page = (message) => handle({ type: 'message', message, sender: { extensionPage: true } });
const content = (url, message) => handle({ type: 'message', message, sender: { tabId: 0, frameId: 0, url } });

if (typeof wasm.debugPanic === 'function') {
  // Every URL this worker fetches from now on (the scorer's glue fetches its module through the
  // global `fetch`): what the tests read to prove the scorer's bytes were or were not fetched.
  const fetched = [];
  const realFetch = self.fetch;
  self.fetch = function fetch(input, init) {
    fetched.push(String(input instanceof Request ? input.url : input));
    return realFetch.call(this, input, init);
  };
  self.crmGuard = {
    ready,
    readyAt: null, // performance.now() when WASM was ready (ms since this worker started)
    verdict: (tabId) => page({ type: 'verdict', tabId }),
    evaluateUrl: (url, findings) => ready.then(() => wasm.evaluateUrl(url, findings)),
    settings: () => page({ type: 'settings' }),
    navigationsHandled: (tabId) => navigationsHandled.get(tabId) ?? 0,
    lastNavigation: (tabId) => lastNavigation.get(tabId) ?? null,
    debugPanic: (tabId) => run('debug panic', tabId, () => wasm.debugPanic(`tab ${tabId}`)).catch(() => undefined),
  };
  ready.then(() => { self.crmGuard.readyAt = performance.now(); });
  self.crmGuardEvents = {
    log: (event) => ready.then(() => wasm.logEvent(event)),
    flush: () => handle({ type: 'alarm', name: alarms.report }),
    status: () => page({ type: 'reportingStatus' }),
  };
  self.crmGuardNetwork = {
    benchFindingsPipeline: (url, status, headers) => wasm.benchFindingsPipeline(url, status, headers),
    benchLookalike: (url) => wasm.benchLookalike(url),
  };
  self.crmGuardPassword = {
    set panicNext(n) { self.crmGuardScorer.load().then(() => scorer.trapNext(n)); },
    deriveHex: (pw, saltByte, iterations) => ready.then(() => wasm.deriveHex(pw, saltByte, iterations)),
    syncPhishing: async () => {
      await handle({ type: 'permissionsChanged' });
      return (await chrome.scripting.getRegisteredContentScripts({ ids: [phishScriptId] })).length > 0;
    },
    benchScore: (passwords) => self.crmGuardScorer.load().then(() => scorer.benchScore(passwords)),
    /** WASM memory in bytes: the engine's instance, the scorer's (null when never loaded). */
    memory: async () => ({
      engine: (await ready).memory.buffer.byteLength,
      scorer: self.crmGuardScorer.state === 'ready' ? scorer.memoryBytes() : null,
    }),
    /** Whether this worker fetched the scorer's bytes. */
    scorerFetched: () => fetched.some((url) => url.endsWith('/crm_guard_score_bg.wasm')),
    scorerState: () => self.crmGuardScorer.state,
    benchScorePath: async (url, passwords) => {
      const out = [];
      for (const [seq, password] of passwords.entries()) {
        const t0 = performance.now();
        await content(url, { type: 'pwScore', seq, password, values: [] });
        out.push(performance.now() - t0);
      }
      return out;
    },
  };
}
