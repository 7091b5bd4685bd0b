// CRM Guard password block mode and login submits (after password-detect.js and password-meter.js,
// same isolated world).
// - Block mode: a too-weak new password cannot be submitted (capture-phase submit: buttons, Enter,
//   requestSubmit), nor any form holding a copy of it (a hidden field, another text field the
//   page copied it into); `form.submit()` / `new FormData(form)` from page code get every entry
//   whose value equals a refused password removed from the form data (the `formdata` event).
//   A page's own fetch()/XHR/sendBeacon of `input.value` is not reachable from an isolated world
//   (docs/password-guard.md).
// - A submit made before the fields are classified (cold worker) is held until they are (and
//   judged, in block mode), then made again.
// - Block mode with the breached-password check on: a submit of a new password not yet checked
//   (its reply says `breach.state: "pending"`: typed, never committed) is held while the value
//   is checked as committed, then made again; the check's outcome decides (a breached password
//   is refused; "could not check" judges on strength alone). `form.submit()` from page code
//   cannot be held (no event waits): such a value is judged on strength.
// - A login feeds the reuse guard (the worker fingerprints it) only when the user typed its value
//   with trusted key events (crmGuardTyped); a value set by page script is never reported.
(() => {
  'use strict';
  const pw = globalThis.crmGuardPw;
  if (!pw?.claim('block')) return;
  const { fields, send, container } = pw;

  /**
   * Guarded new-password fields whose current value is not (yet) acceptable, in any form:
   * [field, state, judged view or null].
   */
  function refusedFields() {
    if (pw.policy?.mode !== 'block') return [];
    const out = [];
    for (const [field, state] of fields) {
      if (state.kind !== 'newPassword' || !field.isConnected) continue;
      const judged = state.judged && state.judged.value === field.value ? state.judged.view : null;
      if (!judged || judged.blockSubmit) out.push([field, state, judged]);
    }
    return out;
  }

  /** The refused fields of `form` and those whose value the page copied into one of its controls. */
  function refusedIn(form) {
    const all = refusedFields();
    if (all.length === 0) return all;
    const values = new Set();
    for (const c of form.elements ?? []) {
      if (typeof c.value === 'string' && c.value && !(c instanceof HTMLButtonElement)) values.add(c.value);
    }
    return all.filter(([field]) => container(field) === form || (field.value && values.has(field.value)));
  }

  function refuse(refused) {
    for (const [field, state, judged] of refused) {
      state.blockShown = true;
      if (judged) pw.render(field, state, judged, true);
      else pw.requestScore(field).then(() => fields.get(field)?.judged && pw.render(field, state, fields.get(field).judged.view, true));
    }
    refused[0][0].focus();
    send({ type: 'pwBlocked' });
  }

  function onSubmit(e) {
    const form = e.target;
    if (!(form instanceof HTMLFormElement)) return;
    // A password typed before the worker classified the field (first moments of a page): hold the
    // submission until it is classified (and judged, in block mode), then submit again.
    const early = [...fields].some(([f, st]) => st.kind === null && f.value && container(f) === form);
    if (early && pw.policy?.mode !== 'warn') {
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      pw.classifying.then(async () => {
        await Promise.all([...fields].filter(([f, st]) => st.kind === 'newPassword' && container(f) === form && f.value)
          .map(([f]) => pw.requestScore(f)));
        if (!form.isConnected) return;
        form.requestSubmit(submitter?.form === form ? submitter : undefined);
      });
      return;
    }
    // Block mode: a new password the breach check has not seen (typed, never committed) is
    // checked now, once per value, and the submission made again.
    const unchecked = pw.policy?.mode === 'block' ? [...fields].filter(([f, st]) => st.kind === 'newPassword'
      && f.isConnected && f.value && container(f) === form && st.judged?.value === f.value
      && st.judged.view.breach?.state === 'pending' && st.heldFor !== f.value) : [];
    if (unchecked.length > 0) {
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      // Once per value (no loop); a commit already on its way (the `change` of the blur that
      // came with this click) is awaited rather than sent twice.
      const checks = unchecked.map(([f, st]) => {
        st.heldFor = f.value;
        return st.committedValue === f.value && st.inflight ? st.inflight : pw.commitScore(f);
      });
      Promise.all(checks).then(() => {
        if (form.isConnected) form.requestSubmit(submitter?.form === form ? submitter : undefined);
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
    // A login with a password the user typed: the worker fingerprints it and waits for the landing
    // page. However the submit came (a page's requestSubmit() is trusted too), a value set by page
    // script is never reported, so it can never become, or replace, the CRM's fingerprint.
    for (const [field, state] of fields) {
      if (state.kind === 'login' && field.isConnected && container(field) === form && crmGuardTyped.isTyped(field)) {
        send({ type: 'pwLogin', password: field.value, typed: true });
        break;
      }
    }
  }

  // form.submit() and new FormData(form) from page code (and every submission, after its submit
  // event): no submit event, but a formdata event. Every entry whose value is a refused password
  // goes, whichever field it came from (hidden copies, other text fields, custom elements).
  function onFormData(e) {
    const all = refusedFields().filter(([field]) => field.value);
    if (all.length === 0) return;
    const weak = new Set(all.map(([field]) => field.value));
    const entries = [...e.formData.entries()];
    const stripped = new Set(entries.filter(([, v]) => typeof v === 'string' && weak.has(v)).map(([k]) => k));
    if (stripped.size === 0) return;
    // FormData.delete removes every entry of a name: put back the others of those names.
    for (const name of stripped) e.formData.delete(name);
    for (const [k, v] of entries) {
      if (stripped.has(k) && !(typeof v === 'string' && weak.has(v))) e.formData.append(k, v);
    }
    refuse(all.filter(([field]) => entries.some(([, v]) => v === field.value)));
  }

  // Shadow-root forms reach these through password-detect.js (submit and formdata do not cross
  // the shadow boundary); the rest through the window, in the capture phase.
  pw.onSubmit = onSubmit;
  pw.onFormData = onFormData;
  window.addEventListener('submit', onSubmit, true);
  window.addEventListener('formdata', onFormData, true);
})();
