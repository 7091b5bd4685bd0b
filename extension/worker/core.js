// The one WASM instance of the worker and `handle`, through which every event reaches the engine
// (crates/crm-guard-engine). Started at once, awaited inside each handler: top-level await kills
// service workers. The engine orders each tab's events itself; nothing is queued here.
import init, * as wasm from '../wasm/crm_guard_wasm.js';
import '../generated/protocol.js';
import './scorer.js';

export { wasm };

export const ready = init({ module_or_path: new URL('../wasm/crm_guard_wasm_bg.wasm', import.meta.url) });

/** An event that was in flight when the instance trapped (it will never finish). */
class Trapped extends Error {}
const inFlight = new Set(); // reject functions of the calls in flight
let replacing = false;

// A panic (then a trap, maybe inside a future whose promise would never settle): the instance is
// replaced by a fresh one (the engine's state is in storage) and every call in flight fails.
self.crmGuardOnPanic = () => {
  if (replacing) return;
  replacing = true;
  queueMicrotask(() => {
    try {
      wasm.__wbg_reset_state();
    } catch (e) {
      console.error('[crm-guard] replacing the trapped WASM instance failed:', e);
    }
    replacing = false;
    for (const reject of inFlight) reject(new Trapped('the WASM instance trapped'));
    inFlight.clear();
  });
};

/** Runs `fn` once WASM is ready; a failure is logged with context and clears the tab's badge. */
export async function run(what, tabId, fn) {
  try {
    await ready;
    return await new Promise((resolve, reject) => {
      inFlight.add(reject);
      Promise.resolve().then(fn).then(resolve, reject).finally(() => inFlight.delete(reject));
    });
  } catch (err) {
    console.error(`[crm-guard] ${what} failed${tabId >= 0 ? ` for tab ${tabId}` : ''}:`, err, wasm.lastPanic?.() ?? '');
    if (tabId >= 0) await chrome.action.setBadgeText({ tabId, text: '' }).catch(() => {});
    throw err;
  }
}

/** Gives one event to the engine; resolves with its reply (undefined when it failed). */
export function handle(event) {
  const what = event.type === 'message' ? `message ${event.message?.type}` : event.type;
  return run(what, event.tabId ?? event.sender?.tabId, () => wasm.handle(event)).catch((err) => {
    // A score request that trapped the scorer is answered "unavailable" (fail closed): asked
    // again of the fresh instance, without the scorer.
    const m = event.message;
    if ((err instanceof Trapped || err instanceof WebAssembly.RuntimeError) && m?.type === 'pwScore' && !m.scorerFailed) {
      return handle({ ...event, message: { ...m, scorerFailed: true } });
    }
    return undefined;
  });
}
