// CRM Guard in-page idle warning (CRM pages only): "You will be signed out in 0:42 — Stay signed in".
// The worker says when to show it (deadline, wall clock); the countdown runs here, so it keeps going
// while the worker is stopped, and reaching zero messages the worker, which wakes and reconciles.
// Page scripts can neither see, hide nor click it: a closed shadow root, a modal <dialog> in the top
// layer, styles through CSSOM (no inline <style>, nothing for the page's CSP to report), the host
// re-attached if removed (and the dialog modal again), and only trusted clicks count.
(() => {
  const { msg: t, el } = crmGuardUi;
  let host = null;
  let dialog = null;
  let deadline = 0;
  let crmName = '';
  let tick = null;
  let lastPing = 0;
  let guard = null; // re-attaches the host while a warning is due

  const CSS = `
    dialog { font: 15px/1.4 system-ui, sans-serif; color: #1b1b1b; background: #fff; border: 3px solid #c62828;
      border-radius: 10px; padding: 20px 24px; max-width: 420px; box-shadow: 0 8px 32px rgba(0,0,0,.35); }
    dialog::backdrop { background: rgba(0,0,0,.45); }
    h2 { margin: 0 0 8px; font-size: 18px; }
    p { margin: 0 0 12px; }
    .timer { font-size: 28px; font-weight: 700; font-variant-numeric: tabular-nums; }
    button { font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 6px; border: 0;
      background: #1e7e34; color: #fff; cursor: pointer; }
    button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
    @media (prefers-color-scheme: dark) {
      dialog { color: #ececec; background: #1e1f22; border-color: #ff9a8f; }
      button { background: #7fd38f; color: #1e1f22; }
      button:focus-visible { outline-color: #a8c7fa; }
    }`;

  // The host stays in the page's layout at zero size; pinned so a page stylesheet cannot hide it.
  const HOST_STYLE = [['display', 'block'], ['visibility', 'visible'], ['opacity', '1'], ['position', 'static'],
    ['width', '0'], ['height', '0'], ['overflow', 'visible'], ['pointer-events', 'auto']];

  function build() {
    const ui = crmGuardUi.shadowHost({ css: CSS, hostStyle: HOST_STYLE });
    host = ui.host;
    dialog = el('dialog');
    dialog.setAttribute('role', 'alertdialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-labelledby', 'title');
    dialog.setAttribute('aria-describedby', 'body countdown');
    const h = el('h2');
    h.id = 'title';
    const body = el('p');
    body.id = 'body';
    const countdown = el('p', 'timer');
    countdown.id = 'countdown';
    countdown.setAttribute('role', 'timer');
    countdown.setAttribute('aria-live', 'off');
    const button = crmGuardUi.button(t('idleWarningStay'), stay);
    const stayIfTrusted = crmGuardUi.onTrusted(stay);
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      stayIfTrusted(e); // Escape from the user: someone is there.
    });
    dialog.addEventListener('close', () => {
      if (deadline) queueMicrotask(open);
    });
    dialog.append(h, body, countdown, button);
    ui.root.append(dialog);
    host._parts = { h, body, countdown, button };
    guard = crmGuardUi.keepAttached(ui, () => {
      if (deadline) open();
    });
  }

  function open() {
    if (!host) build();
    const { h, body, button } = host._parts;
    h.textContent = t('idleWarningTitle');
    body.textContent = t('idleWarningBody', [crmName]);
    const home = document.documentElement ?? document;
    if (host.parentNode !== home) home.append(host);
    guard.watch();
    // A page that removed the host took the dialog out of the top layer: it comes back `open`
    // but not modal (the page behind it usable again). Close it and show it modal again.
    if (dialog.open && !dialog.matches(':modal')) dialog.close();
    if (!dialog.open) {
      dialog.showModal();
      button.focus();
    }
    render();
  }

  function render() {
    const left = Math.max(0, deadline - Date.now());
    const s = Math.ceil(left / 1000);
    host._parts.countdown.textContent = left > 0
      ? t('idleWarningCountdown', [`${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`])
      : t('idleWarningSigningOut');
    // At zero the worker is told (and woken if it was stopped); again every second until it acts.
    if (left <= 0 && Date.now() - lastPing >= 1000) {
      lastPing = Date.now();
      chrome.runtime.sendMessage({ type: 'idleDeadline' }).catch(() => {});
    }
  }

  function show(deadlineMs, name) {
    if (!Number.isFinite(deadlineMs)) return;
    deadline = deadlineMs;
    crmName = String(name ?? '');
    lastPing = 0;
    open();
    clearInterval(tick);
    tick = setInterval(render, 250);
  }

  function hide() {
    deadline = 0;
    clearInterval(tick);
    tick = null;
    guard?.stop();
    if (dialog?.open) dialog.close();
    host?.remove();
  }

  function stay() {
    hide();
    chrome.runtime.sendMessage({ type: 'idleStay' }).catch(() => {});
  }

  chrome.runtime.onMessage.addListener((msg, sender, reply) => {
    if (sender.id !== chrome.runtime.id || typeof msg !== 'object' || msg === null) return false;
    if (msg.type === 'idleWarning') show(Number(msg.deadlineMs), msg.crmName);
    else if (msg.type === 'idleCancel') hide();
    else if (msg.type === 'idleLogout') {
      hide();
      // What only the page can reach; the worker clears cookies and the other site data.
      try {
        sessionStorage.clear();
      } catch {}
    } else return false;
    reply(true);
    return false;
  });

  // A page (re)loaded during a countdown shows it too.
  chrome.runtime.sendMessage({ type: 'idleQuery' }).then((w) => {
    if (w && w.deadlineMs) show(Number(w.deadlineMs), w.crmName);
  }, () => {});
})();
