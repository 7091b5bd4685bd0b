// Downloads, forwarded to the engine (crm_guard_engine::export). In Chromium the file is held
// until the engine answers: `onDeterminingFilename` with its callback kept here, called by the
// engine through `crmGuardDownloads.release` (or the download is cancelled). Firefox has no such
// hold: `onCreated` is forwarded and the engine's cancel comes after the file may have started.
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

if (chrome.downloads?.onDeterminingFilename) {
  chrome.downloads.onDeterminingFilename.addListener((d, suggest) => {
    held.set(d.id, suggest);
    forward(d, true); // the engine releases it on its own failure (a failure is logged by core.js)
    return true;
  });
} else {
  chrome.downloads?.onCreated.addListener((d) => forward(d, false));
}
