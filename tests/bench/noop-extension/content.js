// Per keystroke: one message to the worker; the round trip recorded like CRM Guard's meter
// timings (globalThis.__crmGuardPwTimings: inputAt, renderedAt), read by the bench over CDP.
(() => {
  const timings = { keys: new Map(), lastFocusAt: 0 };
  globalThis.__crmGuardPwTimings = timings;
  let seq = 0;
  document.addEventListener('focusin', () => { timings.lastFocusAt = performance.now(); chrome.runtime.sendMessage({ warm: true }).catch(() => {}); }, true);
  document.addEventListener('input', () => {
    const t = { seq: ++seq, inputAt: performance.now() };
    timings.keys.set(t.seq, t);
    chrome.runtime.sendMessage({ seq: t.seq }).then(() => { t.renderedAt = performance.now(); }, () => {});
  }, true);
})();
