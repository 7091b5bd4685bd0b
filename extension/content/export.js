// CRM Guard export guard and MFA check (CRM pages, main frame). Reports sizes and facts, never
// text: a copy's length in characters and the table rows it spans (trusted copies only: a page
// script's synthetic `copy` event is not the user's), that the page is being printed, and that a
// sign-in page shows a one-time-code field. The engine decides whether any of it is recorded.
(() => {
  'use strict';
  const send = (message) => chrome.runtime.sendMessage(message).catch(() => {});

  // On `window` in the capture phase, from document_start: ours is the first listener a copy
  // meets, so a page's own listener (stopImmediatePropagation) cannot hide it.
  window.addEventListener(
    'copy',
    (e) => {
      if (!e.isTrusted) return;
      const sel = document.getSelection();
      if (!sel || sel.rangeCount === 0) return;
      const chars = sel.toString().length; // measured here, never sent
      let rows = 0;
      for (let i = 0; i < sel.rangeCount; i += 1) {
        rows += sel.getRangeAt(i).cloneContents().querySelectorAll('tr, [role="row"]').length;
      }
      if (chars > 0 || rows > 0) send({ type: 'exportCopy', chars, rows });
    },
    true,
  );

  window.addEventListener('beforeprint', () => send({ type: 'exportPrint' }), true);

  // A one-time-code field: autocomplete="one-time-code", or a short numeric field.
  const CODE = 'input[autocomplete~="one-time-code"], input[inputmode="numeric"][maxlength]';
  const isCode = (input) => {
    if (input.autocomplete?.includes('one-time-code')) return true;
    const max = Number(input.getAttribute('maxlength'));
    return max >= 4 && max <= 10;
  };
  let reported = false;
  const look = () => {
    if (reported) return;
    if ([...document.querySelectorAll(CODE)].some(isCode)) {
      reported = true;
      observer.disconnect();
      send({ type: 'signinCodeField' });
    }
  };
  // At most one look per 500 ms however busy the page's DOM is, for 10 minutes.
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending || reported) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      look();
    }, 500);
  });
  observer.observe(document, { childList: true, subtree: true });
  setTimeout(() => observer.disconnect(), 10 * 60 * 1000);
  look();
})();
