// CRM Guard password meter (after password-detect.js, same isolated world). Scores in the worker
// (WASM), never here: the user's keystrokes in a new-password field (trusted `input` events only:
// a page's synthetic ones are ignored) send {seq, password}, one request in flight per field (the
// latest value is sent when it returns); only the latest reply is shown. A reply "limited" (the
// tab is over its budget in the worker) is retried a moment later. The meter lives in a CLOSED
// shadow root: page scripts cannot read it.
// Breached passwords: only a value the user settled on is sent with `commit: true` (the field's
// trusted `change` event, or a submit block mode judges: password-block.js), the only requests
// the worker may check against IT's range service. Keystrokes never are: the 5-hex-digit prefixes
// of a password's successive prefixes would give it away character by character
// (docs/password-guard.md, "Breached passwords").
(() => {
  'use strict';
  const pw = globalThis.crmGuardPw;
  if (!pw?.claim('meter')) return;
  const { msg, el } = crmGuardUi;
  const { fields, send, timings, MAX_TEXT } = pw;
  let seq = 0;

  /** The timings of request `s`; `init` (the keystroke's own record) becomes them if given. */
  const timing = (s, init) => {
    let t = timings.keys.get(s);
    if (!t || init) {
      if (timings.keys.size >= 500) timings.keys.delete(timings.keys.keys().next().value);
      timings.keys.set(s, (t = Object.assign(init ?? {}, { seq: s })));
    }
    return t;
  };

  function userValues(field) {
    return pw.userFields(pw.container(field)).map((i) => i.value).filter(Boolean).slice(0, globalThis.crmGuardProtocol.limits.maxUserValues).map((v) => v.slice(0, MAX_TEXT));
  }

  const LIMITED_RETRY_MS = 250;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function onInput(e) {
    if (!e.isTrusted) return; // a page's dispatchEvent: not the user's hand
    const t0 = performance.now();
    const state = fields.get(e.currentTarget);
    const t = { inputAt: e.timeStamp };
    if (state) state.input = t; // carried by the next request sent for this field
    requestScore(e.currentTarget);
    t.handlerMs = performance.now() - t0;
  }

  /** The user committed the value (trusted `change`: blur or Enter after an edit). */
  function onChange(e) {
    if (!e.isTrusted) return;
    commitScore(e.currentTarget);
  }

  pw.newPasswordField = (field) => {
    field.addEventListener('input', onInput);
    field.addEventListener('change', onChange);
    if (field.value) requestScore(field);
  };

  /** Scores the field's value as committed (checked against breaches when policy asks). */
  function commitScore(field) {
    const state = fields.get(field);
    if (!state || !field.value) return Promise.resolve();
    state.commit = true;
    return requestScore(field);
  }
  pw.commitScore = commitScore;

  /** Settles once the reply for the field's current value is shown (or there is none). */
  function requestScore(field) {
    const state = fields.get(field);
    if (!state) return Promise.resolve();
    state.inflight ??= scoreLoop(field, state).finally(() => { state.inflight = null; });
    return state.inflight;
  }

  async function scoreLoop(field, state) {
    for (;;) {
      const value = field.value;
      const mySeq = ++seq;
      state.seq = mySeq;
      if (state.input) timing(mySeq, state.input);
      state.input = null;
      const commit = Boolean(state.commit);
      state.commit = false;
      if (commit) state.committedValue = value;
      const reply = await send({ type: 'pwScore', seq: mySeq, password: value, values: userValues(field), commit });
      if (reply?.limited) {
        state.commit ||= commit;
        await sleep(LIMITED_RETRY_MS);
        continue;
      }
      if (reply && !reply.stale && fields.get(field) === state) {
        state.judged = { value, view: reply };
        state.shownSeq = mySeq;
        const t0 = performance.now();
        render(field, state, reply);
        const t1 = performance.now();
        Object.assign(timing(mySeq), { renderedAt: t1, renderMs: t1 - t0 });
      }
      // Typed on meanwhile (or another field's request made this one stale, or the value was
      // committed meanwhile): send the latest.
      if (!reply || fields.get(field) !== state || (field.value === value && !reply.stale && !state.commit)) return;
    }
  }
  pw.requestScore = requestScore;

  const CSS = `
:host { all: initial; display: block; box-sizing: border-box; margin: 4px 0 8px; padding: 3px 6px; border-radius: 4px;
  font: 12px/1.4 system-ui, sans-serif; color: #1b1b1b; background: #fff; }
.m { user-select: none; -webkit-user-select: none; }
.bar { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3px; height: 6px; margin-bottom: 3px; }
.bar i { background: #d6d6d6; border-radius: 2px; }
.m[data-level="1"] .bar i:nth-child(-n+1) { background: #c62828; }
.m[data-level="2"] .bar i:nth-child(-n+2) { background: #e07000; }
.m[data-level="3"] .bar i:nth-child(-n+3) { background: #5d8f00; }
.m[data-level="4"] .bar i:nth-child(-n+4) { background: #1e7e34; }
.label { font-weight: 600; }
.blocked { color: #b00020; font-weight: 600; }
@media (prefers-color-scheme: dark) {
  :host { color: #ececec; background: #2a2b2f; }
  .bar i { background: #5a5a5a; }
  .blocked { color: #ff9a8f; }
}
.breach[data-state="breached"] { color: #b00020; font-weight: 600; }
@media (prefers-color-scheme: dark) { .breach[data-state="breached"] { color: #ff9a8f; } }
.blocked:empty, .warn:empty, .tips:empty, .time:empty, .breach:empty { display: none; }
ul { margin: 2px 0 0; padding-left: 18px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

  function meterFor(field, state) {
    if (state.meter?.host.isConnected && state.meter.host.previousElementSibling === field) return state.meter;
    state.meter?.host.remove();
    const { host, root } = crmGuardUi.shadowHost({ kind: 'meter', css: CSS });
    host.id = `crm-guard-pw-${Math.random().toString(36).slice(2, 10)}`;
    const m = el('div', 'm');
    // The bar is the progressbar (its value text is what it announces); the texts below it are
    // siblings, so they are part of the field's description too.
    const bar = el('div', 'bar');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '4');
    bar.setAttribute('aria-label', msg('password_meterName'));
    bar.append(...Array.from({ length: 4 }, () => el('i')));
    const [label, time, breach, blocked, warn, tips] = [['div', 'label'], ['div', 'time'], ['div', 'breach'], ['div', 'blocked'], ['div', 'warn'], ['ul', 'tips']]
      .map(([tag, cls]) => el(tag, cls));
    blocked.setAttribute('role', 'alert');
    m.append(bar, label, time, breach, blocked, warn, tips);
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
    state.meter = { host, m, bar, label, time, breach, blocked, warn, tips, ro };
    return state.meter;
  }

  function crackTime(seconds) {
    if (!(seconds >= 1)) return msg('password_time_instant');
    for (const [unit, s] of globalThis.crmGuardProtocol.crackTimeUnits) {
      if (seconds >= s) return msg(`password_time_${unit}`, [String(Math.round(seconds / s))]);
    }
    return msg('password_time_instant');
  }

  function reasonsText(view) {
    return (view.reasons ?? []).map((r) =>
      r.type === 'tooShort' ? msg('password_reason_tooShort', [String(r.min)])
        : r.type === 'tooWeak' ? msg('password_reason_tooWeak', [msg(`password_label_${['veryWeak', 'weak', 'fair', 'good', 'strong'][r.minScore]}`)])
          : r.type === 'breached' ? msg('password_reason_breached')
            : msg('password_reason_unavailable')).join(' ');
  }

  /** The breach line: found N times, could not check, not found; nothing when off or pending. */
  function breachText(b) {
    switch (b?.state) {
      case 'breached': return msg('password_breach_breached', [Number(b.count).toLocaleString()]);
      case 'unchecked': return msg('password_breach_unchecked');
      case 'clean': return msg('password_breach_clean');
      default: return '';
    }
  }

  function render(field, state, view, blockedNow = false) {
    const mt = meterFor(field, state);
    const labelText = msg(`password_label_${view.label}`);
    mt.m.dataset.level = String(view.meterLevel);
    mt.bar.setAttribute('aria-valuenow', String(view.meterLevel));
    mt.bar.setAttribute('aria-valuetext', labelText);
    mt.label.textContent = `${msg('password_meterName')}: ${labelText}`;
    mt.time.textContent = view.score === null || view.label === 'empty' ? '' : msg('password_crackTime', [crackTime(view.crackSeconds)]);
    mt.breach.dataset.state = view.breach?.state ?? 'off';
    mt.breach.textContent = view.label === 'empty' ? '' : breachText(view.breach);
    mt.warn.textContent = view.warning ? msg(`warning_${view.warning}`) : '';
    mt.tips.replaceChildren(...(view.suggestions ?? []).map((id) => el('li', '', msg(`suggestion_${id}`))));
    const why = view.acceptable ? '' : reasonsText(view);
    mt.blocked.textContent = blockedNow || (view.blockSubmit && field.value && state.blockShown) ? msg('password_blocked', [why]) : '';
    if (!blockedNow && view.acceptable) state.blockShown = false;
  }
  pw.render = render;
})();
