// CRM Guard in-page UI kit, loaded first in every content-script entry that shows something (same
// isolated world as the scripts after it; page scripts cannot see this global). One frozen API,
// `crmGuardUi`, defined once and non-writable: a second injection in the same world keeps the first.
//
// - shadowHost(): a host element with a CLOSED shadow root; styles through a constructed sheet
//   (CSSOM: no inline <style>, nothing for the page's CSP to report) and, optionally, host styles
//   pinned with `!important` so a page stylesheet cannot hide it.
// - msg(): chrome.i18n text; the key itself if a text is missing.
// - onTrusted() / button(): act only on trusted events (a real click or key press);
//   element.click() and dispatchEvent() from page code are untrusted.
// - keepAttached(): re-attaches and re-pins a host the page removes or restyles.
(() => {
  'use strict';
  if (globalThis.crmGuardUi) return;

  const msg = (key, subs) => chrome.i18n.getMessage(key, subs) || key;

  const onTrusted = (fn) => (e) => {
    if (e.isTrusted) fn(e);
  };

  /** A `<button type="button">` labelled `text` whose `fn` runs on trusted clicks only. */
  function button(text, fn) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.addEventListener('click', onTrusted(fn));
    return b;
  }

  /** `document.createElement(tag)` with a class name and text, both optional. */
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function adopt(root, css) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement('style');
      style.textContent = css;
      root.append(style);
    }
  }

  /**
   * A host element (`tag`, marked data-crm-guard=`kind` when given) with a closed shadow root
   * styled by `css`. `hostStyle` ([property, value] pairs) is set on the host with `!important`;
   * `pin()` sets it again. Returns { host, root, pin }.
   */
  function shadowHost({ tag = 'div', kind, css, hostStyle = [] }) {
    const host = document.createElement(tag);
    if (kind) host.dataset.crmGuard = kind;
    const pin = () => {
      for (const [k, v] of hostStyle) host.style.setProperty(k, v, 'important');
    };
    pin();
    const root = host.attachShadow({ mode: 'closed' });
    if (css) adopt(root, css);
    return { host, root, pin };
  }

  /**
   * Watches the document's top-level children and the host's attributes: when the page removes
   * the host (or moves it away from the document element), `reattach()` runs; either way the host
   * styles are pinned again. Returns { watch(), stop() }; watch() again after re-attaching is
   * harmless.
   */
  function keepAttached({ host, pin }, reattach) {
    const observer = new MutationObserver(() => {
      if (!host.isConnected || host.parentNode !== document.documentElement) reattach();
      pin();
    });
    return {
      watch() {
        observer.observe(document.documentElement, { childList: true });
        observer.observe(host, { attributes: true });
      },
      stop: () => observer.disconnect(),
    };
  }

  /**
   * A dismissable notice: a role=alert box (class `box`) holding a title (<strong>), a body (<p>)
   * and a button that removes the host on a trusted click. Returns the host, not yet attached.
   */
  function notice({ tag, kind, css, hostStyle, title, body, dismiss }) {
    const ui = shadowHost({ tag, kind, css, hostStyle });
    const box = el('div', 'box');
    box.setAttribute('role', 'alert');
    box.append(el('strong', '', title), el('p', '', body), button(dismiss, () => ui.host.remove()));
    ui.root.append(box);
    return ui.host;
  }

  Object.defineProperty(globalThis, 'crmGuardUi', {
    value: Object.freeze({ msg, onTrusted, button, el, shadowHost, keepAttached, notice }),
  });
})();
