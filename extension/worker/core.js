// The one WASM instance of the worker, the guarded runner every handler uses, and the message
// router. Feature modules (worker/*.js) register their listeners when they are evaluated, which
// is synchronous, at the top level of the worker: no event that wakes the worker is lost.
import init, * as core from '../wasm/crm_guard_wasm.js';

export { core };

// Started at once, awaited inside each handler (top-level await kills service workers).
export const ready = init({ module_or_path: new URL('../wasm/crm_guard_wasm_bg.wasm', import.meta.url) });

// Events of one tab run one after the other, in arrival order: two quick navigations must not
// finish out of order and leave the badge of the first.
const tabQueues = new Map();

/**
 * Runs one forwarded event. A failure (or a panic trapped in WASM) is reported with context, and
 * the tab's badge is cleared so it never shows a stale verdict. With a tab id (>= 0) the event
 * waits for the tab's earlier events; `fn` must not itself wait for a run() of the same tab.
 */
export function run(what, tabId, fn) {
  const task = async () => {
    try {
      await ready;
      return await fn();
    } catch (err) {
      console.error(`[crm-guard] ${what} failed${tabId >= 0 ? ` for tab ${tabId}` : ''}:`, err, core.lastPanic?.() ?? '');
      if (tabId >= 0) await chrome.action.setBadgeText({ tabId, text: '' }).catch(() => {});
      return undefined;
    }
  };
  if (!(tabId >= 0)) return task();
  const result = (tabQueues.get(tabId) ?? Promise.resolve()).then(task);
  tabQueues.set(tabId, result);
  result.then(() => {
    if (tabQueues.get(tabId) === result) tabQueues.delete(tabId);
  });
  return result;
}

/** Runs `fn(tab)` for every open tab, each in its tab's queue (never beside its navigations). */
export async function forEachTab(what, fn) {
  const tabs = await chrome.tabs.query({});
  await Promise.all(tabs.map((tab) => run(what, tab.id, () => fn(tab))));
}

async function onCrmPage(sender) {
  const url = /^https?:/.test(sender.url ?? '') ? sender.url : sender.origin ? `${sender.origin}/` : '';
  const verdict = await core.evaluateUrl(url);
  return Boolean(verdict) && !verdict.lookalike;
}

const EXTENSION_ORIGIN = chrome.runtime.getURL('');
const handlers = new Map();

/**
 * Registers the handler of one message type. `from` says who may send it:
 * - 'page': our own extension pages (popup, options, signed-out page);
 * - 'content': our content scripts; the handler gets the sender's tab id, frame id and URL from
 *   the browser (`sender`), never from the message;
 * - 'crm': our content scripts, and only on a CRM page (the core classifies the sender's URL,
 *   or its origin for about:blank frames): a page elsewhere can never, say, postpone a logout.
 * The handler's resolved value is the reply.
 */
export function onMessage(type, from, handler) {
  if (handlers.has(type)) throw new Error(`message type ${type} registered twice`);
  handlers.set(type, { from, handler });
}

// No externally_connectable: only this extension's pages and content scripts reach here.
chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (sender.id !== chrome.runtime.id || typeof msg !== 'object' || msg === null) return false;
  const entry = handlers.get(msg.type);
  if (!entry) return false;
  const fromPage = typeof sender.url === 'string' && sender.url.startsWith(EXTENSION_ORIGIN);
  if (entry.from === 'page' && !fromPage) return false;
  if (entry.from !== 'page' && (fromPage || !sender.tab)) return false;
  const tabId = entry.from === 'page' ? -1 : sender.tab.id;
  // Not queued per tab here: a handler that touches the tab's verdict queues itself with
  // run(what, tabId, …) (queuing twice on the same tab would deadlock).
  run(`message ${msg.type}`, -1, async () => {
    if (entry.from === 'crm' && !(await onCrmPage(sender))) throw new Error(`${msg.type} from a page that is not a CRM`);
    return entry.handler(msg, { tabId, frameId: sender.frameId, url: sender.url });
  }).then(reply);
  return true;
});
