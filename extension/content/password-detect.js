// CRM Guard password content scripts (CRM pages, every frame, from document_start), in three files
// run in this order in one isolated world: password-detect.js (this one), password-meter.js,
// password-block.js. They share one object, `crmGuardPw`, defined here (non-writable; page scripts
// cannot see it).
//
// Detection (this file):
// - Finds password fields: a first scan, then a MutationObserver that examines ADDED nodes only
//   (and `type` attribute changes), open shadow roots (Lightning components) as they appear, and
//   any password field the user focuses (focusin is composed: it reveals fields in open shadow
//   roots attached after our scan). Same-origin frames run their own copy (all_frames,
//   match_about_blank).
// - Describes each field (FieldInfo) to the worker, which classifies it. New-password fields get
//   the meter (password-meter.js); login fields feed the reuse guard (password-block.js).
// - Once the page is loaded and its fields classified, tells the worker whether it has a login form.
(() => {
  'use strict';
  if (globalThis.crmGuardPw) return;

  const send = (m) => chrome.runtime.sendMessage(m).catch(() => undefined);
  const PW_SELECTOR = 'input[type="password" i]';
  const MAX_TEXT = globalThis.crmGuardProtocol.limits.maxFieldText;

  // Timings of the last keystrokes (benchmarks read them through CDP in this isolated world; the
  // page cannot): {seq, inputAt, handlerMs, renderedAt, renderMs}, and the last focus time.
  const timings = { keys: new Map(), lastFocusAt: 0 };
  Object.defineProperty(globalThis, '__crmGuardPwTimings', { value: timings });

  const claimed = new Set(['detect']);
  /** Shared by the three password scripts. Functions marked (meter) / (block) are set by those. */
  const pw = {
    send,
    MAX_TEXT,
    timings,
    /**
     * field → { kind, meter, seq, shownSeq, judged: {value, view}, blockShown, inflight, input,
     * commit (the next request is a committed value), committedValue (the last one sent so),
     * heldFor (the value a submit was last held for, for its breach check) }
     */
    fields: new Map(),
    policy: null,
    classifying: Promise.resolve(), // settles when the fields found so far are classified
    /** True the first time a script of that name asks: a second injection of it does nothing. */
    claim: (part) => !claimed.has(part) && Boolean(claimed.add(part)),
    container,
    userFields,
    newPasswordField: null, // (meter) a field classified newPassword: meter it as the user types
    requestScore: null, // (meter) field → promise settled once the reply is shown
    commitScore: null, // (meter) the same for a value the user settled on (breach check)
    render: null, // (meter) (field, state, view, blockedNow) → shows a judged view
    onSubmit: null, // (block) capture-phase submit
    onFormData: null, // (block) formdata
  };
  Object.defineProperty(globalThis, 'crmGuardPw', { value: Object.seal(pw) });

  const { fields } = pw;
  const pending = new Set(); // fields found, not yet described to the worker
  const observedRoots = new WeakSet();
  let scheduled = false;

  // -------------------------------------------------------------------------------------------
  // Detection.

  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') {
        if (r.target.matches?.(PW_SELECTOR)) found(r.target);
        continue;
      }
      for (const n of r.addedNodes) if (n.nodeType === 1) scanSubtree(n);
    }
  });

  // Shadow-root forms: submit and formdata do not cross the shadow boundary.
  const onSubmit = (e) => pw.onSubmit(e);
  const onFormData = (e) => pw.onFormData(e);

  function observe(root) {
    if (observedRoots.has(root)) return;
    observedRoots.add(root);
    observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['type'] });
    if (root !== document) {
      root.addEventListener('submit', onSubmit, true);
      root.addEventListener('formdata', onFormData, true);
    }
  }

  /** Examines one added element and its descendants (and their open shadow roots). */
  function scanSubtree(el) {
    if (el.matches(PW_SELECTOR)) found(el);
    if (el.shadowRoot) scanRoot(el.shadowRoot);
    if (!el.firstElementChild) return;
    for (const f of el.querySelectorAll(PW_SELECTOR)) found(f);
    // Open shadow roots inside the added subtree (custom elements render into them).
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_ELEMENT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.shadowRoot) scanRoot(n.shadowRoot);
  }

  function scanRoot(root) {
    if (observedRoots.has(root)) return;
    observe(root);
    for (const child of root.children) scanSubtree(child);
  }

  function found(field) {
    if (fields.has(field) || pending.has(field) || field.closest?.('[data-crm-guard]')) return;
    pending.add(field);
    if (!scheduled) {
      scheduled = true;
      pw.classifying = new Promise((resolve) => queueMicrotask(() => describePending().finally(resolve)));
    }
  }

  // A password field focused before we saw it (shadow root attached after our scan).
  document.addEventListener('focusin', (e) => {
    const t = e.composedPath()[0];
    timings.lastFocusAt = e.timeStamp;
    if (t instanceof HTMLInputElement && t.type === 'password' && !fields.has(t)) {
      const root = t.getRootNode();
      if (root instanceof ShadowRoot) observe(root);
      found(t);
    }
    // Re-warm the scorer when the worker may have been stopped since detection.
    if (t instanceof HTMLInputElement && fields.get(t)?.kind === 'newPassword') send({ type: 'pwWarm' });
  }, true);

  // -------------------------------------------------------------------------------------------
  // Field descriptors.

  const cut = (s) => (typeof s === 'string' && s ? s.slice(0, MAX_TEXT) : null);

  function container(field) {
    return field.form ?? field.closest('form') ?? field.getRootNode();
  }

  function passwordsIn(c) {
    return c.querySelectorAll ? [...c.querySelectorAll(PW_SELECTOR)] : [];
  }

  function labelText(field) {
    const l = field.labels?.[0];
    if (l) return l.textContent;
    const ids = field.getAttribute('aria-labelledby');
    if (ids) {
      const root = field.getRootNode();
      return ids.split(/\s+/).map((id) => root.getElementById?.(id)?.textContent ?? '').join(' ');
    }
    return null;
  }

  function userFields(c) {
    if (!c.querySelectorAll) return [];
    return [...c.querySelectorAll('input[type="email" i], input[autocomplete~="username" i], input[autocomplete~="email" i], input[name*="user" i], input[name*="email" i], input[name*="login" i]')]
      .filter((i) => i.type !== 'password' && i.type !== 'hidden');
  }

  function submitText(c) {
    const b = c.querySelector?.('button[type="submit" i], button:not([type]), input[type="submit" i]');
    return b ? (b.value || b.textContent) : null;
  }

  function describe(field) {
    const c = container(field);
    const all = passwordsIn(c);
    return {
      autocomplete: cut(field.getAttribute('autocomplete')),
      name: cut(field.name),
      id: cut(field.id),
      placeholder: cut(field.placeholder),
      labelText: cut(labelText(field)),
      ariaLabel: cut(field.getAttribute('aria-label')),
      formPasswordCount: Math.min(all.length, 255),
      indexInForm: Math.max(0, Math.min(all.indexOf(field), 255)),
      formHasEmailOrUsername: userFields(c).length > 0,
      submitText: cut(submitText(c)),
      inShadowRoot: field.getRootNode() instanceof ShadowRoot,
      urlPath: location.pathname.slice(0, MAX_TEXT),
    };
  }

  async function describePending() {
    scheduled = false;
    const batch = [...pending].filter((f) => f.isConnected);
    pending.clear();
    if (batch.length === 0) return;
    for (const f of batch) fields.set(f, { kind: null, seq: -1, shownSeq: -1, judged: null, meter: null, inflight: null });
    const reply = await send({ type: 'pwFields', fields: batch.map(describe) });
    if (!reply?.kinds) { // no worker, or the tab is over its budget: found again on focus
      for (const f of batch) fields.delete(f);
      return;
    }
    pw.policy = reply.policy;
    batch.forEach((f, i) => {
      const state = fields.get(f);
      if (!state) return;
      state.kind = reply.kinds[i];
      if (state.kind === 'newPassword') pw.newPasswordField(f);
      const root = f.getRootNode();
      if (root instanceof ShadowRoot) observe(root);
    });
    notifyClassified();
  }

  // -------------------------------------------------------------------------------------------
  // Start: scan once the document is parsed; report the page (login form or not) once loaded.

  let loaded = false;
  let reported = false;
  function notifyClassified() {
    if (!loaded || reported || window.top !== window || pending.size > 0) return;
    if ([...fields.values()].some((s) => s.kind === null)) return;
    reported = true;
    const hasLoginField = [...fields].some(([f, s]) => f.isConnected && (s.kind === 'login' || s.kind === 'currentPassword'));
    send({ type: 'pwPage', hasLoginField });
  }

  function start() {
    observe(document);
    if (document.documentElement) scanSubtree(document.documentElement);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
  const onLoaded = () => {
    loaded = true;
    // Fields described in this task are awaited by describePending → notifyClassified.
    queueMicrotask(() => queueMicrotask(notifyClassified));
  };
  if (document.readyState === 'complete') onLoaded();
  else window.addEventListener('load', onLoaded, { once: true });
})();
