// CRM Guard on CRM pages (issue 4), in the isolated world: holds back a form that would submit over
// plain http until the service worker (the core) has judged its action, and reports http
// subresources (mixed content) found in the DOM. Never reads form values; the explanation is shown
// in a closed shadow root the page cannot read or restyle.
(() => {
  const released = new WeakSet();
  const MAX_RESOURCES = globalThis.crmGuardProtocol.limits.maxReportedResources;

  const send = (report) => chrome.runtime.sendMessage({ type: 'network.page', report });
  // The form's own properties can be shadowed by its fields (`<input name="action">` makes
  // `form.action` that input): read them through the prototype's getters.
  const formGetter = (name) => Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, name).get;
  const formAction = formGetter('action');
  const formMethod = formGetter('method');

  // --- Forms: capture phase on the window, before the page's own handlers. -----------------------
  addEventListener(
    'submit',
    (e) => {
      const form = e.target;
      if (!(form instanceof HTMLFormElement) || formMethod.call(form) === 'dialog') return;
      if (released.has(form)) {
        released.delete(form);
        return;
      }
      const submitter = e.submitter ?? null;
      const action = submitter?.hasAttribute('formaction') ? submitter.formAction : formAction.call(form);
      if (!String(action).toLowerCase().startsWith('http:')) return;
      // Held until the core answers; released only if it says the action is not insecure.
      e.preventDefault();
      e.stopImmediatePropagation();
      send({ formActions: [String(action)] }).then(
        (verdict) => {
          if (Array.isArray(verdict) && verdict[0] === false) {
            released.add(form);
            form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
          } else {
            showNotice();
          }
        },
        () => showNotice(),
      );
    },
    true,
  );

  const NOTICE_CSS = `
    .box { position: fixed; z-index: 2147483647; top: 16px; right: 16px; max-width: 420px; padding: 14px 16px;
      background: #fff; color: #1b1b1b; border: 2px solid #c62828; border-radius: 8px;
      font: 14px system-ui, sans-serif; box-shadow: 0 4px 16px rgba(0,0,0,.25); }
    strong { display: block; margin-bottom: 6px; color: #c62828; }
    p { margin: 0 0 10px; }`;
  let notice = null;
  function showNotice() {
    if (notice?.isConnected) return;
    const { msg } = crmGuardUi;
    notice = crmGuardUi.notice({ tag: 'crm-guard-notice', css: NOTICE_CSS, title: msg('formBlocked_title'),
      body: msg('formBlocked_body'), dismiss: msg('formBlocked_dismiss') });
    document.documentElement.append(notice);
  }

  // --- Mixed content: http subresources in the DOM. Chromium blocks active mixed content in the
  // renderer before any request (webRequest never sees it) and upgrades passive content, so the
  // document is where it shows. The core judges each URL and type.
  const SELECTORS = [
    ['script[src]', 'script', 'src'],
    ['iframe[src], frame[src]', 'sub_frame', 'src'],
    ['link[rel~="stylesheet" i][href]', 'stylesheet', 'href'],
    ['img[src]', 'image', 'src'],
    ['video[src], audio[src], video source[src], audio source[src], track[src]', 'media', 'src'],
    ['object[data]', 'object', 'data'],
    ['embed[src]', 'object', 'src'],
  ];
  const seen = new Set();

  function scan() {
    const resources = [];
    for (const [selector, type, prop] of SELECTORS) {
      for (const el of document.querySelectorAll(selector)) {
        const url = String(el[prop] ?? '');
        if (!url.toLowerCase().startsWith('http:') || seen.has(url) || seen.size >= MAX_RESOURCES) continue;
        seen.add(url);
        resources.push({ url, type });
      }
    }
    if (resources.length > 0) send({ resources }).catch(() => {});
  }

  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      scan();
    }, 300);
  };
  const start = () => {
    scan();
    new MutationObserver(later).observe(document.documentElement, {
      childList: true, subtree: true, attributes: true, attributeFilter: ['src', 'href', 'data'],
    });
  };
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
