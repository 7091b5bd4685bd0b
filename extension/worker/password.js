// Password strength, reuse and phishing guard (issue 6): forwards the content scripts' messages to
// the Rust core and keeps the phishing content script registered exactly when policy wants it and
// the `<all_urls>` host permission is granted. Passwords are never logged, stored or sent: they
// only cross from the content script to this worker and into WASM.
import { core, onMessage, ready, run } from './core.js';

const PHISH_SCRIPT_ID = 'crm-guard-phishing';
const ALL_URLS = { origins: ['<all_urls>'] };

// Diagnostics for the end-to-end suite (the worker's own realm only).
self.crmGuardPassword = {
  // Make the next N scorer calls panic inside WASM (proves "unavailable", never "strong").
  panicNext: 0,
  deriveHex: (pw, saltByte, iterations) => ready.then(() => core.passwordDeriveHex(pw, saltByte, iterations)),
  syncPhishing: () => syncPhishing(),
  // Benchmarks: the bare WASM scorer timed inside WASM, and the full 'pwScore' path without messaging.
  benchScore: (passwords) => ready.then(() => core.passwordBenchScore(passwords)),
  benchScorePath: async (url, passwords) => {
    await ready;
    const out = [];
    for (const pw of passwords) {
      const t0 = performance.now();
      await core.scorePassword(url, pw, []);
      out.push(performance.now() - t0);
    }
    return out;
  },
};

const text = (v, max) => (typeof v === 'string' ? v.slice(0, max) : '');

// Latest score request per frame: a request that is not the latest when its turn comes is dropped
// (keystrokes queued during a cold start are not all scored).
const latestSeq = new Map();

onMessage('pwFields', 'crm', async (msg) => {
  const fields = Array.isArray(msg.fields) ? msg.fields.slice(0, 64) : [];
  const result = await core.passwordFields(fields);
  // Build zxcvbn's dictionaries now, before the first keystroke (after this reply is sent).
  setTimeout(() => run('warm scorer', -1, () => core.warmScorer()), 0);
  return result;
});

onMessage('pwWarm', 'crm', () => core.warmScorer());

onMessage('pwScore', 'crm', async (msg, from) => {
  const seq = Number(msg.seq);
  const frame = `${from.tabId}:${from.frameId}`;
  if (!Number.isSafeInteger(seq) || typeof msg.password !== 'string') return undefined;
  if (seq > (latestSeq.get(frame) ?? -1)) latestSeq.set(frame, seq);
  await ready;
  if (seq < latestSeq.get(frame)) return { seq, stale: true };
  const values = Array.isArray(msg.values) ? msg.values.slice(0, 8).map((v) => text(v, 200)) : [];
  try {
    if (self.crmGuardPassword.panicNext > 0) {
      self.crmGuardPassword.panicNext -= 1;
      core.debugPanic('password scorer');
    }
    return { seq, ...(await core.scorePassword(from.url, msg.password, values)) };
  } catch (err) {
    console.error('[crm-guard] password scorer failed:', String(err?.message ?? err).slice(0, 200));
    return { seq, ...(await core.scoreUnavailable([...msg.password].length)) };
  }
});

onMessage('pwBlocked', 'crm', (msg, from) => core.passwordBlocked(from.url));

// A CRM login form was submitted: derive its fingerprint while the tab navigates. The landing
// page's 'pwPage' waits for it.
const derivations = new Map();
onMessage('pwLogin', 'crm', (msg, from) => {
  if (typeof msg.password !== 'string' || !msg.password) return undefined;
  const p = core.passwordLoginSubmitted(from.tabId, from.url, msg.password);
  derivations.set(from.tabId, p.catch(() => false));
  return p;
});

onMessage('pwPage', 'crm', async (msg, from) => {
  if (from.frameId !== 0) return undefined;
  await derivations.get(from.tabId);
  derivations.delete(from.tabId);
  return core.passwordPageLoaded(from.tabId, from.url, msg.hasLoginField === true);
});

onMessage('pwPhish', 'content', (msg, from) =>
  typeof msg.password === 'string' ? core.passwordPhishCheck(from.url, msg.password) : undefined);

onMessage('pwPhishingStatus', 'page', async () => ({
  wanted: await core.phishingGuardWanted(),
  granted: await chrome.permissions.contains(ALL_URLS),
}));

// ---------------------------------------------------------------------------------------------
// Phishing guard registration: policy `phishingGuard` AND the optional `<all_urls>` permission.

let syncing = Promise.resolve();
function syncPhishing(settingsChanged = false) {
  syncing = syncing.then(() =>
    run('phishing guard registration', -1, async () => {
      if (settingsChanged) core.onSettingsChanged();
      const wanted = (await core.phishingGuardWanted()) && (await chrome.permissions.contains(ALL_URLS));
      const have = (await chrome.scripting.getRegisteredContentScripts({ ids: [PHISH_SCRIPT_ID] })).length > 0;
      if (wanted && !have) {
        await chrome.scripting.registerContentScripts([{
          id: PHISH_SCRIPT_ID,
          matches: ['<all_urls>'],
          js: ['content/password-phish.js'],
          allFrames: true,
          runAt: 'document_start',
          persistAcrossSessions: true,
        }]);
      } else if (!wanted && have) {
        await chrome.scripting.unregisterContentScripts({ ids: [PHISH_SCRIPT_ID] });
      }
      return wanted;
    }));
  return syncing;
}

chrome.runtime.onInstalled.addListener(() => syncPhishing());
chrome.runtime.onStartup.addListener(() => syncPhishing());
chrome.permissions.onAdded.addListener(() => syncPhishing());
chrome.permissions.onRemoved.addListener(() => syncPhishing());
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && 'options' in changes)) syncPhishing(true);
});
