// CRM Guard phishing guard (registered by the worker on every site, only when IT policy sets
// phishingGuard and the `<all_urls>` host permission is granted).
//
// A password counts only when the user typed it with trusted key events (content/typed.js: page
// code that sets the value, dispatches synthetic events or inserts text with execCommand does
// not count). It is checked when the field loses focus, on Enter and on submit — never per
// keystroke — and the worker rate-limits the checks. When it is a CRM's password, an alert naming
// that CRM appears in a closed shadow root; the page cannot read or remove it unnoticed.
(() => {
  'use strict';
  if (window.__crmGuardPhish) return;
  Object.defineProperty(window, '__crmGuardPhish', { value: true });

  const checked = new WeakMap(); // field → value last sent for a check
  let alertHost = null;

  const passwordField = (e) => {
    const t = e.composedPath()[0];
    return t instanceof HTMLInputElement && t.type === 'password' ? t : null;
  };

  async function check(f) {
    const value = f.value;
    if (!crmGuardTyped.isTyped(f) || checked.get(f) === value) return;
    checked.set(f, value);
    const reply = await chrome.runtime.sendMessage({ type: 'pwPhish', password: value }).catch(() => null);
    if (reply?.crmName) showAlert(reply.crmName);
  }

  document.addEventListener('focusout', (e) => {
    const f = passwordField(e);
    if (f && e.isTrusted) check(f);
  }, true);
  document.addEventListener('keydown', (e) => {
    const f = passwordField(e);
    if (f && e.isTrusted && e.key === 'Enter') check(f);
  }, true);
  window.addEventListener('submit', (e) => {
    if (!e.isTrusted || !(e.target instanceof HTMLFormElement)) return;
    for (const f of e.target.querySelectorAll('input[type="password" i]')) check(f);
  }, true);

  const ALERT_CSS = `
    .box { font: 14px/1.4 system-ui, sans-serif; background: #b00020; color: #fff; padding: 12px 16px; border-radius: 6px;
      box-shadow: 0 2px 10px rgba(0,0,0,.4); max-width: 640px; margin: 0 auto; }
    p { margin: 6px 0; }`;
  const HOST_STYLE = [['all', 'initial'], ['position', 'fixed'], ['inset', '12px 12px auto 12px'], ['z-index', '2147483647']];

  function showAlert(crmName) {
    const { msg } = crmGuardUi;
    alertHost?.remove();
    alertHost = crmGuardUi.notice({ kind: 'phishing-alert', css: ALERT_CSS, hostStyle: HOST_STYLE,
      title: msg('phishing_alert_title', [crmName]), body: msg('phishing_alert_body', [crmName]),
      dismiss: msg('phishing_alert_close') });
    (document.body ?? document.documentElement).append(alertHost);
  }
})();
