// CRM Guard password content script (CRM pages, every frame, from document_start).
//
// - Finds password fields: a first scan, then a MutationObserver that examines ADDED nodes only
//   (and `type` attribute changes), open shadow roots (Lightning components) as they appear, and
//   any password field the user focuses (focusin is composed: it reveals fields in open shadow
//   roots attached after our scan). Same-origin frames run their own copy (all_frames,
//   match_about_blank).
// - Describes each field (FieldInfo) to the worker, which classifies it. New-password fields get
//   the meter; login fields feed the reuse guard.
// - Scores in the worker (WASM), never here: every keystroke sends {seq, password}; only the
//   latest reply is shown. The meter lives in a CLOSED shadow root: page scripts cannot read it.
// - Block mode: a too-weak new password cannot be submitted (capture-phase submit: buttons, Enter,
//   requestSubmit), and `form.submit()` / `new FormData(form)` from page code get the password
//   removed from the form data (the `formdata` event). A page's own fetch() of `input.value` is
//   not reachable from an isolated world.
(() => {
  'use strict';
  if (window.__crmGuardPassword) return;
  Object.defineProperty(window, '__crmGuardPassword', { value: true });

  const msg = (key, subs) => chrome.i18n.getMessage(key, subs) || key;
  const send = (m) => chrome.runtime.sendMessage(m).catch(() => undefined);
  const PW_SELECTOR = 'input[type="password" i]';
  const MAX_TEXT = 200;

  /** field → { kind, meter, seq, shownSeq, judged: {value, view} } */
  const fields = new Map();
  const pending = new Set(); // fields found, not yet described to the worker
  const observedRoots = new WeakSet();
  let policy = null;
  let classifying = Promise.resolve(); // settles when the fields found so far are classified
  let seq = 0;
  let scheduled = false;
  // Timings of the last keystrokes (benchmarks read them through CDP in this isolated world; the
  // page cannot): {seq, inputAt, handlerMs, renderedAt, renderMs}, and the last focus time.
  const timings = { keys: new Map(), lastFocusAt: 0 };
  Object.defineProperty(globalThis, '__crmGuardPwTimings', { value: timings });
  const timing = (s) => {
    let t = timings.keys.get(s);
    if (!t) {
      if (timings.keys.size >= 500) timings.keys.delete(timings.keys.keys().next().value);
      timings.keys.set(s, (t = { seq: s }));
    }
    return t;
  };

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

  function observe(root) {
    if (observedRoots.has(root)) return;
    observedRoots.add(root);
    observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['type'] });
    // Shadow-root forms: submit and formdata do not cross the shadow boundary.
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
      classifying = new Promise((resolve) => queueMicrotask(() => describePending().finally(resolve)));
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
    for (const f of batch) fields.set(f, { kind: null, seq: -1, shownSeq: -1, judged: null, meter: null });
    const reply = await send({ type: 'pwFields', fields: batch.map(describe) });
    if (!reply) {
      for (const f of batch) fields.delete(f);
      return;
    }
    policy = reply.policy;
    batch.forEach((f, i) => {
      const state = fields.get(f);
      if (!state) return;
      state.kind = reply.kinds[i];
      if (state.kind === 'newPassword') {
        f.addEventListener('input', onInput);
        if (f.value) requestScore(f);
      }
      const root = f.getRootNode();
      if (root instanceof ShadowRoot) observe(root);
    });
    notifyClassified();
  }

  // -------------------------------------------------------------------------------------------
  // Scoring and the meter.

  function userValues(field) {
    return userFields(container(field)).map((i) => i.value).filter(Boolean).slice(0, 4).map((v) => v.slice(0, MAX_TEXT));
  }

  function onInput(e) {
    const t0 = performance.now();
    requestScore(e.currentTarget);
    Object.assign(timing(seq), { inputAt: e.timeStamp, handlerMs: performance.now() - t0 });
  }

  async function requestScore(field) {
    const state = fields.get(field);
    if (!state) return;
    const value = field.value;
    const mySeq = ++seq;
    state.seq = mySeq;
    const reply = await send({ type: 'pwScore', seq: mySeq, password: value, values: userValues(field) });
    if (!reply || reply.stale || state.seq !== mySeq) return; // a newer keystroke is on its way
    state.judged = { value, view: reply };
    state.shownSeq = mySeq;
    const t0 = performance.now();
    render(field, state, reply);
    const t1 = performance.now();
    Object.assign(timing(mySeq), { renderedAt: t1, renderMs: t1 - t0 });
  }

  const CSS = `
:host { all: initial; display: block; box-sizing: border-box; margin: 4px 0 8px; font: 12px/1.4 system-ui, sans-serif; color: #1b1b1b; }
.m { user-select: none; -webkit-user-select: none; }
.bar { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3px; height: 6px; margin-bottom: 3px; }
.bar i { background: #d6d6d6; border-radius: 2px; }
.m[data-level="1"] .bar i:nth-child(-n+1) { background: #c62828; }
.m[data-level="2"] .bar i:nth-child(-n+2) { background: #e07000; }
.m[data-level="3"] .bar i:nth-child(-n+3) { background: #5d8f00; }
.m[data-level="4"] .bar i:nth-child(-n+4) { background: #1e7e34; }
.label { font-weight: 600; }
.blocked { color: #b00020; font-weight: 600; }
.blocked:empty, .warn:empty, .tips:empty, .time:empty { display: none; }
ul { margin: 2px 0 0; padding-left: 18px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

  function meterFor(field, state) {
    if (state.meter?.host.isConnected && state.meter.host.previousElementSibling === field) return state.meter;
    state.meter?.host.remove();
    const host = document.createElement('div');
    host.dataset.crmGuard = 'meter';
    host.id = `crm-guard-pw-${Math.random().toString(36).slice(2, 10)}`;
    const root = host.attachShadow({ mode: 'closed' });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement('style');
      style.textContent = CSS;
      root.append(style);
    }
    const m = document.createElement('div');
    m.className = 'm';
    // The bar is the progressbar (its value text is what it announces); the texts below it are
    // siblings, so they are part of the field's description too.
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '4');
    bar.setAttribute('aria-label', msg('password_meterName'));
    bar.append(...Array.from({ length: 4 }, () => document.createElement('i')));
    const label = document.createElement('div');
    label.className = 'label';
    const time = document.createElement('div');
    time.className = 'time';
    const blocked = document.createElement('div');
    blocked.className = 'blocked';
    blocked.setAttribute('role', 'alert');
    const warn = document.createElement('div');
    warn.className = 'warn';
    const tips = document.createElement('ul');
    tips.className = 'tips';
    m.append(bar, label, time, blocked, warn, tips);
    root.append(m);
    field.after(host);
    // The field's description is the host (same tree as the field); its text comes from this
    // closed shadow root, which assistive technology reads and page scripts cannot.
    const described = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((id) => id && !id.startsWith('crm-guard-pw-'));
    field.setAttribute('aria-describedby', [...described, host.id].join(' '));
    const follow = () => {
      const w = field.getBoundingClientRect().width;
      if (w > 0) host.style.setProperty('width', `${Math.max(w, 160)}px`, 'important');
    };
    const ro = new ResizeObserver(follow);
    ro.observe(field);
    follow();
    state.meter = { host, m, bar, label, time, blocked, warn, tips, ro };
    return state.meter;
  }

  function crackTime(seconds) {
    if (!(seconds >= 1)) return msg('password_time_instant');
    const units = [['centuries', 3155692600], ['years', 31556926], ['months', 2629744], ['days', 86400], ['hours', 3600], ['minutes', 60], ['seconds', 1]];
    for (const [unit, s] of units) {
      if (seconds >= s) return msg(`password_time_${unit}`, [String(Math.round(seconds / s))]);
    }
    return msg('password_time_instant');
  }

  function reasonsText(view) {
    return (view.reasons ?? []).map((r) =>
      r.type === 'tooShort' ? msg('password_reason_tooShort', [String(r.min)])
        : r.type === 'tooWeak' ? msg('password_reason_tooWeak', [msg(`password_label_${['veryWeak', 'weak', 'fair', 'good', 'strong'][r.minScore]}`)])
          : msg('password_reason_unavailable')).join(' ');
  }

  function render(field, state, view, blockedNow = false) {
    const mt = meterFor(field, state);
    const labelText = msg(`password_label_${view.label}`);
    mt.m.dataset.level = String(view.meterLevel);
    mt.bar.setAttribute('aria-valuenow', String(view.meterLevel));
    mt.bar.setAttribute('aria-valuetext', labelText);
    mt.label.textContent = `${msg('password_meterName')}: ${labelText}`;
    mt.time.textContent = view.score === null || view.label === 'empty' ? '' : msg('password_crackTime', [crackTime(view.crackSeconds)]);
    mt.warn.textContent = view.warning ? msg(`warning_${view.warning}`) : '';
    mt.tips.replaceChildren(...(view.suggestions ?? []).map((id) => {
      const li = document.createElement('li');
      li.textContent = msg(`suggestion_${id}`);
      return li;
    }));
    const why = view.acceptable ? '' : reasonsText(view);
    mt.blocked.textContent = blockedNow || (view.blockSubmit && field.value && state.blockShown) ? msg('password_blocked', [why]) : '';
    if (!blockedNow && view.acceptable) state.blockShown = false;
  }

  // -------------------------------------------------------------------------------------------
  // Block mode and login submits.

  /** Guarded new-password fields in a form whose current value is not (yet) acceptable. */
  function refusedIn(form) {
    if (policy?.mode !== 'block') return [];
    const out = [];
    for (const [field, state] of fields) {
      if (state.kind !== 'newPassword' || !field.isConnected || container(field) !== form) continue;
      const judged = state.judged && state.judged.value === field.value ? state.judged.view : null;
      if (!judged || judged.blockSubmit) out.push([field, state, judged]);
    }
    return out;
  }

  function refuse(refused) {
    for (const [field, state, judged] of refused) {
      state.blockShown = true;
      if (judged) render(field, state, judged, true);
      else requestScore(field).then(() => fields.get(field)?.judged && render(field, state, fields.get(field).judged.view, true));
    }
    refused[0][0].focus();
    send({ type: 'pwBlocked' });
  }

  let resubmitting = null; // {form, trusted}: our own re-submission after classification

  function onSubmit(e) {
    const form = e.target;
    if (!(form instanceof HTMLFormElement)) return;
    const trusted = e.isTrusted || (resubmitting?.form === form && resubmitting.trusted);
    if (resubmitting?.form === form) resubmitting = null;
    // A password typed before the worker classified the field (first moments of a page): hold the
    // submission until it is classified (and judged, in block mode), then submit again.
    const early = [...fields].some(([f, st]) => st.kind === null && f.value && container(f) === form);
    if (early && policy?.mode !== 'warn') {
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      classifying.then(async () => {
        await Promise.all([...fields].filter(([f, st]) => st.kind === 'newPassword' && container(f) === form && f.value)
          .map(([f]) => requestScore(f)));
        if (!form.isConnected) return;
        resubmitting = { form, trusted };
        try {
          form.requestSubmit(submitter?.form === form ? submitter : undefined);
        } finally {
          resubmitting = null; // requestSubmit fires submit synchronously (or not at all: invalid form)
        }
      });
      return;
    }
    const refused = refusedIn(form);
    if (refused.length > 0) {
      e.preventDefault();
      e.stopImmediatePropagation();
      refuse(refused);
      return;
    }
    if (!trusted) return;
    // A login submitted by the user: the worker fingerprints it and waits for the landing page.
    for (const [field, state] of fields) {
      if (state.kind === 'login' && field.value && field.isConnected && container(field) === form) {
        send({ type: 'pwLogin', password: field.value });
        break;
      }
    }
  }

  // form.submit() and new FormData(form) from page code: no submit event, but a formdata event.
  function onFormData(e) {
    const refused = refusedIn(e.target);
    if (refused.length === 0) return;
    for (const [field] of refused) {
      if (field.name) e.formData.delete(field.name);
    }
    refuse(refused);
  }

  window.addEventListener('submit', onSubmit, true);
  window.addEventListener('formdata', onFormData, true);

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
