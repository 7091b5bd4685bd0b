// CRM Guard: which password values the user typed (issue 10, item 2), in the isolated world of
// the password scripts (CRM pages) and of the phishing guard (every site, when enabled). One
// frozen API, `crmGuardTyped`, defined once; page scripts cannot see it.
//
// A field's value counts as typed only when every change since it was empty came from the
// user's keyboard: a trusted `keydown` on that field, then the one trusted `input` it causes,
// whose new value is what that key does to the value before it (an inserted character equal to
// the key, a deletion, a paste of the clipboard). Anything else — a value set by page script, a
// synthetic event, `execCommand('insertText')` (trusted `input` with no key), text inserted by a
// page's keydown handler, autofill — makes the field untyped until it is emptied and typed again.
// A trusted `submit` (`form.requestSubmit()` from page code is one) proves nothing about the value.
(() => {
  'use strict';
  if (globalThis.crmGuardTyped) return;

  const typed = new WeakMap(); // field → the value its last keyed change left
  const pending = new WeakMap(); // field → {key, before, start, end}: a trusted keydown awaiting its input

  const passwordField = (e) => {
    const t = e.composedPath()[0];
    return t instanceof HTMLInputElement && t.type === 'password' ? t : null;
  };

  addEventListener('keydown', (e) => {
    const f = passwordField(e);
    if (!f || !e.isTrusted) return;
    pending.set(f, { key: e.key, before: f.value, start: f.selectionStart ?? f.value.length, end: f.selectionEnd ?? f.value.length });
  }, true);

  /** Whether `after` is `before` with the selection [start, end) replaced by `inserted` (null: anything). */
  function replaced(before, after, start, end, inserted) {
    const head = before.slice(0, start);
    const tail = before.slice(end);
    if (!after.startsWith(head) || !after.endsWith(tail) || after.length < head.length + tail.length) return false;
    return inserted === null || after.slice(head.length, after.length - tail.length) === inserted;
  }

  /** Whether `after` is `before` with one run of characters removed. */
  function deleted(before, after) {
    if (after.length >= before.length) return false;
    let k = 0;
    while (k < after.length && after[k] === before[k]) k += 1;
    return before.endsWith(after.slice(k));
  }

  function keyed(e, f, p) {
    if (!e.isTrusted || !p) return false;
    const before = p.before;
    if (before !== '' && typed.get(f) !== before) return false; // changed by something else since
    const v = f.value;
    switch (e.inputType) {
      case 'insertText':
        // A one-character key inserting itself ('Shift', 'Enter' name no character).
        return [...p.key].length === 1 && e.data === p.key && replaced(before, v, p.start, p.end, p.key);
      case 'insertFromPaste':
        return replaced(before, v, p.start, p.end, null);
      case 'deleteContentBackward':
      case 'deleteContentForward':
      case 'deleteWordBackward':
      case 'deleteWordForward':
      case 'deleteSoftLineBackward':
      case 'deleteSoftLineForward':
      case 'deleteHardLineBackward':
      case 'deleteHardLineForward':
      case 'deleteByCut':
        return deleted(before, v);
      default:
        return false;
    }
  }

  addEventListener('input', (e) => {
    const f = passwordField(e);
    if (!f) return;
    const p = pending.get(f);
    pending.delete(f); // one input per key
    if (keyed(e, f, p)) typed.set(f, f.value);
    else typed.delete(f);
  }, true);

  Object.defineProperty(globalThis, 'crmGuardTyped', {
    value: Object.freeze({
      /** Whether the field's current, non-empty value was typed by the user (see above). */
      isTyped: (field) => Boolean(field.value) && typed.get(field) === field.value,
    }),
  });
})();
