// Popup: the current tab's verdict with each finding and its next step (in the engine's order,
// most severe first), the countdown to the automatic sign-out when it runs, and "Sign out of all
// CRMs now" (the idle logout's path, after a confirmation).
import { localise, t } from './i18n.js';

localise();

const $ = (id) => document.getElementById(id);
const send = (msg) => chrome.runtime.sendMessage(msg);

async function currentTabId() {
  const param = new URLSearchParams(location.search).get('tabId');
  if (param !== null) return Number(param);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab?.id;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function render(v) {
  const main = $('main');
  main.replaceChildren();
  if (!v) {
    main.append(el('p', 'none', t('popupNotCrm')));
    return;
  }
  main.append(el('p', `level ${v.level}`, t(`level_${v.level}`)));
  // Whose tenant of the CRM this is (the engine decides: own, shared sign-in, foreign, checks off).
  const tenant = v.lookalike ? null : v.tenant;
  const foreign = tenant?.status === 'foreign';
  main.append(el('h2', 'crm', v.lookalike ? t('popupImitates', [v.crmName]) : foreign ? t('popupTenantForeign', [v.crmName]) : v.crmName));
  main.append(el('p', 'host', v.host));
  const tenantKey = { own: 'popupTenantOwn', shared: 'popupTenantShared', off: 'popupTenantsOff' }[tenant?.status];
  if (tenantKey) {
    const line = el('p', `tenant ${tenant.status}`, t(tenantKey, [v.crmName, tenant.tenant ?? '']));
    line.id = 'tenant';
    main.append(line);
  }
  if (v.findings.length === 0) {
    main.append(el('p', 'ok', t('popupNoFindings')));
    return;
  }
  const list = el('ul', 'findings');
  list.setAttribute('aria-label', t('popupFindings'));
  for (const f of v.findings) {
    const li = el('li', f.level);
    li.dataset.kind = f.kind;
    li.dataset.level = f.level;
    const subs = f.detail ? [f.detail] : undefined;
    // An aggregate (many hosts on one page) lists the first few and counts the rest.
    const title = f.more ? [`${f.detail} ${t('finding_more', [String(f.more)])}`] : subs;
    li.append(el('strong', null, t(`finding_${f.kind}_title`, title)));
    const next = el('p', 'action');
    // A password-only sign-in: the action names the CRM's own steps (`mfa_steps_<crm id>`).
    const steps = chrome.i18n.getMessage(`mfa_steps_${v.crmId.replace(/\W/g, '_')}`) || t('mfa_steps_generic');
    const actionSubs = f.kind === 'passwordOnlySignIn' ? [steps] : subs;
    next.append(el('span', 'next', t('popupNextStep')), ' ', t(`finding_${f.kind}_action`, actionSubs));
    li.append(next);
    list.append(li);
  }
  main.append(list);
}

// The automatic sign-out on CRM tabs: its delay, or the live countdown once the warning runs.
let ticker = null;
function renderIdle(s) {
  const p = $('idle');
  clearInterval(ticker);
  if (!s?.crmTab) {
    p.hidden = true;
    return;
  }
  p.hidden = false;
  p.className = `idle ${s.phase.phase}`;
  const left = s.timeLeftMs;
  if (left === null || left === undefined) p.textContent = t('popupIdleSignedOut');
  else if (s.phase.phase === 'warning') {
    const deadline = Date.now() + left;
    const tick = () => {
      const sec = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      p.textContent = t('popupIdleCountdown', [`${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`]);
    };
    tick();
    ticker = setInterval(tick, 1000);
  } else p.textContent = t('popupIdleAfter', [String(Math.round(left / 60000))]);
}

// "Sign out of all CRMs now": the button opens a confirmation; Escape or Cancel closes it.
function confirmOpen(open) {
  $('sign-out-confirm').hidden = !open;
  $('sign-out-all').setAttribute('aria-expanded', String(open));
  (open ? $('sign-out-yes') : $('sign-out-all')).focus();
}
$('sign-out-all').addEventListener('click', () => confirmOpen($('sign-out-confirm').hidden));
$('sign-out-cancel').addEventListener('click', () => confirmOpen(false));
$('sign-out-confirm').addEventListener('keydown', (e) => e.key === 'Escape' && confirmOpen(false));
$('sign-out-yes').addEventListener('click', async () => {
  $('sign-out-yes').disabled = true;
  const status = await send({ type: 'signOutAll' }).catch(() => null);
  $('sign-out-confirm').hidden = true;
  $('sign-out-all').setAttribute('aria-expanded', 'false');
  $('sign-out-yes').disabled = false;
  $('sign-out-done').textContent = t(status ? 'popupSignedOutAll' : 'popupSignOutFailed');
  document.body.dataset.signedOut = status ? 'true' : 'failed';
});

const tabId = await currentTabId();
render(tabId === undefined ? null : await send({ type: 'verdict', tabId }));
if (tabId !== undefined) renderIdle(await send({ type: 'idleStatus', tabId }));
// Phishing guard (worker/password.js): IT policy wants it but host access to all sites is not granted yet;
// chrome.permissions.request needs this click (a user gesture).
const phishing = await send({ type: 'pwPhishingStatus' });
if (phishing?.wanted && !phishing.granted) {
  const grant = el('button', 'grant', t('popupPhishingGrant'));
  grant.type = 'button';
  grant.id = 'phishing-grant';
  grant.addEventListener('click', () =>
    chrome.permissions.request({ origins: ['<all_urls>'] }).then((ok) => ok && grant.remove(), () => {}));
  $('main').append(el('p', 'phishing', t('popupPhishingExplain')), grant);
}
document.body.dataset.ready = 'true';
