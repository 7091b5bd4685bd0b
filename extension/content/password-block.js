// CRM Guard password block mode and login submits (after password-detect.js and password-meter.js,
// same isolated world).
// - Block mode: a too-weak new password cannot be submitted (capture-phase submit: buttons, Enter,
//   requestSubmit), and `form.submit()` / `new FormData(form)` from page code get the password
//   removed from the form data (the `formdata` event). A page's own fetch() of `input.value` is
//   not reachable from an isolated world.
// - A submit made before the fields are classified (cold worker) is held until they are (and
//   judged, in block mode), then made again.
// - A login submitted by the user feeds the reuse guard (the worker fingerprints it).
(() => {
  'use strict';
  const pw = globalThis.crmGuardPw;
  if (!pw?.claim('block')) return;
  const { fields, send, container } = pw;

  /** Guarded new-password fields in a form whose current value is not (yet) acceptable. */
  function refusedIn(form) {
    if (pw.policy?.mode !== 'block') return [];
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
      if (judged) pw.render(field, state, judged, true);
      else pw.requestScore(field).then(() => fields.get(field)?.judged && pw.render(field, state, fields.get(field).judged.view, true));
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
    if (early && pw.policy?.mode !== 'warn') {
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      pw.classifying.then(async () => {
        await Promise.all([...fields].filter(([f, st]) => st.kind === 'newPassword' && container(f) === form && f.value)
          .map(([f]) => pw.requestScore(f)));
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

  // Shadow-root forms reach these through password-detect.js (submit and formdata do not cross
  // the shadow boundary); the rest through the window, in the capture phase.
  pw.onSubmit = onSubmit;
  pw.onFormData = onFormData;
  window.addEventListener('submit', onSubmit, true);
  window.addEventListener('formdata', onFormData, true);
})();
