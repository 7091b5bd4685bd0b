// The one WASM instance of the worker and `handle`, through which every event reaches the engine
// (crates/crm-guard-engine). Started at once, awaited inside each handler: top-level await kills
// service workers. The engine orders each tab's events itself; nothing is queued here.
import init, * as wasm from '../wasm/crm_guard_wasm.js';
import '../generated/protocol.js';

export { wasm };

export const ready = init({ module_or_path: new URL('../wasm/crm_guard_wasm_bg.wasm', import.meta.url) });

/**
 * Runs `fn` once WASM is ready. A failure is logged with context and the tab's badge is cleared,
 * so a tab never shows a stale verdict. A trap (a panic in WASM) leaves the instance unusable: it
 * is replaced by a fresh one (the engine's state is in storage; nothing is replayed).
 */
export async function run(what, tabId, fn) {
  try {
    await ready;
    return await fn();
  } catch (err) {
    console.error(`[crm-guard] ${what} failed${tabId >= 0 ? ` for tab ${tabId}` : ''}:`, err, wasm.lastPanic?.() ?? '');
    if (trapped(err)) {
      try {
        wasm.__wbg_reset_state();
      } catch (e) {
        console.error('[crm-guard] replacing the trapped WASM instance failed:', e);
      }
    }
    if (tabId >= 0) await chrome.action.setBadgeText({ tabId, text: '' }).catch(() => {});
    throw err;
  }
}

/** A trap: a WebAssembly RuntimeError, or any error after a panic (the panic hook recorded it). */
function trapped(err) {
  const yes = err instanceof WebAssembly.RuntimeError || Boolean(wasm.lastPanic?.());
  if (yes && err && typeof err === 'object') err.trapped = true;
  return yes;
}

/** Gives one event to the engine; resolves with its reply (undefined when it failed). */
export function handle(event) {
  const what = event.type === 'message' ? `message ${event.message?.type}` : event.type;
  return run(what, event.tabId ?? event.sender?.tabId, () => wasm.handle(event)).catch((err) => {
    // A score request that trapped the scorer is answered "unavailable" (fail closed): asked
    // again of the fresh instance, without the scorer.
    const m = event.message;
    if (err?.trapped && m?.type === 'pwScore' && !m.scorerFailed) {
      return handle({ ...event, message: { ...m, scorerFailed: true } });
    }
    return undefined;
  });
}
